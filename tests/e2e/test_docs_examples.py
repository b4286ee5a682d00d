"""Every example of the guides in docs/ runs on the demo: the GraphQL documents through a
live server (subscriptions over graphql-transport-ws), the shell blocks as written through
the README's shell machinery (curl, the CLI, the worker and server processes, pg_dump,
sqlite3). One demo per backend, the guides in turn; the demo is the one ``serve --demo``
seeds, made by the same generator with fewer KPIs and months (the guides name only the first
five KPIs and the last months), so that the run stays short."""

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
from tests.e2e.conftest import Api
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
async def demo(database_url: str) -> AsyncIterator[tuple[LiveServer, Api]]:
    server = LiveServer(database_url)
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
    demo: tuple[LiveServer, Api],
    database_url: str,
    tmp_path: Path,
    request: pytest.FixtureRequest,
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

    integrator = Shell(api.http, database_url, tmp_path / "integrator")
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

    operations = Shell(api.http, database_url, tmp_path / "operations")
    operations.directory.mkdir()
    operations.variables["SCORELEDGER_DATABASE_URL"] = database_url
    backend = "PostgreSQL" if database_url.startswith("postgresql") else "SQLite"
    if backend == "PostgreSQL":
        databases: PostgresDatabases = request.getfixturevalue("postgres_databases")
        operations.variables["RESTORE_URL"] = await databases.empty()
    else:
        operations.variables["DATABASE_FILE"] = database_url.removeprefix("sqlite:///")
    # Several processes on one database is PostgreSQL's deployment (and the slow part).
    skipped = (
        {"Backups: SQLite"}
        if backend == "PostgreSQL"
        else {"Backups: PostgreSQL", "API processes and workers"}
    )
    for heading, text in sections(guide("operations.md")).items():
        if heading not in skipped:
            for block in fenced(text, "bash"):
                await operations.run(block)
    health, ready, metrics = operations.responses
    assert (health.status_code, ready.status_code) == (200, 200)
    assert "scoreledger_projection_lag_seconds" in metrics.text
    if backend == "SQLite":
        assert (operations.directory / "scoreledger-backup.db").stat().st_size > 0
