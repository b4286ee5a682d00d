"""The enumerations that describe a KPI."""

from __future__ import annotations

import enum


class Direction(enum.StrEnum):
    """Which actual values are good."""

    HIGHER_IS_BETTER = "higher_is_better"
    LOWER_IS_BETTER = "lower_is_better"
    WITHIN_RANGE = "within_range"


class Aggregation(enum.StrEnum):
    """How a KPI's values over several periods combine into one for a longer period."""

    SUM = "sum"
    AVERAGE = "average"
    LAST = "last"
    MIN = "min"
    MAX = "max"


class KpiKind(enum.StrEnum):
    """Leading indicators predict results; lagging indicators measure them."""

    LEADING = "leading"
    LAGGING = "lagging"
