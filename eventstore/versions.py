"""Expected-version values for an append."""

from __future__ import annotations

import enum


class StreamState(enum.Enum):
    """Expectations that are not an exact version number."""

    NO_STREAM = "no stream"
    ANY = "any"

    def __str__(self) -> str:
        return self.value


NO_STREAM = StreamState.NO_STREAM
ANY = StreamState.ANY

ExpectedVersion = int | StreamState
"""An exact version number (the stream's current last version), NO_STREAM or ANY."""
