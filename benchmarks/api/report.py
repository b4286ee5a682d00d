"""The printed report: machine, notes, the latency table, the ratios, the breakdown."""

from __future__ import annotations

import platform

from benchmarks._common import format_ms, machine_description
from benchmarks.api.run import Results
from benchmarks.api.workload import CONCURRENCIES, REPETITIONS, TARGET_RATIO

CHURN_FAULTS = 100  # minor page faults per request


def render_rows(results: Results, title: str) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title)
    table.add_column("side")
    table.add_column("description")
    for name in ("concurrency", "p50 ms", "p95 ms", "requests/s", "server CPU ms/req"):
        table.add_column(name, justify="right")
    table.add_column("server faults/req", justify="right")
    table.add_column("p50 runs ms")
    for row in results.rows:
        table.add_row(
            row.key,
            row.description,
            str(row.concurrency),
            format_ms(row.latencies.p50),
            format_ms(row.latencies.p95),
            f"{row.rates.median:,.0f}",
            "-" if row.cpu_ms is None else f"{row.cpu_ms:.1f}",
            "-" if row.faults is None else f"{row.faults:,.0f}",
            " ".join(format_ms(v) for v in row.latencies.p50s()),
        )
    Console(width=200).print(table)


def _note_chunk_churn(results: Results) -> None:
    """Say so when GraphQL requests make the server fault pages in and plain ones do not."""
    graphql, plain = results.row("G", 1).faults, results.row("P", 1).faults
    if graphql is None or plain is None or graphql < CHURN_FAULTS or plain >= CHURN_FAULTS:
        return
    print(
        f"note: each GraphQL request cost the server {graphql:,.0f} minor page faults, a plain "
        f"one {plain:,.0f}: CPython {platform.python_version()} maps and unmaps a 16 KiB "
        "frame-stack chunk at every call that crosses a chunk boundary and returns "
        "(python/cpython#142183); where the boundary falls in graphql-core's recursion "
        "depends on how deep the launcher's stack is (compare --launcher uvicorn-run)"
    )


def ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator else 0.0


def print_report(results: Results, elapsed: float, quick: bool) -> float:
    """Everything after the run, ending with ``graphql/plain p50 ratio: N.NN`` (concurrency
    1); returns that ratio."""
    for line in [*machine_description(), *results.notes]:
        print(line)
    mode = "quick" if quick else "full"
    render_rows(
        results, f"scorecard over HTTP, {mode} run: median of {REPETITIONS} ({elapsed:.0f}s)"
    )
    for concurrency in CONCURRENCIES:
        g, p, lib = (results.row(k, concurrency) for k in ("G", "P", "L"))
        print(
            f"concurrency {concurrency}: graphql/plain p50 "
            f"{ratio(g.latencies.p50, p.latencies.p50):.2f}, p95 "
            f"{ratio(g.latencies.p95, p.latencies.p95):.2f}, requests/s "
            f"{ratio(g.rates.median, p.rates.median):.2f}; plain/library p50 "
            f"{ratio(p.latencies.p50, lib.latencies.p50):.2f}, p95 "
            f"{ratio(p.latencies.p95, lib.latencies.p95):.2f}, requests/s "
            f"{ratio(p.rates.median, lib.rates.median):.2f}"
        )
    b = results.breakdown
    if b is not None:
        print(
            f"in process, median of {b.executions}: schema.execute {b.execute_ms:.2f} ms "
            f"= library call {b.library_ms:.2f} ms + GraphQL {b.graphql_ms:.2f} ms; "
            f"encoding the result with json.dumps {b.encode_json_ms:.2f} ms "
            f"(the plain route's to_json + orjson: {b.plain_encode_ms:.2f} ms); "
            f"{b.faults:,.0f} minor page faults per execution"
        )
        print("  self time of schema.execute under cProfile, by package:")
        for name, share in b.shares.items():
            if share >= 0.005:
                print(f"    {share:6.1%}  {name}")
    _note_chunk_churn(results)
    headline = ratio(results.row("G", 1).latencies.p50, results.row("P", 1).latencies.p50)
    verdict = "ok" if headline <= TARGET_RATIO else "MISSED"
    print(f"target: graphql/plain p50 at concurrency 1 <= {TARGET_RATIO:.1f}: {verdict}")
    print(f"graphql/plain p50 ratio: {headline:.2f}")
    return headline
