"""The ``scoreledger`` command: serve, database migrations, tokens, the auditor's checks
(:mod:`api.audit_cli`) and the operator commands of :mod:`api.commands` (projections,
import, worker)."""

from __future__ import annotations

import asyncio
import os
import sys
from typing import Annotated

import typer
import uvicorn
from rich.console import Console
from rich.progress import Progress

from api.audit_cli import register as register_audit_commands
from api.auth.roles import Role
from api.auth.tokens import TokenRegistry, check_tenant_id
from api.commands.common import load_settings
from api.commands.imports import import_csv
from api.commands.projections import projections_app
from api.commands.worker import worker
from api.demo import Seeded
from api.digest_keys import sqlite_key_path
from api.graphql.ids import global_id
from api.migrations import MigrationsBehind, current_revision, head_revision, upgrade
from api.settings import Settings
from eventstore.factory import open_store
from eventstore.sql import SqlEventStore

app = typer.Typer(help="Scoreledger: event-sourced balanced scorecards.", no_args_is_help=True)
db = typer.Typer(help="Database migrations.", no_args_is_help=True)
token = typer.Typer(help="Bearer tokens.", no_args_is_help=True)
app.add_typer(db, name="db")
app.add_typer(token, name="token")
register_audit_commands(app)
console = Console()


def _settings() -> Settings:
    return load_settings()


def _open_store(settings: Settings) -> SqlEventStore:
    return open_store(settings.database_url)


@db.command("upgrade")
def db_upgrade() -> None:
    """Apply every migration the database is missing."""
    settings = _settings()
    upgrade(settings.database_url)
    console.print(f"database at migration [bold]{head_revision()}[/bold]")


@db.command("current")
def db_current() -> None:
    """Show the database's migration and the newest one this version has."""
    settings = _settings()

    async def read() -> str | None:
        store = _open_store(settings)
        try:
            return await current_revision(store.engine)
        finally:
            await store.close()

    current = asyncio.run(read())
    head = head_revision()
    state = "up to date" if current == head else "behind: run `scoreledger db upgrade`"
    console.print(f"current: {current or 'none'}, newest: {head} ({state})")
    if current != head:
        raise typer.Exit(1)


@token.command("create")
def token_create(
    org: Annotated[str, typer.Option(help="The organization (tenant) id.")],
    role: Annotated[Role, typer.Option(help="What the token may do.")],
    name: Annotated[str, typer.Option(help="A name to recognise it by.")] = "",
) -> None:
    """Issue a bearer token; it is shown once and stored only as a hash."""
    settings = _settings()
    try:
        check_tenant_id(org)
    except ValueError as error:
        console.print(f"[red]--org:[/red] {error}")
        raise typer.Exit(2) from None
    if settings.is_sqlite:
        upgrade(settings.database_url)

    async def create() -> str:
        store = _open_store(settings)
        try:
            issued = await TokenRegistry(store.engine, store.write_engine).create(org, role, name)
            return issued.secret
        finally:
            await store.close()

    secret = asyncio.run(create())
    console.print(f"{role.value} token for [bold]{org}[/bold] (shown once, keep it safe):")
    print(secret)


def _print_demo_tokens(seeded: Seeded, host: str, port: int) -> None:
    may = {
        Role.ADMIN: "everything",
        Role.EDITOR: "structure, targets, measurements",
        Role.VIEWER: "current scorecards, no who/why history",
        Role.AUDITOR: "reads all history and integrity, writes nothing",
        Role.INTEGRATOR: "records measurements only",
    }
    summary = seeded.summary
    console.print(
        f"\nSeeded organization [bold]demo[/bold] (Northwind IT): {summary.events} events, "
        f"{len(summary.scorecard_ids)} scorecards, last period {summary.last_period}."
    )
    console.print(
        "Demo tokens, one per role, as GraphiQL's Headers tab takes them "
        "(shown once; stored only as hashes):\n"
    )
    for role, issued in seeded.tokens.items():
        console.print(f"  [bold]{role.value:<10}[/bold] ({may[role]})")
        print(f'    {{"Authorization": "Bearer {issued.secret}"}}')
    main_id = global_id("Scorecard", summary.scorecard_id, summary.scorecard_id)
    console.print(
        f'\nMain scorecard global id: [bold]{main_id}[/bold] (try period "{summary.last_period}").'
    )
    admin = seeded.tokens.get(Role.ADMIN)
    if admin is not None:
        # The token rides in the fragment, which browsers never send to the server; the
        # dashboard moves it to session storage and removes it from the address bar.
        console.print("\nDashboard, signed in as the demo admin (open it in a browser):")
        print(f"    http://{host}:{port}/#token={admin.secret}")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    demo: Annotated[
        bool, typer.Option(help="Seed the demo organization into an empty database.")
    ] = False,
) -> None:
    """Start the server (SQLite databases are migrated first)."""
    settings = _settings()
    if demo:
        asyncio.run(_seed(settings, host, port))
    url = f"http://{host}:{port}/graphql"
    console.print(
        f"GraphQL: [bold]{url}[/bold]" + (" (GraphiQL IDE)" if settings.graphiql_enabled else "")
    )
    console.print("Send the header  Authorization: Bearer <token>  (GraphiQL: the Headers tab).")
    console.print(f"Dashboard: [bold]http://{host}:{port}/[/bold] (asks for a token once)")
    _print_digest_key(settings)
    os.environ.setdefault("SCORELEDGER_DATABASE_URL", settings.database_url)
    from api.app import create_app
    from api.garbage_collection import tune_for_serving
    from api.logs import configure_logging

    try:
        configure_logging(settings.log_format)
        app = create_app(settings)
        tune_for_serving()
        uvicorn.run(app, host=host, port=port, log_level="info")
    except MigrationsBehind as error:
        console.print(f"[red]{error}[/red]")
        raise typer.Exit(1) from None


def _print_digest_key(settings: Settings) -> None:
    if settings.digest_key is not None or settings.digest_key_file is not None:
        console.print("Ledger digests are signed with the key SCORELEDGER_DIGEST_KEY(_FILE) names.")
        return
    path = sqlite_key_path(settings.database_url) if settings.is_sqlite else None
    if path is None:
        console.print("No digest key: set SCORELEDGER_DIGEST_KEY to sign ledger digests.")
        return
    made = "" if path.exists() else " (generated on start, readable by you only)"
    console.print(
        f"Ledger digests are signed with the key in [bold]{path}[/bold]{made}; keep it "
        "private and out of the repository, or set SCORELEDGER_DIGEST_KEY."
    )


async def _seed(settings: Settings, host: str, port: int) -> None:
    from api.demo import has_data, seed_demo
    from api.runtime import open_runtime

    try:
        async with open_runtime(settings) as runtime:
            if await has_data(runtime):
                console.print(
                    "The database already has data: nothing seeded. Create a token with "
                    "`scoreledger token create --org demo --role admin`."
                )
                return
            with Progress(console=console) as bar:
                task = bar.add_task("Seeding the demo organization", total=None)

                def progress(done: int, total: int) -> None:
                    bar.update(task, completed=done, total=total)

                seeded = await seed_demo(runtime, progress)
    except MigrationsBehind as error:
        console.print(f"[red]{error}[/red]")
        raise typer.Exit(1) from None
    _print_demo_tokens(seeded, host, port)


@app.command()
def schema() -> None:
    """Print the GraphQL schema (SDL), as committed in schema.graphql."""
    from api.graphql.schema import sdl

    sys.stdout.write(sdl())


app.add_typer(projections_app, name="projections")
app.command("import")(import_csv)
app.command("worker")(worker)


def main() -> None:
    app()
