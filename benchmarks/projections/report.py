"""The printed report: machine and settings, the rebuild and query tables, the verdict."""

from __future__ import annotations

from collections.abc import Sequence

from benchmarks._common import format_ms, machine_description, render_table
from benchmarks.projections.queries import QueryRow
from benchmarks.projections.run import Results
from benchmarks.projections.workload import REPETITIONS, TARGET_HISTORY_RATIO, TARGET_RAW_RATIO


def render_queries(title: str, rows: Sequence[QueryRow]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title)
    for name in ("workload", "description", "ours p50 ms", "ours p95 ms"):
        table.add_column(name, justify="right" if "ms" in name else "left")
    for name in ("raw p50 ms", "raw p95 ms", "ours/raw p95", "target"):
        table.add_column(name, justify="right")
    table.add_column("p95 runs ms (ours | raw)")
    for row in rows:
        ratio = row.ratio
        target = "-"
        if ratio is not None:
            target = f"<= {TARGET_RAW_RATIO:.1f} " + (
                "ok" if ratio <= TARGET_RAW_RATIO else "MISSED"
            )
        runs = " ".join(format_ms(v) for v in row.ours.p95s())
        if row.raw is not None:
            runs += " | " + " ".join(format_ms(v) for v in row.raw.p95s())
        table.add_row(
            row.key,
            row.description,
            format_ms(row.ours.p50),
            format_ms(row.ours.p95),
            format_ms(row.raw.p50) if row.raw else "-",
            format_ms(row.raw.p95) if row.raw else "-",
            f"{ratio:.2f}" if ratio is not None else "-",
            target,
            runs,
        )
    Console(width=200).print(table)


def print_report(results: Results, elapsed: float, quick: bool) -> None:
    """Everything after the run, ending with the line ``history ratio: N.NN``."""
    for line in [*machine_description(), *results.settings, *results.notes]:
        print(line)
    mode = "quick" if quick else "full"
    render_table(
        f"read-model rebuild, postgres, {mode} run: median of {REPETITIONS} ({elapsed:.0f}s)",
        results.rebuilds,
    )
    for row in results.rebuilds:
        if row.ratio:
            faster = 1 / row.ratio
            print(f"{row.key}: ours/raw = {row.ratio:.4f} (the raw read is {faster:,.0f}x faster)")
    render_queries(f"scorecard query latency, median of {REPETITIONS}", results.queries)
    render_queries(f"as-of query latency (large store), median of {REPETITIONS}", results.asof)
    history_ratio = results.large_p95 / results.small_p95 if results.small_p95 else 0.0
    verdict = "ok" if history_ratio <= TARGET_HISTORY_RATIO else "MISSED"
    print(
        f"scorecard p95: {format_ms(results.small_p95)} ms small, "
        f"{format_ms(results.large_p95)} ms large (target ratio <= {TARGET_HISTORY_RATIO}: "
        f"{verdict}); run took {elapsed:.0f}s"
    )
    print(f"history ratio: {history_ratio:.2f}")
