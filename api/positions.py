"""The opaque consistency token handed to clients: a feed position they cannot forge into a
read of anything else, and can only hand back to ``consistentWith`` or ``atPosition``."""

from __future__ import annotations

import base64
import binascii
import re

from eventstore import FeedPosition

_PREFIX = "p1."
_PAIR = re.compile(r"^(\d{1,20}):(\d{1,20})$")


class InvalidPosition(ValueError):
    """A token that is not one this server issued."""


def encode_position(position: FeedPosition) -> str:
    """``p1.<base64url of "tx:pos">``: versioned, URL-safe, opaque."""
    raw = f"{position.transaction_id}:{position.position}".encode()
    return _PREFIX + base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_position(token: str) -> FeedPosition:
    """The feed position inside a token from :func:`encode_position`."""
    if not token.startswith(_PREFIX):
        raise InvalidPosition(f"{token!r} is not a position token (they start with {_PREFIX!r})")
    body = token[len(_PREFIX) :]
    try:
        text = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise InvalidPosition(f"{token!r} is not a valid position token") from None
    match = _PAIR.match(text)
    if match is None:
        raise InvalidPosition(f"{token!r} is not a valid position token")
    return FeedPosition(int(match.group(1)), int(match.group(2)))
