"""The workload's sizes, targets and the fixed choices of the generated history."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

REPETITIONS = 3
BATCH = 500  # events per append while loading the history
FEED_PAGE = 1000  # the rebuild's batch size; the raw read uses the same page size
MAIN_TENANT = "northwind"
OTHER_TENANTS = 8
OLDER_MONTHS = 120  # how far before the demo the history records measurements
TARGET_HISTORY_RATIO = 1.5  # large p95 / small p95, at most
TARGET_RAW_RATIO = 3.0  # ours p95 / raw p95, at most
LARGE_REBUILD_BUDGET = 240.0  # seconds: rebuild the large store only if it should fit
FOCUS_CYCLE = ("current", "window", "past", "window", "older", "past", "current", "window")
OTHER_CYCLE = ("past", "current", "older", "past")
REASONS = (
    "late feed row replaced",
    "source system restated the figure",
    "reconciliation with finance",
    "manual entry error",
)
ACTORS = ("svc-metrics-feed", "l.moreau@northwind.example", "a.okafor@northwind.example")


@dataclass(frozen=True, slots=True)
class Sizes:
    small: int  # events in the store for the small measurements
    large: int  # events in the store for the large measurements
    queries: int  # timed scorecard queries per repetition and side
    asof_queries: int
    warmup: int


FULL = Sizes(small=10_000, large=1_000_000, queries=200, asof_queries=200, warmup=20)
QUICK = Sizes(small=10_000, large=200_000, queries=200, asof_queries=100, warmup=20)

Log = Callable[[str], None]
