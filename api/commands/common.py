"""What every command shares: the console, settings, exit codes and the checked store."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import NoReturn

import pydantic
import typer
from rich.console import Console

from api.migrations import MigrationsBehind
from api.runtime import check_migrations
from api.settings import Settings
from eventstore.factory import open_store
from eventstore.sql import SqlEventStore

OK = 0
FAILED = 1
USAGE = 2

console = Console()
errors = Console(stderr=True)


def fail(message: str, code: int = FAILED) -> NoReturn:
    """Print ``message`` on stderr and end the command with ``code``."""
    errors.print(f"[red]error:[/red] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def bad_option(option: str, problem: str) -> NoReturn:
    """A usage error naming the option (or argument) at fault: exit code 2."""
    fail(f"{option}: {problem}", USAGE)


def load_settings() -> Settings:
    """The settings from the environment; a bad one is a usage error naming the variable."""
    try:
        return Settings()
    except pydantic.ValidationError as error:
        problems = "; ".join(
            f"SCORELEDGER_{'_'.join(str(part) for part in item['loc']).upper()}: "
            + str(item["msg"]).removeprefix("Value error, ")
            for item in error.errors()
        )
        fail(f"invalid settings: {problems}", USAGE)


@contextlib.asynccontextmanager
async def checked_store(settings: Settings) -> AsyncIterator[SqlEventStore]:
    """The store, its migrations checked (SQLite migrated); closed on the way out. A
    PostgreSQL database whose migrations are behind ends the command with exit code 1."""
    store = open_store(settings.database_url)
    try:
        try:
            await check_migrations(settings, store)
        except MigrationsBehind as error:
            fail(str(error))
        yield store
    finally:
        await store.close()
