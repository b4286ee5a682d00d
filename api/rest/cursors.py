"""Feed cursors: opaque, URL-safe, and bound to the organization they were issued to.

A cursor reads ``c1.<base64url of "tx:pos:tag">``, where ``tag`` is a digest of the
organization id and the position. The feed always filters on the caller's organization, so a
cursor could never read another organization's events; the tag makes a cursor handed to the
wrong organization (or altered) a clear error instead of a silent jump in the caller's feed.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re

from eventstore import FeedPosition

_PREFIX = "c1."
_BODY = re.compile(r"^(\d{1,20}):(\d{1,20}):([0-9a-f]{16})$")


class InvalidCursor(ValueError):
    """A cursor this server did not issue to this organization."""


def _tag(tenant_id: str, position: FeedPosition) -> str:
    text = f"scoreledger-feed\0{tenant_id}\0{position.transaction_id}:{position.position}"
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def encode_cursor(tenant_id: str, position: FeedPosition) -> str:
    """The cursor of ``tenant_id``'s feed after ``position``."""
    raw = f"{position.transaction_id}:{position.position}:{_tag(tenant_id, position)}"
    return _PREFIX + base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(tenant_id: str, cursor: str) -> FeedPosition:
    """The position inside a cursor issued to ``tenant_id``; InvalidCursor otherwise."""
    if not cursor.startswith(_PREFIX):
        raise InvalidCursor(f"not a feed cursor (cursors start with {_PREFIX!r})")
    body = cursor[len(_PREFIX) :]
    try:
        text = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise InvalidCursor("not a valid feed cursor") from None
    match = _BODY.match(text)
    if match is None:
        raise InvalidCursor("not a valid feed cursor")
    position = FeedPosition(int(match.group(1)), int(match.group(2)))
    if not hmac.compare_digest(match.group(3), _tag(tenant_id, position)):
        raise InvalidCursor("this cursor was not issued to your organization, or was altered")
    return position
