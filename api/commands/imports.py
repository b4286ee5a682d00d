"""``scoreledger import FILE.csv --org ORG``: the CSV import of ``POST
/v1/measurements/import`` from the command line, with the same rules and per-row results
(both run :func:`api.ingest.csvfile.parse_csv` and :class:`api.ingest.Ingestion`)."""

from __future__ import annotations

import asyncio
import getpass
import sys
import uuid
from pathlib import Path
from typing import Annotated

import orjson
import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from api.auth.tokens import check_tenant_id
from api.commands.common import bad_option, checked_store, console, fail, load_settings
from api.ingest import Ingestion, ItemIds, ItemResult, Outcome
from api.ingest.csvfile import MAX_BYTES, CsvFormatError, CsvRows, parse_csv
from api.rest.models import counts, import_body
from ledger import Ledger

MAX_ACTOR = 200


def default_actor() -> str:
    """``cli:`` and the login name of whoever runs the command."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no login name (a container without a passwd entry)
        return "cli"


def import_csv(
    file: Annotated[
        Path,
        typer.Argument(
            help="The CSV file: header scorecard,kpi,period,value,source,external_ref,note,"
            "reason; value a number or NA.",
            exists=True,
            dir_okay=False,
            readable=True,
            metavar="FILE.csv",
        ),
    ],
    org: Annotated[str, typer.Option(help="The organization (tenant) id to import into.")],
    dry_run: Annotated[
        bool, typer.Option(help="Check every row against the current state; write nothing.")
    ] = False,
    actor: Annotated[
        str | None,
        typer.Option(help="Who the events name as their actor (default: cli:<login name>)."),
    ] = None,
    as_json: Annotated[
        bool,
        typer.Option(
            "--json", help="Print the REST import's JSON answer instead of tables (for scripts)."
        ),
    ] = False,
) -> None:
    """Record the measurements of a CSV file, or only check them (--dry-run).

    The same rules and per-row results as POST /v1/measurements/import; exit code 1 when
    any row failed.
    """
    try:
        check_tenant_id(org)
    except ValueError as error:
        bad_option("--org", str(error))
    who = default_actor() if actor is None else actor.strip()
    if not who or len(who) > MAX_ACTOR or "\x00" in who:
        bad_option("--actor", f"give 1-{MAX_ACTOR} characters (no NUL)")
    data = file.read_bytes()
    if len(data) > MAX_BYTES:
        fail(f"{file}: the file may be at most {MAX_BYTES:,} bytes, not {len(data):,}")
    try:
        parsed = parse_csv(data)
    except CsvFormatError as error:
        fail(f"{file}: {error.message}")
    if not parsed.items:
        fail(f"{file}: the file has no data rows")
    settings = load_settings()

    async def run() -> list[ItemResult]:
        async with checked_store(settings) as store:
            with Progress(
                TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                TimeElapsedColumn(), console=console, transient=True, disable=as_json,
            ) as bar:  # fmt: skip
                verb = "Checking" if dry_run else "Importing"
                task = bar.add_task(f"{verb} {file.name}", total=len(parsed.items))
                ingestion = Ingestion(
                    Ledger(store),
                    store.engine,
                    progress=lambda done: bar.update(task, completed=done),
                )
                report = await ingestion.run(
                    org,
                    parsed.items,
                    ItemIds(),
                    actor=who,
                    request_id=f"cli-{uuid.uuid4().hex}",
                    dry_run=dry_run,
                )
            return report.results

    results = asyncio.run(run())
    if as_json:
        sys.stdout.write(orjson.dumps(import_body(parsed.rows, results, dry_run)).decode() + "\n")
    else:
        _print_report(parsed, results, dry_run)
    if any(result.outcome is Outcome.ERROR for result in results):
        raise typer.Exit(1)


def _print_report(parsed: CsvRows, results: list[ItemResult], dry_run: bool) -> None:
    failed = [result for result in results if result.outcome is Outcome.ERROR]
    if failed:
        table = Table(title="Rows with errors (nothing written for them)")
        for column in ("row", "field", "code", "message"):
            table.add_column(column, justify="right" if column == "row" else "left")
        for result in failed:
            table.add_row(
                str(parsed.rows[result.index]),
                result.field or "-",
                result.code or "-",
                result.message or "",
            )
        console.print(table)
    console.print("Dry run: nothing was written." if dry_run else "Imported.")
    summary = Table()
    summary.add_column("outcome")
    summary.add_column("rows", justify="right")
    for outcome, count in counts(results).items():
        summary.add_row(outcome, f"{count:,}")
    console.print(summary)
