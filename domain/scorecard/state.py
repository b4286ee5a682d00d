"""The Scorecard aggregate's state. Frozen; its maps are persistent (:mod:`domain.persistent`),
so ``evolve`` shares everything it does not change and folding stays linear in the events."""

from __future__ import annotations

import datetime as dt
import zlib
from dataclasses import dataclass, field

from domain.kpi_kinds import Aggregation, Direction, KpiKind
from domain.partitioned import PartitionedMap
from domain.periods import Frequency, Period
from domain.persistent import FrozenMap, frozen_map
from domain.scorecard.values import InitiativeStatus
from domain.scoring import Thresholds


@dataclass(frozen=True)
class Perspective:
    perspective_id: str
    name: str
    weight: float


@dataclass(frozen=True)
class Alignment:
    parent_scorecard_id: str
    parent_objective_id: str


@dataclass(frozen=True)
class Objective:
    objective_id: str
    perspective_id: str
    title: str
    description: str
    owner: str
    weight: float
    retired: bool = False
    alignment: Alignment | None = None


@dataclass(frozen=True)
class Kpi:
    kpi_id: str
    objective_id: str
    name: str
    description: str
    unit: str
    direction: Direction
    range_low: float | None
    range_high: float | None
    frequency: Frequency
    aggregation: Aggregation
    kind: KpiKind
    owner: str
    weight: float
    thresholds: Thresholds | None
    retired: bool = False


@dataclass(frozen=True)
class Target:
    kpi_id: str
    period: Period
    effective_from: bool
    value: float
    baseline: float | None
    stretch: float | None


@dataclass(frozen=True)
class Measurement:
    measurement_id: str
    kpi_id: str
    period: Period
    value: float | None
    not_available: bool
    external_reference: str


@dataclass(frozen=True)
class Initiative:
    initiative_id: str
    title: str
    objective_ids: tuple[str, ...]
    owner: str
    start_date: dt.date
    due_date: dt.date
    status: InitiativeStatus
    progress: int


MeasurementKey = tuple[str, Period]
"""(kpi_id, period)"""

ID_BUCKETS = 64
"""How many parts the maps keyed by measurement id are split into."""


def year_part(key: MeasurementKey) -> str:
    """The part of a (KPI, period) key: the period's year (a batch of readings touches few)."""
    return str(key[1].year_number)


def id_part(measurement_id: str) -> str:
    """The part of a measurement id: a stable hash bucket (not ``hash``, which is salted)."""
    return str(zlib.crc32(measurement_id.encode()) % ID_BUCKETS)


def _measurements() -> PartitionedMap[MeasurementKey, Measurement]:
    return PartitionedMap(year_part)


def _ids() -> PartitionedMap[str, MeasurementKey]:
    return PartitionedMap(id_part, journaled=True)


@dataclass(frozen=True)
class ScorecardState:
    """The scorecard as its events leave it; ``exists`` is False before creation.

    ``measurements`` holds the current measurement per (KPI, period); ``measurement_ids``
    every measurement id ever used, so ids are never reused; ``retracted`` the ids withdrawn
    (with their key). These three are split into parts (:mod:`domain.partitioned`) so that a
    state restored from a snapshot decodes only the parts a command reaches.
    """

    exists: bool = False
    scorecard_id: str = ""
    team_id: str = ""
    name: str = ""
    description: str = ""
    perspective_order: tuple[str, ...] = ()
    perspectives: FrozenMap[str, Perspective] = field(default_factory=frozen_map)
    objectives: FrozenMap[str, Objective] = field(default_factory=frozen_map)
    links: frozenset[tuple[str, str]] = frozenset()
    kpis: FrozenMap[str, Kpi] = field(default_factory=frozen_map)
    targets: FrozenMap[MeasurementKey, Target] = field(default_factory=frozen_map)
    measurements: PartitionedMap[MeasurementKey, Measurement] = field(default_factory=_measurements)
    measurement_ids: PartitionedMap[str, MeasurementKey] = field(default_factory=_ids)
    retracted: PartitionedMap[str, MeasurementKey] = field(default_factory=_ids)
    closed_periods: frozenset[Period] = frozenset()
    initiatives: FrozenMap[str, Initiative] = field(default_factory=frozen_map)

    def is_closed(self, period: Period) -> bool:
        """True when ``period`` or a period containing it is closed."""
        return any(closed.contains(period) for closed in self.closed_periods)
