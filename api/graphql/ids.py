"""Global ids: ``base64url("<Type>:<scorecard id>:<entity id>")``.

An id names an entity within the caller's organization only; resolving it always filters
by the caller's tenant, so another organization's id resolves to nothing.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from api.graphql.errors import bad_input

TYPES = (
    "Organization",
    "Team",
    "Scorecard",
    "Perspective",
    "Objective",
    "Kpi",
    "Initiative",
)


@dataclass(frozen=True, slots=True)
class GlobalId:
    type_name: str
    scorecard_id: str
    entity_id: str

    def __str__(self) -> str:
        raw = f"{self.type_name}:{self.scorecard_id}:{self.entity_id}".encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def global_id(type_name: str, scorecard_id: str, entity_id: str) -> str:
    return str(GlobalId(type_name, scorecard_id, entity_id))


def parse_id(value: str, argument: str = "id", expected: str | None = None) -> GlobalId:
    """Decode a global id, checking its type when ``expected`` is given."""
    try:
        text = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise bad_input(argument, f"{value!r} is not an id issued by this API") from None
    type_name, sep, rest = text.partition(":")
    scorecard_id, sep2, entity_id = rest.partition(":")
    if not sep or not sep2 or type_name not in TYPES:
        raise bad_input(argument, f"{value!r} is not an id issued by this API")
    if expected is not None and type_name != expected:
        raise bad_input(argument, f"expected the id of a {expected}, got one of a {type_name}")
    return GlobalId(type_name, scorecard_id, entity_id)


def scorecard_of(value: str, argument: str = "scorecardId") -> str:
    """The scorecard id inside a Scorecard global id."""
    return parse_id(value, argument, "Scorecard").scorecard_id
