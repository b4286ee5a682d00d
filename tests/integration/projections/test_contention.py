"""Concurrent writers on one scorecard, on both backends: tasks of one process take turns
(never a ConcurrencyError, never a retry), two executors standing for two processes retry
with the fresher state, and twins with one idempotency key both get the first result."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from domain.commands import Command
from eventstore import Metadata
from ledger import Ledger
from streams import scorecard_stream
from tests.integration.projections.support import SC, Scenario, measure

WRITERS = 8


def _ledger(s: Scenario, **kw: Any) -> Ledger:
    ledger = Ledger(s.store, **kw)
    ledger.executor.backoff = lambda attempt: 0.0
    return ledger


async def _together(s: Scenario, jobs: list[tuple[Ledger, Command, str | None]]) -> list[Any]:
    barrier = asyncio.Barrier(len(jobs))
    metadata = Metadata(actor="feed", recorded_at=s.clock.tick())

    async def run(ledger: Ledger, command: Command, key: str | None) -> Any:
        await barrier.wait()
        return await ledger.execute(s.tenant_id, command, metadata, idempotency_key=key)

    return await asyncio.gather(*(run(*job) for job in jobs))


def _command(n: int) -> Command:
    return measure(f"w{n}", ("avail", "mttr", "cost")[n % 3], f"2027-{n // 3 + 1:02d}", float(n))


async def test_tasks_of_one_process_on_one_scorecard_take_turns_and_never_conflict(s):
    ledger = _ledger(s, max_attempts=1)
    before = (await s.store.stream_info(s.tenant_id, scorecard_stream(SC))).version
    results = await _together(s, [(ledger, _command(n), None) for n in range(WRITERS)])
    assert [r.attempts for r in results] == [1] * WRITERS
    assert sorted(r.version for r in results) == list(range(before + 1, before + WRITERS + 1))
    assert len(ledger.executor._queue) == 0


async def test_two_processes_on_one_scorecard_retry_with_fresh_state_until_all_are_stored(s):
    # Each lost race is a commit of the other process: 4 commands each, 5 attempts suffice.
    first, second = _ledger(s), _ledger(s)
    jobs = [((first, second)[n % 2], _command(n), None) for n in range(WRITERS)]
    results = await _together(s, jobs)
    stored = await s.store.read_stream(s.tenant_id, scorecard_stream(SC))
    ids = [r.data.get("measurement_id") for r in stored]
    assert sorted(i for i in ids if i and i.startswith("w")) == sorted(f"w{n}" for n in range(8))
    assert len({r.version for r in results}) == WRITERS


@pytest.mark.parametrize("same_process", [True, False])
async def test_twins_with_one_idempotency_key_both_get_the_first_result(s, same_process):
    ledger = _ledger(s)
    other = ledger if same_process else _ledger(s)
    command = _command(0)
    one, two = await _together(s, [(ledger, command, "twin"), (other, command, "twin")])
    assert one.token == two.token and [one.duplicate, two.duplicate].count(True) == 1
    stored = await s.store.read_stream(s.tenant_id, scorecard_stream(SC))
    assert [r.data.get("measurement_id") for r in stored].count("w0") == 1
