"""The auditor's commands: verify, digest, export-audit and verify-export."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import orjson
import sqlalchemy as sa
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from api.digest_keys import DigestKeyError, digest_signer
from api.migrations import upgrade
from api.settings import Settings
from eventstore import VerificationReport
from eventstore.audit_export import InvalidExport, verify_export
from eventstore.digests import DigestSigner, InvalidDigest, LedgerDigest
from eventstore.factory import open_store
from eventstore.sql import SqlEventStore
from eventstore.tables import events
from projections.ledger import LedgerProjection
from projections.queries.ledger import export_audit, issue_digest, verify_tenant
from projections.runner import ProjectionRunner

console = Console()
err = Console(stderr=True)


def _fail(message: str, code: int = 2) -> typer.Exit:
    err.print(f"[red]{message}[/red]")
    return typer.Exit(code)


def _settings() -> Settings:
    try:
        return Settings()
    except Exception as error:
        raise _fail(f"invalid settings: {error}") from None


def _open(settings: Settings) -> SqlEventStore:
    return open_store(settings.database_url)


def _migrated_settings() -> Settings:
    """The settings, with a SQLite database migrated first (as the server would)."""
    settings = _settings()
    if settings.is_sqlite:
        upgrade(settings.database_url)
    return settings


def _signer(settings: Settings, *, create: bool) -> DigestSigner | None:
    try:
        return digest_signer(settings, create=create, on_generate=_generated)
    except DigestKeyError as error:
        raise _fail(str(error)) from None


def _generated(path: Path) -> None:
    err.print(f"Generated the digest key {path} (readable by you only); keep it private.")


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), console=err
    )


def read_digest(path: Path) -> LedgerDigest:
    """A digest document from a file; exits naming the field when it is malformed."""
    try:
        return LedgerDigest.from_dict(orjson.loads(path.read_bytes()))
    except OSError as error:
        raise _fail(f"--digest: {error}") from None
    except orjson.JSONDecodeError as error:
        raise _fail(f"--digest {path}: not JSON: {error}") from None
    except InvalidDigest as error:
        raise _fail(f"--digest {path}: {error}") from None


def _moment(value: str | None, option: str) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as error:
        raise _fail(f"{option}: {error}") from None
    if moment.tzinfo is None:
        raise _fail(f"{option}: {value} needs a time zone, e.g. 2026-04-01T00:00:00+00:00")
    return moment


def _findings(report: VerificationReport) -> None:
    if report.broken:
        table = Table(title=f"{report.tenant_id}: wrong events (the first of each stream)")
        for column in ("stream", "version", "position", "event", "what is wrong"):
            table.add_column(column)
        for link in report.broken:
            table.add_row(
                link.stream_id, str(link.version), str(link.position), link.event_id, link.reason
            )
        console.print(table)
    for problem in report.problems:
        console.print(f"[red]✗[/red] {report.tenant_id}: {problem}")


def _summary(reports: list[VerificationReport]) -> None:
    table = Table(title="Verification")
    for column in ("organization", "streams", "events", "ledger leaves", "digest", "result"):
        table.add_column(column)
    for r in reports:
        digest = "—" if r.digest_size is None else f"{r.digest_size} events"
        result = "[green]ok[/green]" if r.ok else f"[red]{len(r.broken) + len(r.problems)} ✗[/red]"
        table.add_row(
            r.tenant_id,
            str(r.streams_checked),
            str(r.events_checked),
            str(r.ledger_checked),
            digest,
            result,
        )
    console.print(table)


async def _tenants(store: SqlEventStore) -> list[str]:
    async with store.engine.connect() as conn:
        query = sa.select(events.c.tenant_id).distinct().order_by(events.c.tenant_id)
        return [row[0] for row in await conn.execute(query)]


async def _catch_up(store: SqlEventStore, bar: Progress) -> None:
    """Bring the ledger accumulator up to the feed's head in this process."""
    task = bar.add_task("Taking events into the ledger", total=None)
    runner = ProjectionRunner(store, LedgerProjection(), on_batch=lambda n: bar.advance(task, n))
    await runner.catch_up()
    bar.update(task, total=bar.tasks[task].completed)


def verify(
    org: Annotated[str | None, typer.Option(help="One organization (default: every one).")] = None,
    digest: Annotated[
        Path | None, typer.Option(help="A digest file you kept: check the ledger against it.")
    ] = None,
    public_key: Annotated[
        str | None, typer.Option(help="Hex public key to check the digest with.")
    ] = None,
) -> None:
    """Recompute every hash chain and ledger leaf (and the digest's root when given); name
    the first wrong event of each stream. Exit 1 when anything is wrong."""
    settings = _migrated_settings()
    kept = read_digest(digest) if digest is not None else None
    if kept is not None and org is not None and org != kept.tenant_id:
        raise _fail(f"--digest is for organization {kept.tenant_id}, not {org}")
    key = public_key
    if kept is not None and key is None:
        signer = _signer(settings, create=False)
        key = signer.public_key if signer is not None else None

    async def run() -> list[VerificationReport]:
        store = _open(settings)
        try:
            chosen = org or (kept.tenant_id if kept else None)
            tenants = [chosen] if chosen else await _tenants(store)
            reports = []
            with _progress() as bar:
                task = bar.add_task("Verifying organizations", total=len(tenants))
                for tenant in tenants:
                    reports.append(await verify_tenant(store, tenant, digest=kept, public_key=key))
                    bar.advance(task)
            return reports
        finally:
            await store.close()

    reports = asyncio.run(run())
    for report in reports:
        _findings(report)
    _summary(reports)
    if not all(report.ok for report in reports):
        raise typer.Exit(1)


