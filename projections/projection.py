"""What a projection is, which generation of its rows is live, and the inline lifecycle."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Protocol

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from eventstore import RecordedEvent
from projections.tables import generations

FIRST_GENERATION = 1


class Projection(Protocol):
    """A named set of tables kept by handlers that are safe to replay from the log."""

    @property
    def name(self) -> str: ...

    @property
    def tables(self) -> tuple[sa.Table, ...]: ...

    async def apply(
        self, conn: AsyncConnection, events: Sequence[RecordedEvent], generation: int
    ) -> None:
        """Apply ``events`` (in feed order) to the rows of ``generation``."""
        ...


async def live_generation(conn: AsyncConnection, name: str) -> int:
    """The generation readers and writers of projection ``name`` use now."""
    value = (
        await conn.execute(sa.select(generations.c.generation).where(generations.c.name == name))
    ).scalar()
    return FIRST_GENERATION if value is None else int(value)


@functools.cache
def live_generation_subquery(name: str) -> sa.ScalarSelect[int]:
    """:func:`live_generation` as a scalar subquery, so a read or an inline write costs no
    extra statement (one object per name, so statements built on it cache)."""
    return (
        sa.select(sa.func.coalesce(sa.func.max(generations.c.generation), FIRST_GENERATION))
        .where(generations.c.name == name)
        .scalar_subquery()
    )


class InlineProjection(Projection, Protocol):
    """A projection that can also apply events to whichever generation is live, naming it
    in its own statements (a subquery) instead of asking for it first."""

    async def apply_live(self, conn: AsyncConnection, events: Sequence[RecordedEvent]) -> None:
        """Apply ``events`` to the live generation's rows."""
        ...


class Inline:
    """Runs a projection inside the append's transaction (read-your-writes).

    The projection resolves the live generation in each statement rather than the handler
    reading it first: one round trip less per command, and no number cached between
    commands that a rebuild's switch-over could make stale. It is exactly as safe as reading
    it first: the append has inserted its events before the projection's statements run, and
    a rebuild switches generations while holding a lock that conflicts with that insert, so
    a switch either waits for this transaction (and the rebuild then applies its events to
    the new generation) or committed before the insert (and every statement here sees it).
    """

    def __init__(self, projection: InlineProjection) -> None:
        self.projection = projection

    async def __call__(self, conn: AsyncConnection, events: Sequence[RecordedEvent]) -> None:
        await self.projection.apply_live(conn, events)
