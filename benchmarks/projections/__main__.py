"""The command line: ``python -m benchmarks.projections`` (see the package docstring)."""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Sequence

import benchmarks.projections as package
from benchmarks.projections.report import print_report
from benchmarks.projections.run import run
from benchmarks.projections.workload import FULL, QUICK


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.projections",
        description=package.__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--quick", action="store_true", help="200,000 events (under 2 minutes)")
    parser.add_argument(
        "--inline-load",
        action="store_true",
        help="load the history through the inline projection (slow)",
    )
    parser.add_argument(
        "--explain", action="store_true", help="print EXPLAIN ANALYZE of the query's statements"
    )
    parser.add_argument("--verbose", action="store_true", help="print every timed run")
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else FULL

    def progress(line: str) -> None:
        print(line, flush=True)

    def detail(line: str) -> None:
        if args.verbose:
            print(line, flush=True)

    def log(line: str) -> None:
        (detail if " run " in line else progress)(line)

    started = time.perf_counter()
    results = asyncio.run(run(sizes, args.inline_load, args.explain, log))
    elapsed = time.perf_counter() - started
    print_report(results, elapsed, args.quick)
    return 0


if __name__ == "__main__":
    sys.exit(main())
