"""Running parsed items through the ledger: one batch per scorecard stream, a result per item.

Items are grouped by scorecard, keeping their order within each; each group goes through
``Ledger.execute_batch`` (decided against the stream's state once, appended in one
transaction), in chunks of at most :data:`~api.ingest.items.MAX_ITEMS`. A dry run decides the
same commands against the same state and writes nothing.

Retries. With a seed (the request's idempotency key and hash), every item's measurement id
is derived from it, so a retry builds the very same commands. An item whose id the stream
already holds was stored by an earlier attempt of the same request that did not get to
answer (its process died, say): it is reported as that attempt stored it, never recorded
twice.

Contention. A scorecard whose batch keeps conflicting with writers in other processes past
the ledger's retries raises :class:`~eventstore.errors.ConcurrencyError` out of
:meth:`Ingestion.run`, leaving the scorecards after it undone: the request failed for a
passing reason and is retried whole (the REST API answers 503 and keeps nothing under the
key); the scorecards stored before it are then reported as stored, as above.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from api.ingest.items import MAX_ITEMS, ItemResult, MeasurementItem, Outcome, Parsed
from domain.errors import DomainError
from domain.periods import Period
from domain.scorecard import scorecard_decider
from domain.scorecard.commands import RecordMeasurement
from domain.scorecard.events import MeasurementCorrected, MeasurementRecorded
from eventstore import Metadata
from ledger import Ledger
from ledger.application import scorecard_stream
from ledger.state_snapshots import scorecard_snapshots
from projections.tables import measurements
from streams.codec import codec

Checkpoint = Callable[[str], Awaitable[None]]
"""Called with ``"before_append"`` and ``"after_append"`` around the first append (a
fault-injection point for tests; see :mod:`api.rest.faults`)."""


@dataclass(frozen=True, slots=True)
class ItemIds:
    """The measurement id of each item: derived from ``seed`` when there is one (the same
    request retried gets the same ids), random otherwise."""

    seed: str | None = None

    def __call__(self, index: int) -> str:
        if self.seed is None:
            return f"m-{secrets.token_hex(10)}"
        digest = hashlib.sha256(f"{self.seed}\0{index}".encode()).hexdigest()
        return f"m-{digest[:20]}"

    @classmethod
    def for_request(cls, tenant_id: str, key: str | None, request_hash: str) -> ItemIds:
        return cls(None if key is None else f"{tenant_id}\0{key}\0{request_hash}")


@dataclass(frozen=True, slots=True)
class Report:
    """The results in item order."""

    results: list[ItemResult]


async def _no_checkpoint(point: str) -> None:
    return None


class Ingestion:
    """Ingests measurement items for one organization at a time."""

    def __init__(
        self,
        ledger: Ledger,
        engine: AsyncEngine,
        progress: Callable[[int], None] | None = None,
    ) -> None:
        """``progress``, if given, is told after each chunk how many items of the run have
        their result so far (the CLI import's progress bar)."""
        self.ledger = ledger
        self.engine = engine
        self.progress = progress

    async def run(
        self,
        tenant_id: str,
        items: Sequence[Parsed],
        ids: ItemIds,
        *,
        actor: str,
        request_id: str | None = None,
        dry_run: bool = False,
        checkpoint: Checkpoint = _no_checkpoint,
    ) -> Report:
        """A result for every item, in order; writes nothing when ``dry_run``.

        Raises ``ConcurrencyError`` when a scorecard's batch kept conflicting past the
        ledger's retries (see the module's docstring)."""
        results: list[ItemResult | None] = [None] * len(items)
        groups: dict[str, list[tuple[int, RecordMeasurement]]] = {}
        for index, parsed in enumerate(items):
            if isinstance(parsed, ItemResult):
                results[index] = parsed
                continue
            try:
                command = _command(parsed, ids(index))
            except DomainError as error:  # beyond the command's limits (domain.checks)
                results[index] = ItemResult.refused(index, error)
                continue
            groups.setdefault(parsed.scorecard, []).append((index, command))
        first_append = True
        finished = len(items) - sum(len(group) for group in groups.values())
        for group in groups.values():
            for start in range(0, len(group), MAX_ITEMS):
                chunk = group[start : start + MAX_ITEMS]
                if dry_run:
                    decided = await self._decide_only(tenant_id, chunk)
                else:
                    if first_append:
                        await checkpoint("before_append")
                    decided = await self._execute(tenant_id, chunk, actor, request_id)
                    if first_append:
                        first_append = False
                        await checkpoint("after_append")
                for result in decided:
                    results[result.index] = result
                finished += len(decided)
                if self.progress is not None:
                    self.progress(finished)
        done = [result for result in results if result is not None]
        if not dry_run and ids.seed is not None:
            done = await self._recovered(tenant_id, done)
        return Report(done)

    async def _execute(
        self,
        tenant_id: str,
        chunk: list[tuple[int, RecordMeasurement]],
        actor: str,
        request_id: str | None,
    ) -> list[ItemResult]:
        sources = {command.source_system for _, command in chunk}
        metadata = Metadata(
            actor=actor,
            recorded_at=dt.datetime.now(dt.UTC),
            correlation_id=request_id,
            source_system=sources.pop() if len(sources) == 1 and "" not in sources else None,
        )
        batch = await self.ledger.execute_batch(
            tenant_id, [command for _, command in chunk], metadata
        )
        found: list[ItemResult] = []
        for (index, command), outcome in zip(chunk, batch.outcomes, strict=True):
            if outcome.error is not None:
                found.append(_refused(index, outcome.error))
            else:
                found.append(_stored(index, command, outcome.events))
        return found

    async def _decide_only(
        self, tenant_id: str, chunk: list[tuple[int, RecordMeasurement]]
    ) -> list[ItemResult]:
        decider: Any = scorecard_decider
        state, _ = await self.ledger.executor.load(
            tenant_id,
            scorecard_stream(chunk[0][1].scorecard_id),
            decider,
            codec,
            snapshots=scorecard_snapshots,
        )
        found: list[ItemResult] = []
        for index, command in chunk:
            try:
                events = scorecard_decider.decide(command, state)
            except DomainError as error:
                found.append(_refused(index, error))
                continue
            for event in events:
                state = scorecard_decider.evolve(state, event)
            stored = _stored(index, command, list(events))
            # The ids a real run would give are drawn then; a dry run names none.
            found.append(replace(stored, measurement_id=None))
        return found

    async def _recovered(self, tenant_id: str, results: list[ItemResult]) -> list[ItemResult]:
        """Items an earlier attempt of the same request stored, reported as it stored them."""
        taken = {
            result.measurement_id: result.index
            for result in results
            if result.code == "measurement.already_exists" and result.measurement_id
        }
        if not taken:
            return results
        query = (
            sa.select(measurements.c.measurement_id, measurements.c.supersedes)
            .where(
                measurements.c.tenant_id == tenant_id,
                measurements.c.measurement_id.in_(list(taken)),
            )
            .distinct()
        )
        async with self.engine.connect() as conn:
            stored = {row.measurement_id: row.supersedes for row in await conn.execute(query)}
        recovered = list(results)
        for measurement_id, index in taken.items():
            if measurement_id not in stored:
                continue
            supersedes = stored[measurement_id]
            outcome = Outcome.CREATED if supersedes is None else Outcome.SUPERSEDED
            recovered[index] = ItemResult(index, outcome, measurement_id, supersedes)
        return recovered


def _command(item: MeasurementItem, measurement_id: str) -> RecordMeasurement:
    return RecordMeasurement(
        scorecard_id=item.scorecard,
        measurement_id=measurement_id,
        kpi_id=item.kpi,
        period=Period.parse(item.period),
        value=item.value,
        not_available=item.not_available,
        source_system=item.source,
        external_reference=item.external_ref,
        note=item.note,
        reason=item.reason,
    )


def _refused(index: int, error: Exception) -> ItemResult:
    if not isinstance(error, DomainError):
        raise error
    result = ItemResult.refused(index, error)
    if error.code == "measurement.duplicate":
        return ItemResult(index, Outcome.UNCHANGED, measurement_id=str(error.value))
    if error.code == "measurement.already_exists":
        # Kept with the id so that _recovered can tell which earlier write it was.
        return ItemResult(
            index, Outcome.ERROR, str(error.value), None, result.code, None, result.message
        )
    return result


def _stored(index: int, command: RecordMeasurement, events: Sequence[object]) -> ItemResult:
    for event in events:
        if isinstance(event, MeasurementCorrected):
            return ItemResult(index, Outcome.SUPERSEDED, event.measurement_id, event.supersedes)
        if isinstance(event, MeasurementRecorded):
            return ItemResult(index, Outcome.CREATED, event.measurement_id)
    return ItemResult(index, Outcome.CREATED, command.measurement_id)
