"""Commands waiting for one scorecard's turn are decided against one state and appended in
one transaction, on both backends; each caller gets its own result, its own version and its
own metadata on its events, or its own DomainError, and the others are stored."""

from __future__ import annotations

import asyncio
from typing import Any

from domain.commands import Command
from domain.errors import DomainError
from eventstore import Metadata
from streams import scorecard_stream
from tests.integration.projections.support import SC, Scenario, measure


async def _held(s: Scenario, commands: list[Command], keys: list[str | None]) -> list[Any]:
    """Start every command while the stream's turn is held, so all of them wait, then let
    them go; return each one's result or error."""
    executor = s.ledger.executor
    stream = (s.tenant_id, scorecard_stream(SC))
    async with executor._queue.turn(stream):
        tasks = [
            asyncio.create_task(
                s.ledger.execute(
                    s.tenant_id,
                    command,
                    Metadata(actor=f"writer-{n}", recorded_at=s.clock.tick()),
                    idempotency_key=key,
                )
            )
            for n, (command, key) in enumerate(zip(commands, keys, strict=True))
        ]
        # Yield (no timed wait) until every task waits for the turn: an exact condition.
        while executor._queue.users(stream) < 1 + len(tasks):  # noqa: ASYNC110
            await asyncio.sleep(0)
    return await asyncio.gather(*tasks, return_exceptions=True)


async def test_waiting_commands_are_stored_in_one_append_and_a_failing_one_fails_alone(s):
    before = (await s.store.stream_info(s.tenant_id, scorecard_stream(SC))).version
    good = [measure(f"q-{n}", "avail", f"2027-{n + 1:02d}", float(n)) for n in range(5)]
    reused = measure("q-1", "cost", "2027-01", 1.0)
    unknown = measure("q-9", "no-such-kpi", "2027-01", 1.0)
    commands = [*good[:2], reused, *good[2:4], unknown, good[4]]
    results = await _held(s, commands, [None] * len(commands))

    errors = {n: r.code for n, r in enumerate(results) if isinstance(r, DomainError)}
    assert errors == {2: "measurement.already_exists", 5: "kpi.not_found"}
    stored = [r for n, r in enumerate(results) if n not in errors]
    assert len({r.token for r in stored}) == 1, "not one append"
    assert [r.version for r in stored] == list(range(before + 1, before + 6))
    assert [r.events[0].measurement_id for r in stored] == [f"q-{n}" for n in range(5)]
    assert all(r.state.measurements[(r.events[0].kpi_id, r.events[0].period)].measurement_id
               == r.events[0].measurement_id for r in stored)  # fmt: skip
    recorded = await s.store.read_stream(s.tenant_id, scorecard_stream(SC), from_version=before + 1)
    actors = [r.metadata.actor for r in recorded]
    assert actors == ["writer-0", "writer-1", "writer-3", "writer-4", "writer-6"]
    assert len(s.ledger.executor._waiting) == 0 and len(s.ledger.executor._queue) == 0


async def test_commands_with_idempotency_keys_are_appended_one_by_one(s):
    commands = [measure(f"k-{n}", "avail", f"2028-{n + 1:02d}", float(n)) for n in range(3)]
    results = await _held(s, commands, ["a", "b", "c"])
    assert len({r.token for r in results}) == 3
    again = await s.ledger.execute(
        s.tenant_id, commands[1], Metadata(actor="x", recorded_at=s.clock.tick()),
        idempotency_key="b",
    )  # fmt: skip
    assert again.duplicate and again.token == results[1].token
