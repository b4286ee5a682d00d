"""Every example of the guides in docs/ runs: the GraphQL documents through a live server
(subscriptions over graphql-transport-ws), the shell blocks as written through the README's
shell machinery (curl, the CLI, the worker and server processes, pg_dump, sqlite3). Every
guide in turn on a demo on SQLite; the operations guide's PostgreSQL sections on PostgreSQL
(the API contract itself is tested on both backends elsewhere). The demo is the one
``serve --demo`` seeds, made by the same generator with fewer KPIs and months (the guides
name only the first five KPIs and the last months), so that the run stays short."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import orjson
import pytest

from api.auth.roles import Role
from api.demo import DEMO_TENANT
from ledger.demo import DemoOptions, generate
from tests.databases import PostgresDatabases
from tests.e2e.conftest import Api, build_small_scorecard, e2e_settings, serve
from tests.e2e.graphql_examples import GraphQLExamples
from tests.e2e.shell_examples import Shell, fenced
from tests.e2e.test_subscriptions import LiveServer
from tests.feed import settled

DOCS = Path(__file__).resolve().parents[2] / "docs"
GUIDES = ("frontend.md", "auditor.md", "integrator.md", "operations.md")


def guide(name: str) -> str:
    return (DOCS / name).read_text()


def sections(text: str) -> dict[str, str]:
    """The guide's text by level-2 heading."""
    parts = text.split("\n## ")
    return {part.split("\n", 1)[0]: part for part in parts[1:]}


@pytest.fixture
async def demo(sqlite_url: str) -> AsyncIterator[tuple[LiveServer, Api]]:
    server = LiveServer(sqlite_url)
    task = asyncio.create_task(server.server.serve(sockets=[server.sock]))
    try:
        transport = httpx.ASGITransport(app=server.app)
        async with (
            httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.port}") as real,
            httpx.AsyncClient(transport=transport, base_url="http://test") as http,
        ):
            await real.get("/healthz")  # waits in the backlog until startup has finished
            api = Api(http, server.runtime)
            options = DemoOptions(tenant_id=DEMO_TENANT, kpis=10, months=12)
            await generate(server.runtime.ledger, options)
            # The audit trail is an async projection: the guides read it caught up.
            await settled(server.runtime.store)
            head = await server.runtime.store.head()
            assert await server.runtime.wait_for_projections(head, timeout=60)
            for role in (Role.ADMIN, Role.AUDITOR):
                issued = await server.runtime.tokens.create(DEMO_TENANT, role)
                api.tokens[(DEMO_TENANT, role)] = issued.secret
            yield server, api
    finally:
        server.server.should_exit = True
        await task


def test_every_guide_is_linked_from_the_readme() -> None:
    readme = (DOCS.parent / "README.md").read_text()
    for name in GUIDES:
        assert f"(docs/{name})" in readme, name


async def test_every_example_of_the_guides_runs_on_the_demo(
    demo: tuple[LiveServer, Api], sqlite_url: str, tmp_path: Path
) -> None:
    server, api = demo
    for name, role in (("auditor.md", Role.AUDITOR), ("frontend.md", Role.ADMIN)):
        examples = GraphQLExamples(api, server.port, DEMO_TENANT, role)
        documents = fenced(guide(name), "graphql")
        assert len(documents) >= 6, name
        for document in documents:
            await examples.run(document)
        await examples.close()
        if name == "frontend.md":
            codes = [
                error["code"]
                for data in examples.results
                for payload in data.values()
                if isinstance(payload, dict)
                for error in payload.get("userErrors") or []
            ]
            assert codes == ["period.closed"]
            pushed = [data for data in examples.results if "measurementRecorded" in data]
            assert pushed[0]["measurementRecorded"]["value"] == 4.2

    auditor = Shell(api.http, sqlite_url, tmp_path / "auditor")
    auditor.directory.mkdir()
    for block in fenced(guide("auditor.md"), "bash"):
        await auditor.run(block)
    assert (auditor.directory / "digest.json").stat().st_size > 0
    assert (auditor.directory / "audit.jsonl").stat().st_size > 0

    integrator = Shell(api.http, sqlite_url, tmp_path / "integrator")
    integrator.directory.mkdir()
    for block in fenced(guide("integrator.md"), "bash"):
        await integrator.run(block)
    batch, replay = (r for r in integrator.responses if r.url.path == "/v1/measurements")
    assert [r["status"] for r in batch.json()["results"]] == ["created", "created", "error"]
    assert batch.json()["results"][2]["code"] == "kpi.not_found"
    assert replay.headers["idempotent-replayed"] == "true"
    assert replay.content == batch.content
    dry, real = (r for r in integrator.responses if r.url.path == "/v1/measurements/import")
    assert [r["status"] for r in orjson.loads(dry.content)["results"]] == ["created"] * 2
    assert [r["row"] for r in real.json()["results"]] == [2, 3]

    await _operations(
        api,
        sqlite_url,
        tmp_path,
        skipped=POSTGRES_ONLY | {"Backups: PostgreSQL"},
        variables={"DATABASE_FILE": sqlite_url.removeprefix("sqlite:///")},
    )
    assert (tmp_path / "operations" / "scoreledger-backup.db").stat().st_size > 0


POSTGRES_ONLY = {"API processes and workers"}
"""Several processes on one database is PostgreSQL's deployment (and the slow part)."""


async def _operations(
    api: Api, database_url: str, tmp_path: Path, skipped: set[str], variables: dict[str, str]
) -> None:
    """Run the operations guide's sections but ``skipped``, with ``variables`` standing for
    the placeholders; check its health examples."""
    shell = Shell(api.http, database_url, tmp_path / "operations")
    shell.directory.mkdir()
    shell.variables.update(variables, SCORELEDGER_DATABASE_URL=database_url)
    for heading, text in sections(guide("operations.md")).items():
        if heading not in skipped:
            for block in fenced(text, "bash"):
                await shell.run(block)
    health, ready, metrics = shell.responses
    assert (health.status_code, ready.status_code) == (200, 200)
    assert "scoreledger_projection_lag_seconds" in metrics.text


@pytest.mark.postgres
async def test_the_operations_guide_runs_on_postgresql(
    postgres_url: str, postgres_databases: PostgresDatabases, tmp_path: Path
) -> None:
    restored = await postgres_databases.empty()
    async with serve(e2e_settings(postgres_url)) as api:
        await build_small_scorecard(api)
        await _operations(
            api,
            postgres_url,
            tmp_path,
            # The CSV example names the demo's scorecard, which the SQLite run has.
            skipped={"Backups: SQLite", "CSV import on the server"},
            variables={"RESTORE_URL": restored},
        )
    assert (tmp_path / "operations" / "scoreledger.dump").stat().st_size > 0
    await postgres_databases.drop(restored)
