"""The command line: ``python -m benchmarks.api`` (see the package docstring)."""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Sequence

import benchmarks.api as package
from benchmarks.api.process import LAUNCHERS
from benchmarks.api.report import print_report
from benchmarks.api.run import run
from benchmarks.api.workload import FULL, QUICK


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.api",
        description=package.__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--quick", action="store_true", help="fewer requests (under a minute)")
    parser.add_argument(
        "--launcher",
        choices=LAUNCHERS,
        default="uvicorn",
        help="how the server starts: uvicorn's command line (default) or uvicorn.run()",
    )
    parser.add_argument("--verbose", action="store_true", help="print every timed run")
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else FULL

    def log(line: str) -> None:
        if args.verbose or " run " not in line:
            print(line, flush=True)

    started = time.perf_counter()
    results = asyncio.run(run(sizes, args.launcher, log))
    print_report(results, time.perf_counter() - started, args.quick)
    return 0


if __name__ == "__main__":
    sys.exit(main())
