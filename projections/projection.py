"""What a projection is, which generation of its rows is live, and the inline lifecycle."""

from __future__ import annotations

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


def live_generation_subquery(name: str) -> sa.ScalarSelect[int]:
    """:func:`live_generation` as a scalar subquery, so a read costs no extra statement."""
    return (
        sa.select(sa.func.coalesce(sa.func.max(generations.c.generation), FIRST_GENERATION))
        .where(generations.c.name == name)
        .scalar_subquery()
    )


class Inline:
    """Runs a projection inside the append's transaction (read-your-writes)."""

    def __init__(self, projection: Projection) -> None:
        self.projection = projection

    async def __call__(self, conn: AsyncConnection, events: Sequence[RecordedEvent]) -> None:
        generation = await live_generation(conn, self.projection.name)
        await self.projection.apply(conn, events, generation)
