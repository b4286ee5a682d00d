"""Running the ``scoreledger`` command in the test's process, on the test's database."""

from __future__ import annotations

import asyncio

from click.testing import Result
from typer.testing import CliRunner

from api.cli import app

WIDE = "200"
"""Terminal columns for rich, so tables are not wrapped in what a test reads."""


async def scoreledger(database_url: str, *arguments: str) -> Result:
    """``scoreledger ARGUMENTS`` with SCORELEDGER_DATABASE_URL set (in a thread: the command
    runs its own event loop)."""
    env = {"SCORELEDGER_DATABASE_URL": database_url, "COLUMNS": WIDE}
    return await asyncio.to_thread(CliRunner().invoke, app, list(arguments), env=env)
