"""How far a feed reader is behind: committed events after its position, and what holds
them back."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class FeedHold:
    """An append still in flight that keeps committed events from the feed (PostgreSQL)."""

    pid: int | None
    """The server process of the appending transaction; None when it ended just now."""
    seconds: float | None
    """How long that transaction has been open."""


@dataclass(frozen=True, slots=True)
class FeedLag:
    """Committed events after a feed position."""

    events: int
    """How many events have committed after the position, whether readers get them yet
    or not."""
    oldest: datetime | None
    """When the oldest of them was recorded (None when there are none)."""
    held_back: int = 0
    """How many of them readers do not get yet: they follow an append still in flight,
    which may commit events that must come before them."""
    hold: FeedHold | None = None
    """The append holding them back, when ``held_back`` is not 0."""

    @property
    def released(self) -> int:
        """Events readers get now."""
        return self.events - self.held_back
