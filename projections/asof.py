"""System time: which version of a row was current at a moment.

A moment is a recorded time or a feed position, the pair (transaction id, global position)
that the gap-safe feed is ordered by and that a consistency token names. On PostgreSQL a bare
global position says nothing about commit order across streams, so a position moment is never
compared with another stream's positions directly. It is turned, stream by stream, into the
global position of that stream's last event at or before the pair (:func:`bind_moments`):

- within one stream, versions, global positions and feed pairs all follow commit order (each
  append saw the stream's previous events committed), so the events at or before the pair are
  exactly the events up to that position;
- every read-model row is opened and ended by events of one stream (a scorecard's rows by its
  own events, the organization's and teams' by the organization stream's).

So the rows of a stream current at the pair are the rows current at that stream's position,
which the as-of indexes of migration 0003 serve as they are. On SQLite the transaction id is
always 0 and the pair is the position.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from eventstore import FeedPosition
from eventstore.postgres import Xid8
from eventstore.tables import events
from projections.fetch import fetch_all
from projections.projection import live_generation_subquery


@dataclass(frozen=True, slots=True)
class AsOf:
    """A moment in system time: a recorded time, or a feed position (transaction id,
    global position) such as a consistency token."""

    time: datetime | None = None
    position: FeedPosition | None = None

    def __post_init__(self) -> None:
        if (self.time is None) == (self.position is None):
            raise ValueError("as of needs exactly one of a time or a position")
        if self.time is not None and self.time.tzinfo is None:
            raise ValueError(f"as-of time {self.time.isoformat()} needs a time zone")
        if self.position is not None and not isinstance(self.position, FeedPosition):
            raise TypeError(
                f"an as-of position is a FeedPosition (transaction id, position), not "
                f"{self.position!r}: a bare global position orders nothing across streams"
            )

    @classmethod
    def at(cls, moment: datetime | FeedPosition) -> AsOf:
        """The moment of a time or of a feed position."""
        return cls(position=moment) if isinstance(moment, FeedPosition) else cls(time=moment)

    def __str__(self) -> str:
        return self.time.isoformat() if self.time is not None else f"position {self.position}"


AS_OF_KINDS = ("now", "time", "position")


def kind_of(as_of: AsOf | None) -> str:
    """Which of :data:`AS_OF_KINDS` ``as_of`` is."""
    if as_of is None:
        return "now"
    return "time" if as_of.time is not None else "position"


@functools.cache
def _last_positions(count: int) -> sa.Select[Any]:
    """Per stream bound as ``stream_<i>``, the global position of its last event at or before
    the pair (``moment_tx``, ``moment_pos``): walked from the stream's newest version down,
    in the stream's index."""
    moment = sa.tuple_(
        sa.bindparam("moment_tx", type_=sa.BigInteger().with_variant(Xid8(), "postgresql")),
        sa.bindparam("moment_pos", type_=sa.BigInteger),
    )
    return sa.select(
        *(
            sa.select(events.c.global_position)
            .where(
                events.c.tenant_id == sa.bindparam("tenant_id"),
                events.c.stream_id == sa.bindparam(f"stream_{index}"),
                sa.tuple_(events.c.transaction_id, events.c.global_position) <= moment,
            )
            .order_by(events.c.version.desc())
            .limit(1)
            .scalar_subquery()
            .label(f"p{index}")
            for index in range(count)
        )
    )


async def stream_positions(
    conn: AsyncConnection, tenant_id: str, moment: FeedPosition, stream_ids: tuple[str, ...]
) -> tuple[int, ...]:
    """For each stream, the global position of its last event at or before ``moment`` (0 when
    it had none yet), in one statement. See the module's docstring for why this is exact."""
    params: dict[str, Any] = {
        "tenant_id": tenant_id,
        "moment_tx": moment.transaction_id,
        "moment_pos": moment.position,
    }
    params.update({f"stream_{i}": stream_id for i, stream_id in enumerate(stream_ids)})
    (row,) = await fetch_all(conn, _last_positions(len(stream_ids)), params)
    return tuple(0 if value is None else int(value) for value in row)


async def bind_moments(
    conn: AsyncConnection, tenant_id: str, as_of: AsOf | None, streams: Mapping[str, str]
) -> dict[str, Any]:
    """The bind parameters of statements filtered by :func:`visible_at` at ``as_of``.

    ``streams`` maps each moment parameter to the stream whose rows it filters. A time is
    the same for every stream; a position becomes each stream's own position at the pair
    (one statement). Nothing is bound for now.
    """
    if as_of is None:
        return {}
    if as_of.time is not None:
        return dict.fromkeys(streams, as_of.time)
    assert as_of.position is not None
    positions = await stream_positions(conn, tenant_id, as_of.position, tuple(streams.values()))
    return dict(zip(streams, positions, strict=True))


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
    """The row's version was still current after ``moment``, a global position of the stream
    that writes the row (see :func:`bind_moments`)."""
    end: sa.ColumnElement[Any] = sa.func.coalesce(
        table.c.sys_to_pos, sa.literal_column(OPEN_END_POSITION)
    )
    after: sa.ColumnElement[bool] = end > moment
    return after


def visible_at(table: sa.Table, kind: str, moment: str = "as_of") -> sa.ColumnElement[bool]:
    """Rows current now (``kind`` "now") or at the moment bound as ``moment``, for statements
    that are built once and run many times. For "position" the bound value is the position
    :func:`bind_moments` gives for the stream that writes ``table``'s rows."""
    if kind == "now":
        return table.c.sys_to_pos.is_(None)
    # A plain bound parameter: with a scorecard of 100,000 measurements a recent and a
    # long-past moment get the same plan whether the planner sees the value or a cached
    # generic plan serves them, within noise of each other (benchmarks/asof.py).
    if kind == "position":
        at = sa.bindparam(moment, type_=sa.BigInteger)
        return sa.and_(table.c.sys_from_pos <= at, ends_after_position(table, at))
    at = sa.bindparam(moment, type_=table.c.sys_from_time.type)
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
