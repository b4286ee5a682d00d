"""Every GraphQL example in the README runs against the demo without an error."""

from __future__ import annotations

import re
from pathlib import Path

import orjson

from api.auth.roles import Role
from api.demo import DEMO_TENANT
from eventstore import START
from ledger.demo import DemoOptions, generate
from tests.e2e.conftest import Api
from tests.e2e.shell_examples import Shell, section_blocks

README = Path(__file__).resolve().parents[2] / "README.md"


def examples() -> list[str]:
    return re.findall(r"```graphql\n(.*?)```", README.read_text(), re.S)


def test_the_readme_has_query_and_mutation_examples() -> None:
    found = examples()
    assert len(found) >= 6
    assert any(e.lstrip().startswith("mutation") for e in found)


async def test_every_readme_example_runs_on_the_demo(api: Api) -> None:
    await generate(api.runtime.ledger, DemoOptions(tenant_id=DEMO_TENANT))
    issued = await api.runtime.tokens.create(DEMO_TENANT, Role.ADMIN)
    api.tokens[(DEMO_TENANT, Role.ADMIN)] = issued.secret
    for example in examples():
        data = await api.query(example, tenant=DEMO_TENANT)
        assert data, example
        for value in data.values():
            assert value is not None, example
        if "recordMeasurement" in data:
            payload = data["recordMeasurement"]
            assert payload["userErrors"] == []
            assert payload["kpi"]["actual"] == 4.1
        if "scorecard" in data and data["scorecard"].get("perspectives"):
            assert len(data["scorecard"]["perspectives"]) == 4
        if "integrity" in data:
            assert data["integrity"]["ok"] is True


async def test_the_integrator_examples_run_on_the_demo_as_written(
    api: Api, database_url: str, tmp_path: Path
) -> None:
    await generate(api.runtime.ledger, DemoOptions(tenant_id=DEMO_TENANT))
    blocks = section_blocks(README.read_text(), "Integrators")
    assert len(blocks) >= 3
    shell = Shell(api.http, database_url, tmp_path)
    for block in blocks:
        await shell.run(block)
    by_path = {}
    for response in shell.responses:
        by_path.setdefault(response.request.url.path, []).append(response)
    (batch,) = by_path["/v1/measurements"]
    assert batch.status_code == 207
    assert [r["status"] for r in batch.json()["results"]] == ["created", "created"]
    dry, real = by_path["/v1/measurements/import"]
    assert dry.json()["dry_run"] is True and real.json()["dry_run"] is False
    assert [r["status"] for r in dry.json()["results"]] == ["created", "created"]
    assert [(r["row"], r["status"]) for r in real.json()["results"]] == [
        (2, "created"),
        (3, "created"),
    ]
    first, then = by_path["/v1/events"]
    *read, last = [orjson.loads(line) for line in first.text.splitlines()]
    *more, _ = [orjson.loads(line) for line in then.text.splitlines()]
    assert len(read) == 500 and last["more"] is True
    expected = await api.runtime.store.read_feed(START, tenant_id=DEMO_TENANT, limit=501)
    assert more[0]["eventId"] == str(expected[500].event_id)
