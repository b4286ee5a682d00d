"""Events of the Scorecard stream. Each carries ``scorecard_id`` and every id a read model
needs to apply it on its own. Type names are ``"scorecard.<what_happened>"``."""

from __future__ import annotations

import datetime as dt

from domain.events import Event
from domain.kpi_kinds import Aggregation, Direction, KpiKind
from domain.periods import Frequency, Period
from domain.scorecard.values import InitiativeStatus
from domain.scoring import Thresholds


class ScorecardEvent(Event):
    """Base of the scorecard stream's events."""

    scorecard_id: str


# structure ----------------------------------------------------------------------------


class ScorecardCreated(ScorecardEvent):
    event_type = "scorecard.created"
    team_id: str
    name: str
    description: str


class ScorecardRenamed(ScorecardEvent):
    event_type = "scorecard.renamed"
    name: str


class ScorecardDescriptionChanged(ScorecardEvent):
    event_type = "scorecard.description_changed"
    description: str


class PerspectiveAdded(ScorecardEvent):
    """A perspective appended at ``position`` (0-based) with its weight."""

    event_type = "scorecard.perspective_added"
    perspective_id: str
    name: str
    weight: float
    position: int


class PerspectiveRenamed(ScorecardEvent):
    event_type = "scorecard.perspective_renamed"
    perspective_id: str
    name: str


class PerspectivesReordered(ScorecardEvent):
    """The full new order of the perspectives."""

    event_type = "scorecard.perspectives_reordered"
    perspective_ids: tuple[str, ...]


class PerspectiveReweighted(ScorecardEvent):
    event_type = "scorecard.perspective_reweighted"
    perspective_id: str
    weight: float


class PerspectiveRemoved(ScorecardEvent):
    event_type = "scorecard.perspective_removed"
    perspective_id: str


# objectives ---------------------------------------------------------------------------


class ObjectiveAdded(ScorecardEvent):
    event_type = "scorecard.objective_added"
    objective_id: str
    perspective_id: str
    title: str
    description: str
    owner: str
    weight: float


class ObjectiveEdited(ScorecardEvent):
    """The objective's editable fields after the edit (all of them)."""

    event_type = "scorecard.objective_edited"
    objective_id: str
    title: str
    description: str
    owner: str


class ObjectiveMoved(ScorecardEvent):
    event_type = "scorecard.objective_moved"
    objective_id: str
    from_perspective_id: str
    to_perspective_id: str


class ObjectiveReweighted(ScorecardEvent):
    event_type = "scorecard.objective_reweighted"
    objective_id: str
    weight: float


class ObjectiveRetired(ScorecardEvent):
    event_type = "scorecard.objective_retired"
    objective_id: str


class ObjectiveAligned(ScorecardEvent):
    """The objective cascades from an objective of another scorecard (replacing any former)."""

    event_type = "scorecard.objective_aligned"
    objective_id: str
    parent_scorecard_id: str
    parent_objective_id: str


class ObjectiveUnaligned(ScorecardEvent):
    event_type = "scorecard.objective_unaligned"
    objective_id: str
    parent_scorecard_id: str
    parent_objective_id: str


class ObjectivesLinked(ScorecardEvent):
    """Strategy map: the source objective drives the target objective."""

    event_type = "scorecard.objectives_linked"
    source_objective_id: str
    target_objective_id: str


class ObjectivesUnlinked(ScorecardEvent):
    event_type = "scorecard.objectives_unlinked"
    source_objective_id: str
    target_objective_id: str


# KPIs ---------------------------------------------------------------------------------


class KpiDefined(ScorecardEvent):
    event_type = "scorecard.kpi_defined"
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


class KpiEdited(ScorecardEvent):
    """The KPI's editable fields after the edit (all of them; frequency is not editable)."""

    event_type = "scorecard.kpi_edited"
    kpi_id: str
    objective_id: str
    name: str
    description: str
    unit: str
    direction: Direction
    range_low: float | None
    range_high: float | None
    aggregation: Aggregation
    kind: KpiKind
    owner: str
    weight: float
    thresholds: Thresholds | None


class KpiMoved(ScorecardEvent):
    event_type = "scorecard.kpi_moved"
    kpi_id: str
    from_objective_id: str
    to_objective_id: str


class KpiRetired(ScorecardEvent):
    event_type = "scorecard.kpi_retired"
    kpi_id: str
    objective_id: str


# targets ------------------------------------------------------------------------------


class TargetSet(ScorecardEvent):
    event_type = "scorecard.target_set"
    kpi_id: str
    period: Period
    effective_from: bool
    value: float
    baseline: float | None
    stretch: float | None
    reason: str


class TargetChanged(ScorecardEvent):
    event_type = "scorecard.target_changed"
    kpi_id: str
    period: Period
    effective_from: bool
    value: float
    baseline: float | None
    stretch: float | None
    reason: str


class TargetCleared(ScorecardEvent):
    event_type = "scorecard.target_cleared"
    kpi_id: str
    period: Period
    reason: str


# measurements -------------------------------------------------------------------------


class MeasurementRecorded(ScorecardEvent):
    """A first value (or not-available) for a KPI and period, with the reason given for it,
    if any (events recorded before reasons were kept have none)."""

    event_type = "scorecard.measurement_recorded"
    measurement_id: str
    kpi_id: str
    period: Period
    value: float | None
    not_available: bool
    source_system: str
    external_reference: str
    note: str
    reason: str | None = None


class MeasurementCorrected(ScorecardEvent):
    """A new value for a KPI and period that supersedes the current one (kept in history)."""

    event_type = "scorecard.measurement_corrected"
    measurement_id: str
    supersedes: str
    kpi_id: str
    period: Period
    value: float | None
    not_available: bool
    source_system: str
    external_reference: str
    note: str
    reason: str


class MeasurementRetracted(ScorecardEvent):
    """The current measurement withdrawn; the KPI has no value for the period afterwards."""

    event_type = "scorecard.measurement_retracted"
    measurement_id: str
    kpi_id: str
    period: Period
    reason: str


# period close -------------------------------------------------------------------------


class PeriodClosed(ScorecardEvent):
    event_type = "scorecard.period_closed"
    period: Period


class PeriodReopened(ScorecardEvent):
    event_type = "scorecard.period_reopened"
    period: Period
    reason: str


# initiatives --------------------------------------------------------------------------


class InitiativeCreated(ScorecardEvent):
    event_type = "scorecard.initiative_created"
    initiative_id: str
    title: str
    objective_ids: tuple[str, ...]
    owner: str
    start_date: dt.date
    due_date: dt.date
    status: InitiativeStatus
    progress: int


class InitiativeEdited(ScorecardEvent):
    """The initiative's editable fields after the edit (all of them)."""

    event_type = "scorecard.initiative_edited"
    initiative_id: str
    title: str
    owner: str
    start_date: dt.date
    due_date: dt.date
    status: InitiativeStatus
    progress: int


class InitiativeRelinked(ScorecardEvent):
    event_type = "scorecard.initiative_relinked"
    initiative_id: str
    objective_ids: tuple[str, ...]


class InitiativeCompleted(ScorecardEvent):
    """Done; progress becomes 100."""

    event_type = "scorecard.initiative_completed"
    initiative_id: str


class InitiativeCancelled(ScorecardEvent):
    event_type = "scorecard.initiative_cancelled"
    initiative_id: str
    reason: str
