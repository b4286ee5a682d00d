"""Commands on a Scorecard stream. Optional fields of the ``Edit*`` commands (and of
``ChangeTarget``) apply only when given (``model_fields_set``), so
``EditKpi(..., thresholds=None)`` clears the override."""

from __future__ import annotations

import datetime as dt

from domain.commands import Command
from domain.kpi_kinds import Aggregation, Direction, KpiKind
from domain.numbers import Number, WholeNumber
from domain.periods import Frequency, Period
from domain.scorecard.values import InitiativeStatus
from domain.scoring import Thresholds


class ScorecardCommand(Command):
    """Base of the commands on a scorecard stream."""

    scorecard_id: str


# structure ----------------------------------------------------------------------------


class CreateScorecard(ScorecardCommand):
    """Create a scorecard with the four classic perspectives, ids supplied in order."""

    team_id: str
    name: str
    description: str = ""
    perspective_ids: tuple[str, ...]


class RenameScorecard(ScorecardCommand):
    name: str


class DescribeScorecard(ScorecardCommand):
    description: str


class AddPerspective(ScorecardCommand):
    perspective_id: str
    name: str
    weight: Number = 1.0


class RenamePerspective(ScorecardCommand):
    perspective_id: str
    name: str


class ReorderPerspectives(ScorecardCommand):
    perspective_ids: tuple[str, ...]


class ReweightPerspective(ScorecardCommand):
    perspective_id: str
    weight: Number


class RemovePerspective(ScorecardCommand):
    perspective_id: str


# objectives ---------------------------------------------------------------------------


class AddObjective(ScorecardCommand):
    objective_id: str
    perspective_id: str
    title: str
    description: str = ""
    owner: str = ""
    weight: Number = 1.0


class EditObjective(ScorecardCommand):
    objective_id: str
    title: str | None = None
    description: str | None = None
    owner: str | None = None


class MoveObjective(ScorecardCommand):
    objective_id: str
    perspective_id: str


class ReweightObjective(ScorecardCommand):
    objective_id: str
    weight: Number


class RetireObjective(ScorecardCommand):
    """Retire an objective and, with it, its active KPIs."""

    objective_id: str


class AlignObjective(ScorecardCommand):
    objective_id: str
    parent_scorecard_id: str
    parent_objective_id: str


class UnalignObjective(ScorecardCommand):
    objective_id: str


class LinkObjectives(ScorecardCommand):
    """The source objective drives the target objective."""

    source_objective_id: str
    target_objective_id: str


class UnlinkObjectives(ScorecardCommand):
    source_objective_id: str
    target_objective_id: str


# KPIs ---------------------------------------------------------------------------------


class DefineKpi(ScorecardCommand):
    kpi_id: str
    objective_id: str
    name: str
    description: str = ""
    unit: str = ""
    direction: Direction = Direction.HIGHER_IS_BETTER
    range_low: Number | None = None
    range_high: Number | None = None
    frequency: Frequency = Frequency.MONTH
    aggregation: Aggregation = Aggregation.SUM
    kind: KpiKind = KpiKind.LAGGING
    owner: str = ""
    weight: Number = 1.0
    thresholds: Thresholds | None = None


class EditKpi(ScorecardCommand):
    kpi_id: str
    name: str | None = None
    description: str | None = None
    unit: str | None = None
    direction: Direction | None = None
    range_low: Number | None = None
    range_high: Number | None = None
    aggregation: Aggregation | None = None
    kind: KpiKind | None = None
    owner: str | None = None
    weight: Number | None = None
    thresholds: Thresholds | None = None


class MoveKpi(ScorecardCommand):
    kpi_id: str
    objective_id: str


class RetireKpi(ScorecardCommand):
    kpi_id: str


# targets ------------------------------------------------------------------------------


class SetTarget(ScorecardCommand):
    kpi_id: str
    period: Period
    value: Number
    baseline: Number | None = None
    stretch: Number | None = None
    reason: str
    effective_from: bool = False


class ChangeTarget(ScorecardCommand):
    """Change the value of a period's target. ``baseline``, ``stretch`` and
    ``effective_from`` change only when given: left out, they keep their current values;
    ``baseline=None`` (or ``stretch=None``) clears it."""

    kpi_id: str
    period: Period
    value: Number
    baseline: Number | None = None
    stretch: Number | None = None
    reason: str
    effective_from: bool | None = None


class ClearTarget(ScorecardCommand):
    kpi_id: str
    period: Period
    reason: str


# measurements -------------------------------------------------------------------------


class RecordMeasurement(ScorecardCommand):
    measurement_id: str
    kpi_id: str
    period: Period
    value: Number | None = None
    not_available: bool = False
    source_system: str = ""
    external_reference: str = ""
    note: str = ""
    reason: str | None = None


class RetractMeasurement(ScorecardCommand):
    """Withdraw the current measurement of ``kpi_id`` for ``period`` or by its id."""

    kpi_id: str
    period: Period | None = None
    measurement_id: str | None = None
    reason: str


# period close -------------------------------------------------------------------------


class ClosePeriod(ScorecardCommand):
    period: Period


class ReopenPeriod(ScorecardCommand):
    period: Period
    reason: str


# initiatives --------------------------------------------------------------------------


class CreateInitiative(ScorecardCommand):
    initiative_id: str
    title: str
    objective_ids: tuple[str, ...]
    owner: str = ""
    start_date: dt.date
    due_date: dt.date
    status: InitiativeStatus = InitiativeStatus.PLANNED
    progress: WholeNumber = 0


class EditInitiative(ScorecardCommand):
    initiative_id: str
    title: str | None = None
    owner: str | None = None
    start_date: dt.date | None = None
    due_date: dt.date | None = None
    status: InitiativeStatus | None = None
    progress: WholeNumber | None = None


class RelinkInitiative(ScorecardCommand):
    initiative_id: str
    objective_ids: tuple[str, ...]


class CompleteInitiative(ScorecardCommand):
    initiative_id: str


class CancelInitiative(ScorecardCommand):
    initiative_id: str
    reason: str
