"""``scoreledger projections status`` and ``rebuild``, on both backends."""

from __future__ import annotations

import sqlalchemy as sa

from eventstore import START
from projections import failures
from projections.tables import generations
from tests.e2e.cli import scoreledger
from tests.e2e.conftest import Api, build_small_scorecard
from tests.e2e.rest import read_model_content


async def _generations(api: Api) -> dict[str, int]:
    async with api.runtime.store.engine.connect() as conn:
        return {row.name: row.generation for row in await conn.execute(sa.select(generations))}


def _row(output: str, name: str) -> list[str]:
    """The cells of projection ``name``'s row in a table printed by the command."""
    for line in output.splitlines():
        cells = [cell.strip() for cell in line.strip("│ ").split("│")]
        if cells and cells[0] == name:
            return cells
    raise AssertionError(f"no row for {name} in:\n{output}")


async def test_status_shows_each_projection_with_its_checkpoint_lag_and_runner(
    api: Api, database_url: str
) -> None:
    await build_small_scorecard(api)
    for runner in api.runtime.runners:
        await runner.active.wait()

    result = await scoreledger(database_url, "projections", "status")

    assert result.exit_code == 0, result.output
    assert _row(result.stdout, "read_models")[:3] == ["read_models", "inline", "1"]
    for name in ("period_snapshots", "audit"):
        _, kind, generation, checkpoint, lag, seconds, leader = _row(result.stdout, name)
        assert (kind, generation) == ("async", "1")
        assert checkpoint.count(":") == 1 and int(lag.replace(",", "")) >= 0
        assert float(seconds) >= 0
        # The app's runners lead: this process holds the lock file, or a backend the lock.
        assert leader.startswith(("process ", "backend ")), leader


async def test_rebuild_replays_every_projection_into_a_new_generation_with_equal_rows(
    api: Api, database_url: str
) -> None:
    await build_small_scorecard(api)
    await api.ok(
        "recordMeasurement",
        {"scorecardId": "ops", "kpiId": "availability", "period": "2026-03", "value": 64},
    )
    before = await read_model_content(api.runtime.store)

    result = await scoreledger(database_url, "projections", "rebuild")

    assert result.exit_code == 0, result.output
    assert await _generations(api) == {
        "read_models": 2,
        "period_snapshots": 2,
        "audit": 2,
        "ledger": 2,
    }
    assert await read_model_content(api.runtime.store) == before
    for name in ("read_models", "period_snapshots", "audit", "ledger"):
        assert _row(result.stdout, name)[1] == "2"

    one = await scoreledger(database_url, "projections", "rebuild", "audit")

    assert one.exit_code == 0, one.output
    assert await _generations(api) == {
        "read_models": 2,
        "period_snapshots": 2,
        "audit": 3,
        "ledger": 2,
    }


async def test_rebuilding_an_unknown_projection_is_a_usage_error_listing_the_names(
    api: Api, database_url: str
) -> None:
    result = await scoreledger(database_url, "projections", "rebuild", "audits")

    assert result.exit_code == 2
    assert (
        "NAME: there is no projection 'audits'; the projections are: "
        "read_models, period_snapshots, audit"
    ) in result.stderr
    assert await _generations(api) == {}


async def test_status_prints_the_last_error_a_runner_recorded(api: Api, database_url: str) -> None:
    await failures.record(
        api.runtime.store.write_engine, "audit", ValueError("bad event data"), START
    )

    result = await scoreledger(database_url, "projections", "status")

    assert result.exit_code == 0, result.output
    (line,) = [line for line in result.stdout.splitlines() if line.startswith("last error")]
    assert line.startswith("last error of audit at 20")
    assert line.endswith(": ValueError: bad event data")


async def test_a_bad_setting_is_a_usage_error_naming_the_variable() -> None:
    result = await scoreledger("mysql://db/scoreledger", "projections", "status")

    assert result.exit_code == 2
    assert (
        "invalid settings: SCORELEDGER_DATABASE_URL: use sqlite:///FILE or "
        "postgresql://user@host/db"
    ) in result.stderr