def digest(
    org: Annotated[str, typer.Option(help="The organization (tenant) id.")],
    file: Annotated[
        Path | None, typer.Argument(help="Write the digest here (default: print it).")
    ] = None,
) -> None:
    """Take every committed event into the ledger, then issue and print (or save) a signed
    digest. Keep it: `scoreledger verify --digest FILE` checks the ledger against it."""
    settings = _migrated_settings()
    signer = _signer(settings, create=True)
    if signer is None:
        raise _fail("no digest key: set SCORELEDGER_DIGEST_KEY or SCORELEDGER_DIGEST_KEY_FILE")

    async def run() -> LedgerDigest:
        store = _open(settings)
        try:
            with _progress() as bar:
                await _catch_up(store, bar)
            return await issue_digest(store, org, signer)
        finally:
            await store.close()

    issued = asyncio.run(run())
    document = orjson.dumps(issued.to_dict(), option=orjson.OPT_INDENT_2) + b"\n"
    if file is None:
        print(document.decode(), end="")
    else:
        file.write_bytes(document)
    table = Table(title="Digest issued")
    for column in ("organization", "events", "root", "key", "file"):
        table.add_column(column)
    table.add_row(
        org,
        str(issued.tree_size),
        issued.root[:16] + "…",
        issued.key_id[:16] + "…",
        "stdout" if file is None else str(file),
    )
    err.print(table)


def export_audit_command(
    file: Annotated[Path, typer.Argument(help="The JSON-lines file to write.")],
    org: Annotated[str, typer.Option(help="The organization (tenant) id.")],
    since: Annotated[
        str | None, typer.Option("--from", help="Events recorded at or after (ISO 8601).")
    ] = None,
    until: Annotated[
        str | None, typer.Option("--to", help="Events recorded before (ISO 8601).")
    ] = None,
) -> None:
    """Export the organization's events as JSON lines, then a manifest with the chain heads,
    the ledger's leaves, a fresh signed digest and the public key."""
    settings = _migrated_settings()
    start, end = _moment(since, "--from"), _moment(until, "--to")
    signer = _signer(settings, create=True)

    async def run() -> dict[str, Any]:
        store = _open(settings)
        manifest: dict[str, Any] = {}
        try:
            with _progress() as bar, file.open("wb") as out:
                await _catch_up(store, bar)
                task = bar.add_task("Exporting events", total=None)
                async for line in export_audit(store, org, signer, since=start, until=end):
                    out.write(orjson.dumps(line) + b"\n")
                    if line["kind"] == "manifest":
                        manifest = line
                    else:
                        bar.advance(task)
        finally:
            await store.close()
        return manifest

    manifest = asyncio.run(run())
    table = Table(title="Audit export")
    for column in ("organization", "events", "feed indexes", "digest", "file"):
        table.add_column(column)
    digest_doc = manifest.get("digest")
    table.add_row(
        org,
        str(manifest.get("events")),
        f"{manifest.get('first_index')}–{manifest.get('last_index')}",
        "none" if digest_doc is None else f"{digest_doc['tree_size']} events, signed",
        str(file),
    )
    console.print(table)


def _lines(path: Path, bar: Progress) -> Iterator[dict[str, Any]]:
    task = bar.add_task("Reading the export", total=path.stat().st_size)
    with path.open("rb") as source:
        for number, raw in enumerate(source, start=1):
            bar.advance(task, len(raw))
            if not raw.strip():
                continue
            try:
                line = orjson.loads(raw)
            except orjson.JSONDecodeError as error:
                raise _fail(f"{path} line {number}: not JSON: {error}") from None
            if not isinstance(line, dict):
                raise _fail(f"{path} line {number}: expected a JSON object")
            yield line


def verify_export_command(
    file: Annotated[Path, typer.Argument(help="An export written by export-audit.")],
    digest: Annotated[
        Path | None, typer.Option(help="A digest file you kept (default: the export's own).")
    ] = None,
    public_key: Annotated[
        str | None, typer.Option(help="Pin the hex public key (default: the export's).")
    ] = None,
) -> None:
    """Check an export offline (no database, no server): every chain link, every event
    against the ledger's leaves, the leaves against the digest. Exit 1 when broken."""
    kept = read_digest(digest) if digest is not None else None
    if not file.exists():
        raise _fail(f"{file}: no such file")
    with _progress() as bar:
        lines = list(_lines(file, bar))
    manifest = next((line for line in lines if line.get("kind") == "manifest"), None)
    tenant = (manifest or {}).get("tenant") or (kept.tenant_id if kept else None)
    if tenant is None:
        raise _fail(f"{file}: no manifest naming the organization")
    try:
        report = verify_export(tenant, lines, digest=kept, public_key=public_key)
    except InvalidExport as error:
        raise _fail(f"{file}: {error}") from None
    if kept is None and manifest is not None and manifest.get("digest") is not None:
        err.print("Checked against the digest inside the export; pass --digest with one you kept.")
    _findings(report)
    _summary([report])
    if not report.ok:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add the auditor's commands to the ``scoreledger`` command."""
    app.command("verify")(verify)
    app.command("digest")(digest)
    app.command("export-audit")(export_audit_command)
    app.command("verify-export")(verify_export_command)
