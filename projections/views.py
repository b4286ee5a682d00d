"""What the queries return: plain frozen records, independent of any API."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from domain.evaluation import KpiEvaluation
from domain.periods import Period
from domain.scoring import ScoringDefaults, Status


@dataclass(frozen=True)
class KpiView:
    kpi_id: str
    objective_id: str
    name: str
    description: str
    unit: str
    direction: str
    frequency: str
    aggregation: str
    kind: str
    owner: str
    weight: float
    range_low: float | None
    range_high: float | None
    green: float | None
    amber: float | None
    evaluation: KpiEvaluation
    trend: tuple[KpiEvaluation, ...]

    @property
    def score(self) -> float | None:
        return self.evaluation.score

    @property
    def status(self) -> Status:
        return self.evaluation.status


@dataclass(frozen=True)
class InitiativeView:
    initiative_id: str
    title: str
    owner: str
    start_date: date
    due_date: date
    status: str
    progress: int
    objective_ids: tuple[str, ...]


@dataclass(frozen=True)
class ObjectiveView:
    objective_id: str
    perspective_id: str
    title: str
    description: str
    owner: str
    weight: float
    parent_scorecard_id: str | None
    parent_objective_id: str | None
    score: float | None
    status: Status
    kpis: tuple[KpiView, ...]
    initiatives: tuple[InitiativeView, ...]


@dataclass(frozen=True)
class PerspectiveView:
    perspective_id: str
    name: str
    weight: float
    position: int
    score: float | None
    status: Status
    objectives: tuple[ObjectiveView, ...]


@dataclass(frozen=True)
class LinkView:
    source_objective_id: str
    target_objective_id: str


@dataclass(frozen=True)
class ScorecardView:
    scorecard_id: str
    team_id: str
    name: str
    description: str
    period: Period
    as_of: str | None
    closed: bool
    score: float | None
    status: Status
    perspectives: tuple[PerspectiveView, ...]
    links: tuple[LinkView, ...]
    scoring: ScoringDefaults = field(default_factory=ScoringDefaults)
    """The organization's scoring defaults the figures were scored with."""

    def kpi(self, kpi_id: str) -> KpiView:
        """The KPI with ``kpi_id`` (KeyError when it is not on the scorecard)."""
        for perspective in self.perspectives:
            for objective in perspective.objectives:
                for kpi in objective.kpis:
                    if kpi.kpi_id == kpi_id:
                        return kpi
        raise KeyError(kpi_id)


@dataclass(frozen=True)
class RowVersion:
    """One version of a read-model row: its values and the interval it was current in."""

    values: dict[str, Any]
    valid_from: datetime
    from_position: int
    changed_by: str
    change_event: str
    change_reason: str | None
    valid_to: datetime | None = None
    to_position: int | None = None
    ended_by: str | None = None
    end_event: str | None = None
    end_reason: str | None = None


@dataclass(frozen=True)
class KpiHistory:
    kpi_id: str
    definitions: tuple[RowVersion, ...]
    targets: tuple[RowVersion, ...]
    measurements: tuple[RowVersion, ...]


@dataclass(frozen=True)
class AuditEntry:
    cursor: str
    position: int
    stream_id: str
    version: int
    event_id: str
    event_type: str
    entity_type: str
    entity_id: str
    actor: str
    recorded_at: datetime
    reason: str | None
    source_system: str | None
    correlation_id: str | None
    data: dict[str, Any]


@dataclass(frozen=True)
class Page:
    items: tuple[AuditEntry, ...]
    end_cursor: str | None
    has_next_page: bool


@dataclass(frozen=True)
class EntityChange:
    """How one definition, target or measurement differs between two moments."""

    entity_type: str
    entity_id: str
    kind: str  # "added", "changed" or "removed"
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    events: tuple[RowVersion, ...] = field(default=())


@dataclass(frozen=True)
class ProjectionStatus:
    name: str
    lifecycle: str  # "inline" or "async"
    generation: int
    checkpoint: str
    lag_events: int
    """Committed events after the checkpoint (released to readers or still held back)."""
    lag_seconds: float
    leader: str | None = None
    """Who runs an async projection now (None: no runner holds its leadership)."""
    last_error: str | None = None
    last_error_at: datetime | None = None
    held_back_events: int = 0
    """How many of them the feed does not release yet: an append still in flight may commit
    events that come before them (PostgreSQL)."""
    held_by_pid: int | None = None
    """The server process whose open append holds them back (None when none does, or when
    it has just ended)."""
    held_for_seconds: float | None = None
    """How long that append's transaction has been open."""
