"""Helpers shared by the benchmarks: timing, medians, result tables, machine description and a
throwaway PostgreSQL database per run."""

from __future__ import annotations

import argparse
import gc
import os
import platform
import re
import shutil
import statistics
import subprocess
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"
POSTGRES_URL_ENV = "SCORELEDGER_BENCH_POSTGRES_URL"


def postgres_url() -> str:
    """The server benchmarks create their databases on."""
    return os.environ.get(POSTGRES_URL_ENV, DEFAULT_POSTGRES_URL)


def with_database(url: str, database: str) -> str:
    """``url`` pointing at another database on the same server."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + database, parts.query, parts.fragment))


def libpq_url(url: str) -> str:
    """The ``postgresql://`` form asyncpg.connect accepts (drops a ``+driver`` suffix)."""
    scheme, sep, rest = url.partition("://")
    return "postgresql" + sep + rest if scheme.startswith("postgres") else url


@asynccontextmanager
async def scratch_postgres_database(server_url: str, prefix: str) -> AsyncIterator[str]:
    """Create ``<prefix>_<pid>`` on the server of ``server_url``, yield its URL, drop it
    afterwards even when the body raised (``WITH (FORCE)`` ends stray connections)."""
    import asyncpg

    name = f"{prefix}_{os.getpid()}"
    admin = await asyncpg.connect(libpq_url(server_url), timeout=10)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    try:
        yield with_database(server_url, name)
    finally:
        admin = await asyncpg.connect(libpq_url(server_url), timeout=10)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


async def timed(body: Callable[[], Awaitable[int]]) -> tuple[int, float]:
    """Run ``body`` (which returns how many items it handled); return (items, seconds).

    Before the clock starts, everything alive is collected and frozen out of the garbage
    collector's sight (as a long-running server does after start-up), so a timed run does not
    pay for traversing the harness's own bookkeeping and the imported libraries; both sides
    run under the same rule.
    """
    gc.collect()
    gc.freeze()
    start = time.perf_counter()
    items = await body()
    return items, time.perf_counter() - start


@dataclass
class Measurement:
    """Throughput of one side (ours or the raw baseline) of one workload over repetitions."""

    rates: list[float] = field(default_factory=list)

    def add(self, items: int, seconds: float) -> None:
        self.rates.append(items / seconds if seconds > 0 else float("inf"))

    @property
    def median(self) -> float:
        return statistics.median(self.rates) if self.rates else 0.0


@dataclass
class Comparison:
    """One row of a benchmark table: our implementation against the raw driver."""

    key: str
    description: str
    ours: Measurement = field(default_factory=Measurement)
    raw: Measurement = field(default_factory=Measurement)
    target: float | None = None

    @property
    def ratio(self) -> float:
        raw = self.raw.median
        return self.ours.median / raw if raw else 0.0

    @property
    def meets_target(self) -> bool | None:
        return None if self.target is None else self.ratio >= self.target


def format_rate(value: float) -> str:
    return f"{value:,.0f}"


def render_table(title: str, rows: Sequence[Comparison], unit: str = "events/s") -> None:
    """Print the comparison as a rich table."""
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title)
    table.add_column("workload")
    table.add_column("description")
    table.add_column(f"ours {unit}", justify="right")
    table.add_column(f"raw {unit}", justify="right")
    table.add_column("ours/raw", justify="right")
    table.add_column("target", justify="right")
    table.add_column("runs (ours | raw)")
    for row in rows:
        verdict = row.meets_target
        target = "-" if row.target is None else f">= {row.target:.2f}"
        if verdict is not None:
            target += " ok" if verdict else " MISSED"
        runs = " ".join(format_rate(r) for r in row.ours.rates)
        runs += " | " + " ".join(format_rate(r) for r in row.raw.rates)
        table.add_row(
            row.key,
            row.description,
            format_rate(row.ours.median),
            format_rate(row.raw.median),
            f"{row.ratio:.2f}",
            target,
            runs,
        )
    Console(width=200).print(table)


def worst_ratio(rows: Sequence[Comparison]) -> float:
    return min(row.ratio for row in rows)


def machine_description() -> list[str]:
    """CPU count, memory, CPU model, OS and Python: what the figures depend on."""
    lines = [f"cpus (nproc): {os.cpu_count()}"]
    model = _cpu_model()
    if model:
        lines.append(f"cpu: {model}")
    memory = _total_memory()
    if memory:
        lines.append(f"memory: {memory}")
    lines.append(f"os: {platform.system()} {platform.release()}")
    lines.append(f"python: {platform.python_version()} ({platform.python_implementation()})")
    return lines


def _cpu_model() -> str | None:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        return None
    return None


def _total_memory() -> str | None:
    if shutil.which("free") is None:
        return None
    try:
        out = subprocess.run(["free", "-h"], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    match = re.search(r"^Mem:\s+(\S+)", out, re.MULTILINE)
    return f"{match.group(1)} total" if match else None


# -- latencies (benchmarks/projections/) ------------------------------------------------------


def percentile(values: Sequence[float], fraction: float) -> float:
    """The ``fraction`` quantile of ``values`` (linear interpolation between closest ranks)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = fraction * (len(ordered) - 1)
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


@dataclass
class Latencies:
    """Per-call latencies (seconds) of one side of one workload, one list per repetition."""

    runs: list[list[float]] = field(default_factory=list)

    def add(self, seconds: list[float]) -> None:
        self.runs.append(seconds)

    def p50s(self) -> list[float]:
        return [percentile(run, 0.50) for run in self.runs]

    def p95s(self) -> list[float]:
        return [percentile(run, 0.95) for run in self.runs]

    @property
    def p50(self) -> float:
        """Median over the repetitions of each repetition's p50."""
        return statistics.median(self.p50s()) if self.runs else 0.0

    @property
    def p95(self) -> float:
        """Median over the repetitions of each repetition's p95."""
        return statistics.median(self.p95s()) if self.runs else 0.0


def format_ms(seconds: float) -> str:
    return f"{seconds * 1000:,.2f}"


def benchmark_parser(
    prog: str, description: str | None, quick_help: str
) -> argparse.ArgumentParser:
    """The options every benchmark takes: ``--quick`` (with what it means for this one) and
    ``--verbose``; a benchmark adds its own."""
    parser = argparse.ArgumentParser(
        prog=prog, description=description, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help=quick_help)
    parser.add_argument("--verbose", action="store_true", help="print every timed run")
    return parser


def verbose_log(verbose: bool) -> Callable[[str], None]:
    """A log that prints each line (flushed) only with ``--verbose``."""

    def log(line: str) -> None:
        if verbose:
            print(line, flush=True)

    return log
