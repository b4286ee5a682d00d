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


AS_OF_KINDS = ("now", "time", "position")


def kind_of(as_of: AsOf | None) -> str:
    """Which of :data:`AS_OF_KINDS` ``as_of`` is."""
    if as_of is None:
        return "now"
    return "time" if as_of.time is not None else "position"


def as_of_parameter(as_of: AsOf | None) -> dict[str, Any]:
    """The bind parameter of a statement built by :func:`visible_at`."""
    if as_of is None:
        return {}
    return {"as_of": as_of.time if as_of.time is not None else as_of.position}


# A row still current has no end; for "as of" filters its end is taken as beyond any moment,
# in exactly the form the as-of indexes of migration 0003 use, so the end condition is checked
# inside the index instead of on every past version's row.
OPEN_END_TIME = "'9999-12-31 00:00:00+00'"
OPEN_END_POSITION = "9223372036854775807"


def ends_after_time(table: sa.Table, moment: Any) -> sa.ColumnElement[bool]:
    """The row's version was still current after ``moment`` (a time)."""
    end: sa.ColumnElement[Any] = sa.func.coalesce(
        table.c.sys_to_time, sa.literal_column(OPEN_END_TIME)
    )
    after: sa.ColumnElement[bool] = end > moment
    return after


def ends_after_position(table: sa.Table, moment: Any) -> sa.ColumnElement[bool]:
    """The row's version was still current after global position ``moment``."""
    end: sa.ColumnElement[Any] = sa.func.coalesce(
        table.c.sys_to_pos, sa.literal_column(OPEN_END_POSITION)
    )
    after: sa.ColumnElement[bool] = end > moment
    return after


def visible_at(table: sa.Table, kind: str) -> sa.ColumnElement[bool]:
    """Rows current now (``kind`` "now") or at the moment bound as ``as_of``, for statements
    that are built once and run many times."""
    if kind == "now":
        return table.c.sys_to_pos.is_(None)
    # The moment is written into the statement's text rather than bound: the planner must
    # see it (a recent moment and a long-past one want different indexes), and a plan cached
    # for a prepared statement would serve every moment with the same one.
    if kind == "position":
        moment = sa.bindparam("as_of", type_=sa.BigInteger, literal_execute=True)
        return sa.and_(table.c.sys_from_pos <= moment, ends_after_position(table, moment))
    at = sa.bindparam("as_of", type_=table.c.sys_from_time.type, literal_execute=True)
    return sa.and_(table.c.sys_from_time <= at, ends_after_time(table, at))


def scoped_at(table: sa.Table, projection: str = "read_models") -> list[Any]:
    """:func:`scoped` with the tenant as the bind parameter ``tenant_id``."""
    return [
        table.c.tenant_id == sa.bindparam("tenant_id"),
        table.c.generation == live_generation_subquery(projection),
    ]


def scoped(table: sa.Table, tenant_id: str, projection: str = "read_models") -> list[Any]:
    """The tenant filter and the live generation of ``projection``; every read uses it."""
    return [
        table.c.tenant_id == tenant_id,
        table.c.generation == live_generation_subquery(projection),
    ]
