"""Writers in separate operating-system processes on one scorecard, on both backends, and a
period close racing with measurements for that period.

Two processes with eight concurrent tasks each write sixteen measurements into one
scorecard. Within a process the tasks queue on the stream; across processes a lost race is
always a commit of the other process, which has eight commands, so nine attempts always
suffice: with that bound no command may fail, and each must be stored exactly once.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import queue as queue_module
from datetime import datetime
from typing import Any

import pytest

from domain.errors import DomainError
from domain.scorecard import commands as c
from eventstore import Metadata
from eventstore.factory import open_store
from ledger import Ledger
from streams import scorecard_stream
from tests.integration.projections.support import SC, P, Scenario, measure

PROCESSES = 2
TASKS = 8
KPIS = ("avail", "mttr", "cost")
MEASURED = {"scorecard.measurement_recorded", "scorecard.measurement_corrected"}


def _command(n: int) -> c.RecordMeasurement:
    command = measure(f"p{n}", KPIS[n % 3], f"2027-{n // 3 + 1:02d}", float(n))
    assert isinstance(command, c.RecordMeasurement)
    return command


async def _write(
    url: str, tenant_id: str, numbers: list[int], recorded_at: str, barrier: Any
) -> list[tuple[str, int, int] | str]:
    store = open_store(url)
    try:
        ledger = Ledger(store, max_attempts=TASKS + 1)
        metadata = Metadata(actor="feed", recorded_at=datetime.fromisoformat(recorded_at))
        start = asyncio.Barrier(len(numbers))
        await asyncio.to_thread(barrier.wait, 60)

        async def one(n: int) -> tuple[str, int, int] | str:
            await start.wait()
            try:
                result = await ledger.execute(tenant_id, _command(n), metadata)
            except Exception as error:  # reported to the parent, which fails the test
                return f"p{n}: {error!r}"
            return (f"p{n}", result.version, result.attempts)

        return list(await asyncio.gather(*(one(n) for n in numbers)))
    finally:
        await store.close()


def _writer_process(
    url: str, tenant_id: str, numbers: list[int], recorded_at: str, barrier: Any, out: Any
) -> None:
    out.put(asyncio.run(_write(url, tenant_id, numbers, recorded_at, barrier)))


async def test_sixteen_writers_in_two_processes_store_every_command_exactly_once(
    s: Scenario, database_url: str
) -> None:
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(PROCESSES)
    out = context.Queue()
    recorded_at = s.clock.tick().isoformat()
    workers = [
        context.Process(
            target=_writer_process,
            args=(
                database_url,
                s.tenant_id,
                list(range(p, PROCESSES * TASKS, PROCESSES)),
                recorded_at,
                barrier,
                out,
            ),
        )
        for p in range(PROCESSES)
    ]
    for worker in workers:
        worker.start()
    try:
        reports: list[Any] = []
        for _ in workers:
            reports.extend(await asyncio.to_thread(out.get, True, 240))
    except queue_module.Empty:
        pytest.fail("a writer process did not report within four minutes")
    finally:
        for worker in workers:
            await asyncio.to_thread(worker.join, 30)
            if worker.is_alive():
                worker.kill()
    failures = [r for r in reports if isinstance(r, str)]
    assert failures == []
    assert len({version for _, version, _ in reports}) == PROCESSES * TASKS
    stored = await s.store.read_stream(s.tenant_id, scorecard_stream(SC))
    ids = [r.data.get("measurement_id") for r in stored]
    written = [i for i in ids if isinstance(i, str) and i.startswith("p")]
    assert sorted(written) == sorted(f"p{n}" for n in range(PROCESSES * TASKS))


@pytest.mark.parametrize("same_process", [True, False])
async def test_a_period_close_racing_with_measurements_never_lets_one_land_in_it(
    s: Scenario, same_process: bool
) -> None:
    first = Ledger(s.store, max_attempts=20)
    second = first if same_process else Ledger(s.store, max_attempts=20)
    for ledger in (first, second):
        ledger.executor.backoff = lambda attempt: 0.0
    period = "2027-01"
    commands: list[Any] = [
        measure(f"race{n}", KPIS[n % 3], period, float(n), reason="re-read") for n in range(6)
    ]
    commands.insert(3, c.ClosePeriod(scorecard_id=SC, period=P(period)))
    barrier = asyncio.Barrier(len(commands))
    metadata = Metadata(actor="feed", recorded_at=s.clock.tick())

    async def run(n: int, command: Any) -> Any:
        await barrier.wait()
        ledger = (first, second)[n % 2]
        try:
            return await ledger.execute(s.tenant_id, command, metadata)
        except DomainError as error:
            return error

    results = await asyncio.gather(*(run(n, command) for n, command in enumerate(commands)))
    refused = [r for r in results if isinstance(r, DomainError)]
    assert {r.code for r in refused} <= {"period.closed"}
    stored = await s.store.read_stream(s.tenant_id, scorecard_stream(SC))
    closes = [r.version for r in stored if r.event_type == "scorecard.period_closed"]
    assert len(closes) == 1
    landed = [
        r for r in stored if r.event_type in MEASURED
        and r.data.get("measurement_id", "").startswith("race")
    ]  # fmt: skip
    assert all(r.version < closes[0] for r in landed)
    assert len(landed) + len(refused) == 6
