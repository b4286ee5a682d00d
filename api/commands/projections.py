"""``scoreledger projections status`` and ``scoreledger projections rebuild [NAME]``."""

from __future__ import annotations

import asyncio
import time
from typing import Annotated

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from api.commands.common import USAGE, checked_store, console, fail, load_settings
from projections import async_projections, inline_projections
from projections.projection import Projection
from projections.queries.status import projection_status
from projections.rebuild import RebuildInProgress, RebuildReport, rebuild
from projections.views import ProjectionStatus

projections_app = typer.Typer(help="Read models: status and rebuild.", no_args_is_help=True)


@projections_app.command("status")
def status() -> None:
    """Per projection: checkpoint, lag in events and seconds, leader and last error."""
    settings = load_settings()

    async def read() -> list[ProjectionStatus]:
        async with checked_store(settings) as store:
            return await projection_status(store, inline_projections(), async_projections())

    found = asyncio.run(read())
    console.print(status_table(found))
    for row in found:
        if row.last_error is not None and row.last_error_at is not None:
            console.print(
                f"[red]last error[/red] of {row.name} at {row.last_error_at:%Y-%m-%d %H:%M:%S}Z: "
                f"{row.last_error}",
                highlight=False,
            )


def status_table(found: list[ProjectionStatus]) -> Table:
    table = Table(
        title="Projections", caption="lag: events after the checkpoint; lag s: age of the oldest"
    )
    table.add_column("projection", no_wrap=True)
    table.add_column("kind")
    table.add_column("gen", justify="right")
    table.add_column("checkpoint", no_wrap=True)
    table.add_column("lag", justify="right")
    table.add_column("lag s", justify="right")
    table.add_column("running (leader)")
    for row in found:
        if row.lifecycle == "inline":
            running = "in each append"
        else:
            running = row.leader or "[red]no runner[/red]"
        table.add_row(
            row.name,
            row.lifecycle,
            str(row.generation),
            row.checkpoint,
            f"{row.lag_events:,}",
            f"{row.lag_seconds:.1f}",
            running,
        )
    return table


def _chosen(name: str | None) -> list[Projection]:
    every = [*inline_projections(), *async_projections()]
    if name is None:
        return every
    for projection in every:
        if projection.name == name:
            return [projection]
    names = ", ".join(projection.name for projection in every)
    fail(f"NAME: there is no projection {name!r}; the projections are: {names}", USAGE)


@projections_app.command("rebuild")
def rebuild_command(
    name: Annotated[
        str | None,
        typer.Argument(help="The projection to rebuild (default: every inline and async one)."),
    ] = None,
) -> None:
    """Replay the log into fresh read-model rows, then switch readers over.

    Servers may keep running: they read and write the live rows meanwhile.
    """
    chosen = _chosen(name)
    settings = load_settings()
    reports: list[tuple[RebuildReport, float]] = []

    async def run() -> None:
        async with checked_store(settings) as store:
            with Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=console,
            ) as bar:
                for projection in chosen:
                    task = bar.add_task(f"Rebuilding {projection.name}", total=None)

                    def progress(done: int, total: int, task: TaskID = task) -> None:
                        bar.update(task, completed=done, total=total)

                    started = time.perf_counter()
                    try:
                        report = await rebuild(store, projection, progress=progress)
                    except RebuildInProgress as error:
                        fail(f"{error}; wait for it to finish")
                    reports.append((report, time.perf_counter() - started))

    asyncio.run(run())
    table = Table(title="Rebuilt")
    for column in ("projection", "generation", "events", "checkpoint", "seconds"):
        table.add_column(column, justify="left" if column == "projection" else "right")
    for report, seconds in reports:
        table.add_row(
            report.name,
            str(report.generation),
            f"{report.events:,}",
            str(report.checkpoint),
            f"{seconds:.1f}",
        )
    console.print(table)
