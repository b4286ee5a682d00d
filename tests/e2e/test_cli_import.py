"""``scoreledger import``: the REST CSV import's rules and per-row results from the command
line; a dry run writes nothing; any failed row makes the exit code 1."""

from __future__ import annotations

from pathlib import Path

import orjson
import sqlalchemy as sa

from api.ingest import Ingestion, ItemIds
from api.ingest.csvfile import parse_csv
from eventstore.tables import events as events_table
from tests.e2e.cli import scoreledger
from tests.e2e.conftest import TENANT, Api, build_small_scorecard
from tests.e2e.rest import event_count, item, post_batch, post_csv, read_model_content
from tests.e2e.test_rest_import import FILE, without_ids


async def _prepared(api: Api, tmp_path: Path) -> Path:
    """The REST import test's state (a closed January, two earlier values) and its file."""
    await build_small_scorecard(api)
    await api.ok("closePeriod", {"scorecardId": "ops", "period": "2026-01"})
    await post_batch(api, [item("availability", "2026-02", 97.0)])
    await post_batch(api, [item("availability", "2026-04", 97.0, external_ref="mon-8")])
    path = tmp_path / "readings.csv"
    path.write_bytes(FILE)
    return path


def _rows(output: str) -> list[dict[str, object]]:
    body = orjson.loads(output)
    return [
        {k: v for k, v in r.items() if k not in ("measurement_id", "supersedes")}
        for r in body["results"]
    ]


async def test_the_cli_import_reports_what_the_rest_import_reports_and_a_dry_run_writes_nothing(
    api: Api, database_url: str, tmp_path: Path
) -> None:
    path = await _prepared(api, tmp_path)
    store = api.runtime.store
    events = await event_count(store)
    content = await read_model_content(store)
    expected = without_ids(await post_csv(api, FILE, dry_run=True))

    dry = await scoreledger(
        database_url, "import", str(path), "--org", TENANT, "--dry-run", "--json"
    )

    assert dry.exit_code == 1, dry.output  # some rows are refused
    assert orjson.loads(dry.stdout)["dry_run"] is True
    assert _rows(dry.stdout) == expected
    assert await event_count(store) == events
    assert await read_model_content(store) == content

    real = await scoreledger(
        database_url, "import", str(path), "--org", TENANT, "--actor", "ops-script", "--json"
    )

    assert real.exit_code == 1, real.output
    body = orjson.loads(real.stdout)
    assert body["dry_run"] is False
    assert _rows(real.stdout) == expected
    assert body["counts"] == {"created": 2, "superseded": 1, "unchanged": 1, "error": 7}
    assert await event_count(store) - events == 3
    async with store.engine.connect() as conn:
        query = (
            sa.select(events_table.c.metadata)
            .order_by(events_table.c.global_position.desc())
            .limit(3)
        )
        written = (await conn.execute(query)).scalars().all()
    assert {metadata["actor"] for metadata in written} == {"ops-script"}


async def test_the_cli_import_prints_the_failed_rows_and_the_counts(
    api: Api, database_url: str, tmp_path: Path
) -> None:
    await build_small_scorecard(api)
    path = tmp_path / "two.csv"
    path.write_text(
        "scorecard,kpi,period,value\nops,availability,2026-03,98\nops,uptime,2026-03,99\n"
    )

    result = await scoreledger(database_url, "import", str(path), "--org", TENANT)

    assert result.exit_code == 1, result.output
    lines = result.stdout.splitlines()
    assert any(
        "│   3 │ kpi   │ kpi.not_found │ no such KPI (kpi_id='uptime')" in line for line in lines
    ), result.stdout
    assert "Imported." in result.stdout
    assert any(line.split() == ["│", "created", "│", "1", "│"] for line in lines)
    assert any(line.split() == ["│", "error", "│", "1", "│"] for line in lines)

    path.write_text("scorecard,kpi,period,value\nops,availability,2026-03,98\n")
    again = await scoreledger(database_url, "import", str(path), "--org", TENANT)

    assert again.exit_code == 0, again.output
    assert "Rows with errors" not in again.stdout
    assert any(
        line.split() == ["│", "unchanged", "│", "1", "│"] for line in again.stdout.splitlines()
    )


async def test_bad_options_are_usage_errors_and_a_bad_file_a_failure(
    api: Api, database_url: str, tmp_path: Path
) -> None:
    await build_small_scorecard(api)
    events = await event_count(api.runtime.store)
    good = tmp_path / "good.csv"
    good.write_text("scorecard,kpi,period,value\nops,availability,2026-03,98\n")
    bad = tmp_path / "bad.csv"
    bad.write_text("scorecard,kpi,period,value,colour\nops,availability,2026-03,98,red\n")

    org = await scoreledger(database_url, "import", str(good), "--org", "not an id")
    assert org.exit_code == 2
    assert "--org: organization id 'not an id' must be" in org.stderr
    actor = await scoreledger(database_url, "import", str(good), "--org", TENANT, "--actor", " ")
    assert actor.exit_code == 2
    assert "--actor:" in actor.stderr
    missing = await scoreledger(database_url, "import", str(tmp_path / "nope.csv"), "--org", TENANT)
    assert missing.exit_code == 2
    assert "does not exist" in missing.output
    no_org = await scoreledger(database_url, "import", str(good))
    assert no_org.exit_code == 2
    assert "--org" in no_org.output
    columns = await scoreledger(database_url, "import", str(bad), "--org", TENANT)
    assert columns.exit_code == 1
    assert f"{bad}: unknown column(s) colour" in columns.stderr
    assert await event_count(api.runtime.store) == events


async def test_the_import_progress_counts_every_row_once_its_result_is_known(api: Api) -> None:
    await build_small_scorecard(api)
    rows = parse_csv(FILE)
    told: list[int] = []
    ingestion = Ingestion(api.runtime.ledger, api.runtime.store.engine, progress=told.append)

    report = await ingestion.run(TENANT, rows.items, ItemIds(), actor="test", dry_run=True)

    assert told == sorted(told) and told[-1] == len(rows.items) == len(report.results)
