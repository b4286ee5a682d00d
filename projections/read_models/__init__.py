"""The row-level read models: one small handler per event type.

The same handlers serve the inline lifecycle (in the append's transaction), catch-up and
rebuild. Each handler turns one event into versioned-row changes.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncConnection

from eventstore import RecordedEvent
from projections import tables as t
from projections.projection import live_generation_subquery
from projections.read_models import initiatives, kpis, organization, structure
from projections.read_models.registry import HANDLERS
from projections.versioned import LIVE, Change, Writer
from streams.codec import codec

# The handler modules register themselves on import.
_MODULES = (organization, structure, kpis, initiatives)


class ReadModelProjection:
    """Projects organization and scorecard events into the ``rm_*`` versioned tables."""

    name = "read_models"
    tables = t.READ_MODEL_TABLES

    async def apply(
        self, conn: AsyncConnection, events: Sequence[RecordedEvent], generation: int
    ) -> None:
        """Apply ``events`` in order to the rows of ``generation``."""
        await self._apply(Writer(conn), events, generation)

    async def apply_live(self, conn: AsyncConnection, events: Sequence[RecordedEvent]) -> None:
        """Apply ``events`` to the live generation, which each statement names itself."""
        await self._apply(Writer(conn, live_generation_subquery(self.name)), events, LIVE)

    async def _apply(
        self, writer: Writer, events: Sequence[RecordedEvent], generation: int
    ) -> None:
        for recorded in events:
            event = codec.decode(recorded)
            handler = HANDLERS.get(type(event))
            if handler is None:
                continue
            reason = getattr(event, "reason", None)
            scorecard_id = getattr(event, "scorecard_id", None)
            scope = (("scorecard_id", scorecard_id),) if scorecard_id is not None else ()
            await handler(writer, Change.of(recorded, generation, reason, scope), event)
        await writer.flush()
