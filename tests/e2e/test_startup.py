"""Starting the server: SQLite migrates itself, PostgreSQL refuses to serve when behind, and
the CLI seeds the demo once."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.cli import app as cli
from api.migrations import MigrationsBehind, current_revision, head_revision, upgrade
from api.runtime import open_runtime
from api.settings import Settings
from tests.databases import PostgresDatabases


async def test_an_empty_sqlite_file_is_migrated_on_start(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'new.db'}")
    async with open_runtime(settings) as runtime:
        assert await current_revision(runtime.store.engine) == head_revision()


@pytest.fixture
def behind_postgres(postgres_databases: PostgresDatabases) -> Iterator[str]:
    url = asyncio.run(postgres_databases.empty())
    upgrade(url, "0003")
    yield url
    asyncio.run(postgres_databases.drop(url))


@pytest.mark.postgres
async def test_postgres_behind_on_migrations_is_refused_naming_the_command(
    behind_postgres: str,
) -> None:
    with pytest.raises(MigrationsBehind, match="scoreledger db upgrade"):
        async with open_runtime(Settings(database_url=behind_postgres)):
            pass


def test_serve_demo_seeds_an_empty_database_once_and_prints_a_token_per_role(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from api import cli as cli_module
    from api import garbage_collection

    served: list[str] = []
    monkeypatch.setattr(cli_module.uvicorn, "run", lambda app, **kw: served.append(kw["host"]))
    # The serving process tunes its garbage collector; this one (pytest's) must not.
    monkeypatch.setattr(
        garbage_collection, "tune_for_serving", lambda: served.append("collector tuned")
    )
    monkeypatch.setenv("SCORELEDGER_DATABASE_URL", f"sqlite:///{tmp_path / 'demo.db'}")
    runner = CliRunner()
    first = runner.invoke(cli, ["serve", "--demo", "--port", "8123"])
    assert first.exit_code == 0, first.output
    for role in ("admin", "editor", "viewer", "auditor", "integrator"):
        assert role in first.output
    assert first.output.count('{"Authorization": "Bearer sl_') == 5
    assert "http://127.0.0.1:8123/graphql" in first.output
    key = tmp_path / "demo.db.digest-key.pem"
    assert "Ledger digests are signed with the key in" in first.output
    assert key.stat().st_mode & 0o777 == 0o600
    second = runner.invoke(cli, ["serve", "--demo"])
    assert second.exit_code == 0, second.output
    assert "already has data" in second.output
    assert "Bearer sl_" not in second.output
    assert served == ["collector tuned", "127.0.0.1"] * 2


def test_token_create_prints_a_working_token_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SCORELEDGER_DATABASE_URL", f"sqlite:///{tmp_path / 't.db'}")
    runner = CliRunner()
    made = runner.invoke(cli, ["token", "create", "--org", "acme", "--role", "auditor"])
    assert made.exit_code == 0, made.output
    secret = made.output.strip().splitlines()[-1]
    assert secret.startswith("sl_")

    async def check() -> None:
        async with open_runtime(Settings()) as runtime:
            principal = await runtime.tokens.authenticate(secret)
            assert principal is not None
            assert (principal.tenant_id, principal.role.value) == ("acme", "auditor")

    asyncio.run(check())
    refused = runner.invoke(cli, ["token", "create", "--org", "bad org!", "--role", "admin"])
    assert refused.exit_code == 2
    assert "--org" in refused.output
