"""A warm command on PostgreSQL makes at most four round trips: BEGIN, the events INSERT,
the read model's INSERT, COMMIT (no catch-up read, no tail read, no SAVEPOINT, no question
for the live generation)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import event

from eventstore.factory import open_store
from tests.integration.projections.support import Scenario, build_small_scorecard, measure


async def test_a_warm_measurement_costs_four_round_trips(database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("round trips are a PostgreSQL concern (SQLite runs in process)")
    store = open_store(database_url)
    seen: list[str] = []
    counting = False

    def driver_query(record: Any) -> None:  # statements sent on the driver itself
        if counting:
            seen.append(record.query)

    def on_connect(dbapi_connection: Any, _: Any) -> None:
        dbapi_connection.driver_connection.add_query_logger(driver_query)

    def sqlalchemy_statement(
        conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool
    ) -> None:
        # An executemany also passes the driver's logger; count it there only.
        if counting and not many:
            seen.append(statement)

    event.listen(store.engine.sync_engine, "connect", on_connect)
    event.listen(store.engine.sync_engine, "before_cursor_execute", sqlalchemy_statement)
    reads = 0
    read_stream = store.read_stream

    async def counted_read_stream(*args: Any, **kwargs: Any) -> Any:
        nonlocal reads
        reads += 1
        return await read_stream(*args, **kwargs)

    store.read_stream = counted_read_stream  # type: ignore[method-assign]
    try:
        s = Scenario(store)
        await build_small_scorecard(s)
        await s.run(measure("m-warm-1", "avail", "2027-05", 99.0))  # the state is now cached
        reads_before = reads
        counting = True
        await s.run(measure("m-warm-2", "avail", "2027-06", 98.5))
        counting = False
        assert reads == reads_before, "a warm command read the stream"
        # (the driver reports its statements from a callback, so the order is not kept)
        kinds = sorted(statement.split()[0].strip(";").upper() for statement in seen)
        assert kinds == ["BEGIN", "COMMIT", "INSERT", "INSERT"], seen
        targets = sorted(statement.split()[2] for statement in seen if "INSERT" in statement)
        assert targets == ["events", "rm_measurements"], seen
    finally:
        event.remove(store.engine.sync_engine, "connect", on_connect)
        event.remove(store.engine.sync_engine, "before_cursor_execute", sqlalchemy_statement)
        await store.close()
