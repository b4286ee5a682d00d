"""Executing domain commands: the right stream and decider, inline read models."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any, cast

from domain.commands import Command
from domain.errors import DomainError, reject
from domain.events import Event
from domain.organization import (
    OrganizationCommand,
    OrganizationState,
    active_team,
    organization_decider,
)
from domain.scorecard import lookups, scorecard_decider
from domain.scorecard.commands import AlignObjective, CreateScorecard, ScorecardCommand
from domain.scorecard.state import ScorecardState
from eventstore import Metadata
from eventstore.batches import BatchResult, CommandOutcome
from eventstore.executor import CommandExecutor, ExecutionResult
from eventstore.store import EventStore
from ledger.state_snapshots import scorecard_snapshots
from projections.projection import Inline
from projections.read_models import ReadModelProjection
from streams.codec import codec
from streams.names import ORGANIZATION_STREAM as ORGANIZATION_STREAM
from streams.names import scorecard_stream as scorecard_stream


def stream_of(command: Command) -> str:
    """The stream a command acts on: the tenant's organization, or one scorecard."""
    if isinstance(command, OrganizationCommand):
        return ORGANIZATION_STREAM
    if isinstance(command, ScorecardCommand):
        return scorecard_stream(command.scorecard_id)
    raise TypeError(f"no stream for command {type(command).__name__}")


def team_named_by(command: Command) -> str | None:
    """The team a scorecard command places the scorecard in, if it names one."""
    return command.team_id if isinstance(command, CreateScorecard) else None


def check_team(organization: OrganizationState, command: Command) -> None:
    """Reject a command naming a team the organization does not have as an active team
    (``organization.not_found``, ``team.not_found``, ``team.archived``). The scorecard
    stream does not know the teams; the organization stream does."""
    team_id = team_named_by(command)
    if team_id is not None:
        active_team(organization, team_id)


def check_alignment(parent: ScorecardState, command: AlignObjective) -> None:
    """Reject an alignment to a scorecard or objective that does not exist (or is retired)
    in the tenant: the objective's own stream cannot see the parent scorecard's."""
    if not parent.exists:
        raise reject(
            "scorecard.not_found",
            "no such parent scorecard",
            field="parent_scorecard_id",
            value=command.parent_scorecard_id,
        )
    lookups.objective(parent, command.parent_objective_id, field="parent_objective_id")


def fingerprint(command: Command) -> str:
    """What identifies a request for idempotency: the command's type and content."""
    body = type(command).__name__ + ":" + command.model_dump_json()
    return hashlib.sha256(body.encode()).hexdigest()


class Ledger:
    """Runs commands through the store's executor with the read models updated inline.

    Scorecard states are cached and snapshotted beside their streams every
    ``snapshot_every`` events (see :mod:`eventstore.executor`), so a command's cost does not
    grow with the scorecard's history.
    """

    def __init__(
        self,
        store: EventStore,
        *,
        max_attempts: int = 5,
        snapshot_every: int = 500,
        compact_segments: int = 16,
    ) -> None:
        self.store = store
        self.executor = CommandExecutor(
            store,
            max_attempts=max_attempts,
            cache_size=256,
            snapshot_every=snapshot_every,
            compact_segments=compact_segments,
        )
        self.inline = (Inline(ReadModelProjection()),)

    async def execute(
        self,
        tenant_id: str,
        command: Command,
        metadata: Metadata,
        *,
        idempotency_key: str | None = None,
    ) -> ExecutionResult[Event, Any]:
        """Execute ``command``; DomainErrors propagate and nothing is written then.

        A command naming a team is first checked against the organization stream (a retry
        with the idempotency key of a command already applied returns its first result).
        """
        if team_named_by(command) is not None and not await self._applied_before(
            tenant_id, idempotency_key
        ):
            organization, _ = await self.organization(tenant_id)
            check_team(organization, command)
        if isinstance(command, AlignObjective) and not await self._applied_before(
            tenant_id, idempotency_key
        ):
            parent, _ = await self.executor.load(
                tenant_id,
                scorecard_stream(command.parent_scorecard_id),
                cast(Any, scorecard_decider),
                codec,
                snapshots=scorecard_snapshots,
            )
            check_alignment(parent, command)
        decider, snapshots = _decider_of(command)
        return await self.executor.execute(
            tenant_id,
            stream_of(command),
            command,
            decider,
            codec,
            metadata,
            idempotency_key=idempotency_key,
            request_hash=None if idempotency_key is None else fingerprint(command),
            inline=self.inline,
            snapshots=snapshots,
        )

    async def execute_batch(
        self,
        tenant_id: str,
        commands: Sequence[Command],
        metadata: Metadata,
        *,
        idempotency_key: str | None = None,
    ) -> BatchResult[Event, Any]:
        """Execute commands of one stream as one batch: decided in order against one state
        (each sees the events of those before it), appended in one transaction, with an
        outcome per command: its events, or the DomainError it raised (it then wrote
        nothing and did not stop the others).

        With an idempotency key, a retry of the same batch returns the first one's position
        marked duplicate, without outcomes.
        """
        if not commands:
            raise ValueError("a batch needs at least one command")
        streams = {stream_of(command) for command in commands}
        if len(streams) != 1:
            raise ValueError(f"a batch acts on one stream, not {sorted(streams)}")
        refused: dict[int, DomainError] = {}
        if any(team_named_by(command) is not None for command in commands) and not (
            await self._applied_before(tenant_id, idempotency_key)
        ):
            organization, _ = await self.organization(tenant_id)
            for index, command in enumerate(commands):
                try:
                    check_team(organization, command)
                except DomainError as error:
                    refused[index] = error
        decider, snapshots = _decider_of(commands[0])
        batch = await self.executor.execute_batch(
            tenant_id,
            streams.pop(),
            [command for index, command in enumerate(commands) if index not in refused],
            decider,
            codec,
            metadata,
            rejections=(DomainError,),
            idempotency_key=idempotency_key,
            request_hash=None if idempotency_key is None else _batch_fingerprint(commands),
            inline=self.inline,
            snapshots=snapshots,
        )
        if not refused or batch.duplicate:
            return batch
        decided = iter(batch.outcomes)
        outcomes: list[CommandOutcome[Event]] = [
            CommandOutcome(error=refused[index]) if index in refused else next(decided)
            for index in range(len(commands))
        ]
        return BatchResult(
            outcomes,
            batch.state,
            batch.version,
            batch.position,
            batch.transaction_id,
            batch.attempts,
        )

    async def organization(self, tenant_id: str) -> tuple[OrganizationState, int]:
        """The tenant's organization stream folded: its state and version."""
        decider: Any = organization_decider
        state, version = await self.executor.load(tenant_id, ORGANIZATION_STREAM, decider, codec)
        return state, version

    async def _applied_before(self, tenant_id: str, idempotency_key: str | None) -> bool:
        if idempotency_key is None:
            return False
        return await self.store.lookup_idempotency(tenant_id, idempotency_key) is not None


def _decider_of(command: Command) -> tuple[Any, Any]:
    """The decider of the command's aggregate and the codec of its snapshots (if any)."""
    if isinstance(command, OrganizationCommand):
        return organization_decider, None
    return scorecard_decider, scorecard_snapshots


def _batch_fingerprint(commands: Sequence[Command]) -> str:
    """What identifies a batch for idempotency: its commands' fingerprints in order."""
    return hashlib.sha256(":".join(fingerprint(c) for c in commands).encode()).hexdigest()
