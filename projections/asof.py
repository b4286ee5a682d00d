"""System time: which version of a row was current at a moment."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from projections.projection import live_generation_subquery


@dataclass(frozen=True, slots=True)
class AsOf:
    """A moment in system time: a recorded time, or a global position.

    Positions order the events of one stream (a scorecard's events are one stream), so
    "as of position P" is exact for a scorecard; across streams on PostgreSQL a position says
    nothing about commit order, and a time is the portable way to name a moment.
    """

    time: datetime | None = None
    position: int | None = None

    def __post_init__(self) -> None:
        if (self.time is None) == (self.position is None):
            raise ValueError("as of needs exactly one of a time or a position")
        if self.time is not None and self.time.tzinfo is None:
            raise ValueError(f"as-of time {self.time.isoformat()} needs a time zone")

    @classmethod
    def at(cls, moment: datetime | int) -> AsOf:
        return cls(position=moment) if isinstance(moment, int) else cls(time=moment)

    def __str__(self) -> str:
        return self.time.isoformat() if self.time is not None else f"position {self.position}"


def visible(table: sa.Table, as_of: AsOf | None) -> sa.ColumnElement[bool]:
    """Rows current now (``as_of`` None) or at ``as_of``."""
    if as_of is None:
        return table.c.sys_to_pos.is_(None)
    if as_of.position is not None:
        return sa.and_(
            table.c.sys_from_pos <= as_of.position,
            sa.or_(table.c.sys_to_pos.is_(None), table.c.sys_to_pos > as_of.position),
        )
    return sa.and_(
        table.c.sys_from_time <= as_of.time,
        sa.or_(table.c.sys_to_time.is_(None), table.c.sys_to_time > as_of.time),
    )


def scoped(table: sa.Table, tenant_id: str, projection: str = "read_models") -> list[Any]:
    """The tenant filter and the live generation of ``projection``; every read uses it."""
    return [
        table.c.tenant_id == tenant_id,
        table.c.generation == live_generation_subquery(projection),
    ]
