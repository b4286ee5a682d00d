"""The scorecard tree: perspectives → objectives → KPIs with figures, trends, explanations,
initiatives, alignment and the strategy map."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import strawberry

from api.graphql.enums import (
    Aggregation,
    Direction,
    Granularity,
    InitiativeStatus,
    KpiKind,
    Status,
)
from api.graphql.explanations import RollUpExplanationType, ScoreExplanation
from api.graphql.ids import global_id
from domain.evaluation import KpiEvaluation
from domain.explanation import explain_kpi, explain_roll_up
from domain.scoring import ScoringDefaults, Thresholds
from projections.views import (
    InitiativeView,
    KpiView,
    ObjectiveView,
    PerspectiveView,
    ScorecardView,
)

MAX_TREND = 36


def _thresholds(kpi: KpiView, scoring: ScoringDefaults) -> Thresholds:
    if kpi.green is not None and kpi.amber is not None:
        return Thresholds(green=kpi.green, amber=kpi.amber)
    return scoring.thresholds


# The figures of a KPI and of its trend periods are plain fields, filled when the object is
# built: strawberry reads a plain field with getattr, while a method resolver costs an Info
# object, argument conversion and the extension chain per field and item. A whole scorecard
# (40 KPIs, 12 trend periods) resolves about 2,900 fields; this took its execution from 26 to
# 21 ms in process (benchmarks/api).
@strawberry.type(description="A KPI's figures for one period.")
class KpiPeriod:
    period: str = strawberry.field(description="The period, e.g. 2026-03, 2026-Q1 or 2026.")
    actual: float | None = strawberry.field(
        description="The actual (none: no data or not available)."
    )
    target: float | None = strawberry.field(description="The target that applies to the period.")
    baseline: float | None = strawberry.field(description="The baseline that applies, if any.")
    stretch: float | None = strawberry.field(description="The stretch target that applies, if any.")
    score: float | None = strawberry.field(
        description="The score, within [0, cap] (none: no data)."
    )
    status: Status = strawberry.field(description="The status the score earns.")
    evaluation: strawberry.Private[KpiEvaluation]
    kpi: strawberry.Private[KpiView]
    scoring: strawberry.Private[ScoringDefaults]

    @classmethod
    def of(cls, e: KpiEvaluation, kpi: KpiView, scoring: ScoringDefaults) -> KpiPeriod:
        return cls(
            period=str(e.period),
            actual=e.actual,
            target=e.target,
            baseline=e.baseline,
            stretch=e.stretch,
            score=e.score,
            status=e.status,
            evaluation=e,
            kpi=kpi,
            scoring=scoring,
        )

    @strawberry.field(description="How the score and status came about, with the numbers.")
    def explanation(self) -> ScoreExplanation:
        return explain(self.evaluation, self.kpi, self.scoring)


def explain(e: KpiEvaluation, kpi: KpiView, scoring: ScoringDefaults) -> ScoreExplanation:
    """The explanation of one evaluation of ``kpi``."""
    return ScoreExplanation.of(
        explain_kpi(
            e.actual,
            e.target,
            Direction(kpi.direction),
            _thresholds(kpi, scoring),
            baseline=e.baseline,
            range_low=kpi.range_low,
            range_high=kpi.range_high,
            cap=scoring.cap,
        )
    )


@strawberry.type(description="Score thresholds: minimum scores for green and amber.")
class ThresholdsType:
    green: float = strawberry.field(description="Minimum score for green.")
    amber: float = strawberry.field(description="Minimum score for amber; below it is red.")


@strawberry.type(description="A KPI on a scorecard, with its figures for the period asked.")
class Kpi:
    id: strawberry.ID = strawberry.field(description="Global id (use with node and kpi).")
    kpi_id: str = strawberry.field(description="The KPI's id within its scorecard.")
    objective_id: str = strawberry.field(
        description="The objective the KPI measures (its id in the scorecard)."
    )
    name: str = strawberry.field(description="Name.")
    description: str = strawberry.field(description="Description.")
    unit: str = strawberry.field(description="Unit of its values, e.g. %, hours, count.")
    direction: Direction = strawberry.field(description="Which actuals are good.")
    frequency: Granularity = strawberry.field(description="How often it is measured.")
    aggregation: Aggregation = strawberry.field(
        description="How its values combine over longer periods."
    )
    kind: KpiKind = strawberry.field(description="Leading or lagging.")
    owner: str = strawberry.field(description="Who owns it.")
    weight: float = strawberry.field(description="Weight in its objective's roll-up.")
    range_low: float | None = strawberry.field(description="Lower bound of a within-range KPI.")
    range_high: float | None = strawberry.field(description="Upper bound of a within-range KPI.")
    thresholds: ThresholdsType = strawberry.field(
        description="The thresholds in force (the KPI's own or the defaults)."
    )
    has_own_thresholds: bool = strawberry.field(
        description="Whether the KPI overrides the organization's thresholds."
    )
    period: str = strawberry.field(description="The period the figures are for.")
    actual: float | None = strawberry.field(description="Actual for the period (none: no data).")
    target: float | None = strawberry.field(description="Target for the period.")
    baseline: float | None = strawberry.field(description="Baseline for the period, if any.")
    stretch: float | None = strawberry.field(description="Stretch target for the period, if any.")
    score: float | None = strawberry.field(description="Score for the period.")
    status: Status = strawberry.field(description="Status for the period.")
    view: strawberry.Private[KpiView]
    scorecard_id: strawberry.Private[str]
    scoring: strawberry.Private[ScoringDefaults]

    @classmethod
    def of(cls, view: KpiView, scorecard_id: str, scoring: ScoringDefaults) -> Kpi:
        used = _thresholds(view, scoring)
        e = view.evaluation
        return cls(
            id=strawberry.ID(global_id("Kpi", scorecard_id, view.kpi_id)),
            kpi_id=view.kpi_id,
            objective_id=view.objective_id,
            name=view.name,
            description=view.description,
            unit=view.unit,
            direction=Direction(view.direction),
            frequency=Granularity(view.frequency),
            aggregation=Aggregation(view.aggregation),
            kind=KpiKind(view.kind),
            owner=view.owner,
            weight=view.weight,
            range_low=view.range_low,
            range_high=view.range_high,
            thresholds=ThresholdsType(green=used.green, amber=used.amber),
            has_own_thresholds=view.green is not None,
            period=str(e.period),
            actual=e.actual,
            target=e.target,
            baseline=e.baseline,
            stretch=e.stretch,
            score=e.score,
            status=e.status,
            view=view,
            scorecard_id=scorecard_id,
            scoring=scoring,
        )

    @strawberry.field(description="How the score and status came about, with the numbers.")
    def explanation(self) -> ScoreExplanation:
        return explain(self.view.evaluation, self.view, self.scoring)

    @strawberry.field(
        description="Figures of the last N periods ending with the period, oldest first."
    )
    def trend(
        self,
        last: Annotated[
            int, strawberry.argument(description=f"How many periods (1..{MAX_TREND}).")
        ] = 6,
    ) -> list[KpiPeriod]:
        periods = self.view.trend[-max(1, min(last, len(self.view.trend))) :]
        return [KpiPeriod.of(e, self.view, self.scoring) for e in periods]


@strawberry.type(description="A project that closes a performance gap.")
class Initiative:
    view: strawberry.Private[InitiativeView]
    scorecard_id: strawberry.Private[str]

    @strawberry.field(description="Global id.")
    def id(self) -> strawberry.ID:
        return strawberry.ID(global_id("Initiative", self.scorecard_id, self.view.initiative_id))

    @strawberry.field(description="The initiative's id within its scorecard.")
    def initiative_id(self) -> str:
        return self.view.initiative_id

    @strawberry.field(description="Title.")
    def title(self) -> str:
        return self.view.title

    @strawberry.field(description="Owner.")
    def owner(self) -> str:
        return self.view.owner

    @strawberry.field(description="Start date.")
    def start_date(self) -> dt.date:
        return self.view.start_date

    @strawberry.field(description="Due date.")
    def due_date(self) -> dt.date:
        return self.view.due_date

    @strawberry.field(description="Status.")
    def status(self) -> InitiativeStatus:
        return InitiativeStatus(self.view.status)

    @strawberry.field(description="Progress in percent (0..100).")
    def progress(self) -> int:
        return self.view.progress

    @strawberry.field(description="The objectives it serves (ids within the scorecard).")
    def objective_ids(self) -> list[str]:
        return list(self.view.objective_ids)


@strawberry.type(description="An objective of a parent team's scorecard this one cascades from.")
class Alignment:
    scorecard_id: str = strawberry.field(description="The parent scorecard's id.")
    objective_id: str = strawberry.field(description="The parent objective's id.")

    @strawberry.field(description="Global id of the parent scorecard.")
    def scorecard(self) -> strawberry.ID:
        return strawberry.ID(global_id("Scorecard", self.scorecard_id, self.scorecard_id))

    @strawberry.field(description="Global id of the parent objective.")
    def objective(self) -> strawberry.ID:
        return strawberry.ID(global_id("Objective", self.scorecard_id, self.objective_id))


def _roll_up_explanation(
    children: list[tuple[str, str, float | None, float]], scoring: ScoringDefaults
) -> RollUpExplanationType:
    return RollUpExplanationType.of(explain_roll_up(children, scoring.thresholds))


@strawberry.type(description="An objective in a perspective, measured by its KPIs.")
class Objective:
    view: strawberry.Private[ObjectiveView]
    scorecard_id: strawberry.Private[str]
    scoring: strawberry.Private[ScoringDefaults]

    @strawberry.field(description="Global id.")
    def id(self) -> strawberry.ID:
        return strawberry.ID(global_id("Objective", self.scorecard_id, self.view.objective_id))

    @strawberry.field(description="The objective's id within its scorecard.")
    def objective_id(self) -> str:
        return self.view.objective_id

    @strawberry.field(description="The perspective it belongs to.")
    def perspective_id(self) -> str:
        return self.view.perspective_id

    @strawberry.field(description="Title.")
    def title(self) -> str:
        return self.view.title

    @strawberry.field(description="Description.")
    def description(self) -> str:
        return self.view.description

    @strawberry.field(description="Owner.")
    def owner(self) -> str:
        return self.view.owner

    @strawberry.field(description="Weight in its perspective's roll-up.")
    def weight(self) -> float:
        return self.view.weight

    @strawberry.field(description="Weighted mean of its KPIs' scores (none: no data).")
    def score(self) -> float | None:
        return self.view.score

    @strawberry.field(description="Status of that score.")
    def status(self) -> Status:
        return self.view.status

    @strawberry.field(description="Each KPI's score and normalised weight; those left out.")
    def explanation(self) -> RollUpExplanationType:
        children = [(k.kpi_id, k.name, k.score, k.weight) for k in self.view.kpis]
        return _roll_up_explanation(children, self.scoring)

    @strawberry.field(description="Its KPIs (retired ones are not shown).")
    def kpis(self) -> list[Kpi]:
        return [Kpi.of(k, self.scorecard_id, self.scoring) for k in self.view.kpis]

    @strawberry.field(description="Initiatives linked to it.")
    def initiatives(self) -> list[Initiative]:
        return [Initiative(view=i, scorecard_id=self.scorecard_id) for i in self.view.initiatives]

    @strawberry.field(description="The parent team's objective it cascades from, if any.")
    def aligned_to(self) -> Alignment | None:
        v = self.view
        if v.parent_scorecard_id is None or v.parent_objective_id is None:
            return None
        return Alignment(scorecard_id=v.parent_scorecard_id, objective_id=v.parent_objective_id)


@strawberry.type(description="A perspective of the scorecard (Financial, Customer, ...).")
class Perspective:
    view: strawberry.Private[PerspectiveView]
    scorecard_id: strawberry.Private[str]
    scoring: strawberry.Private[ScoringDefaults]

    @strawberry.field(description="Global id.")
    def id(self) -> strawberry.ID:
        return strawberry.ID(global_id("Perspective", self.scorecard_id, self.view.perspective_id))

    @strawberry.field(description="The perspective's id within its scorecard.")
    def perspective_id(self) -> str:
        return self.view.perspective_id

    @strawberry.field(description="Name.")
    def name(self) -> str:
        return self.view.name

    @strawberry.field(description="Weight in the scorecard's roll-up.")
    def weight(self) -> float:
        return self.view.weight

    @strawberry.field(description="Display order, from 0.")
    def position(self) -> int:
        return self.view.position

    @strawberry.field(description="Weighted mean of its objectives' scores.")
    def score(self) -> float | None:
        return self.view.score

    @strawberry.field(description="Status of that score.")
    def status(self) -> Status:
        return self.view.status

    @strawberry.field(description="Each objective's score and normalised weight.")
    def explanation(self) -> RollUpExplanationType:
        children = [(o.objective_id, o.title, o.score, o.weight) for o in self.view.objectives]
        return _roll_up_explanation(children, self.scoring)

    @strawberry.field(description="Its objectives (retired ones are not shown).")
    def objectives(self) -> list[Objective]:
        return [
            Objective(view=o, scorecard_id=self.scorecard_id, scoring=self.scoring)
            for o in self.view.objectives
        ]


@strawberry.type(description="An objective on the strategy map.")
class StrategyNode:
    objective_id: str = strawberry.field(description="The objective's id.")
    title: str = strawberry.field(description="Its title.")
    perspective_id: str = strawberry.field(description="Its perspective's id.")
    perspective_name: str = strawberry.field(description="Its perspective's name.")
    score: float | None = strawberry.field(description="Its score.")
    status: Status = strawberry.field(description="Its status.")
    aligned_to: Alignment | None = strawberry.field(description="What it cascades from.")


@strawberry.type(description='A cause-and-effect link: "source drives target".')
class StrategyLink:
    source_objective_id: str = strawberry.field(description="The driving objective.")
    target_objective_id: str = strawberry.field(description="The driven objective.")


@strawberry.type(description="The strategy map: objectives and their cause-and-effect links.")
class StrategyMap:
    nodes: list[StrategyNode] = strawberry.field(description="Every active objective.")
    links: list[StrategyLink] = strawberry.field(description="Every link between them.")


@strawberry.type(description="A scorecard for one period, as it stands or as known at a moment.")
class Scorecard:
    view: strawberry.Private[ScorecardView]

    @strawberry.field(description="Global id.")
    def id(self) -> strawberry.ID:
        return strawberry.ID(global_id("Scorecard", self.view.scorecard_id, self.view.scorecard_id))

    @strawberry.field(description="The scorecard's own id.")
    def scorecard_id(self) -> str:
        return self.view.scorecard_id

    @strawberry.field(description="The team it belongs to.")
    def team_id(self) -> str:
        return self.view.team_id

    @strawberry.field(description="Name.")
    def name(self) -> str:
        return self.view.name

    @strawberry.field(description="Description.")
    def description(self) -> str:
        return self.view.description

    @strawberry.field(description="The period (valid time) the figures are for.")
    def period(self) -> str:
        return str(self.view.period)

    @strawberry.field(description="The moment (system time) it is shown as of; none for now.")
    def as_of(self) -> str | None:
        return self.view.as_of

    @strawberry.field(description="Whether the period (or one containing it) was closed.")
    def closed(self) -> bool:
        return self.view.closed

    @strawberry.field(description="Weighted mean of the perspectives' scores.")
    def score(self) -> float | None:
        return self.view.score

    @strawberry.field(description="Status of that score.")
    def status(self) -> Status:
        return self.view.status

    @strawberry.field(description="Each perspective's score and normalised weight.")
    def explanation(self) -> RollUpExplanationType:
        children = [(p.perspective_id, p.name, p.score, p.weight) for p in self.view.perspectives]
        return _roll_up_explanation(children, self.view.scoring)

    @strawberry.field(description="The perspectives in display order.")
    def perspectives(self) -> list[Perspective]:
        return [
            Perspective(view=p, scorecard_id=self.view.scorecard_id, scoring=self.view.scoring)
            for p in self.view.perspectives
        ]

    @strawberry.field(description="One KPI of the scorecard by its id within the scorecard.")
    def kpi(
        self, kpi_id: Annotated[str, strawberry.argument(description="The KPI id.")]
    ) -> Kpi | None:
        try:
            view = self.view.kpi(kpi_id)
        except KeyError:
            return None
        return Kpi.of(view, self.view.scorecard_id, self.view.scoring)

    @strawberry.field(description="Objectives and their cause-and-effect links.")
    def strategy_map(self) -> StrategyMap:
        nodes = []
        for p in self.view.perspectives:
            for o in p.objectives:
                aligned = None
                if o.parent_scorecard_id is not None and o.parent_objective_id is not None:
                    aligned = Alignment(
                        scorecard_id=o.parent_scorecard_id, objective_id=o.parent_objective_id
                    )
                nodes.append(
                    StrategyNode(
                        objective_id=o.objective_id,
                        title=o.title,
                        perspective_id=p.perspective_id,
                        perspective_name=p.name,
                        score=o.score,
                        status=o.status,
                        aligned_to=aligned,
                    )
                )
        links = [
            StrategyLink(
                source_objective_id=link.source_objective_id,
                target_objective_id=link.target_objective_id,
            )
            for link in self.view.links
        ]
        return StrategyMap(nodes=nodes, links=links)


def requested_trend(selected: Any) -> int:
    """The longest ``trend(last:)`` asked for anywhere under the selection (default 6)."""
    longest = 1
    stack = list(selected)
    while stack:
        field = stack.pop()
        if getattr(field, "name", None) == "trend":
            # Literal arguments arrive as their source text, variables as their values.
            try:
                longest = max(longest, int(field.arguments.get("last", 6)))
            except (TypeError, ValueError):
                longest = max(longest, 6)
        stack.extend(getattr(field, "selections", ()) or ())
    return longest


def entity_in(
    view: ScorecardView, type_name: str, entity_id: str | None
) -> Scorecard | Perspective | Objective | Kpi | Initiative | None:
    """The entity of type ``type_name`` (a global-id type) with ``entity_id`` in the view, if
    it is shown there (retired objectives and KPIs are not)."""
    if type_name == "Scorecard":
        return Scorecard(view=view) if entity_id == view.scorecard_id else None
    sid, scoring = view.scorecard_id, view.scoring
    for p in view.perspectives:
        if type_name == "Perspective" and p.perspective_id == entity_id:
            return Perspective(view=p, scorecard_id=sid, scoring=scoring)
        for o in p.objectives:
            if type_name == "Objective" and o.objective_id == entity_id:
                return Objective(view=o, scorecard_id=sid, scoring=scoring)
            for k in o.kpis:
                if type_name == "Kpi" and k.kpi_id == entity_id:
                    return Kpi.of(k, sid, scoring)
            for i in o.initiatives:
                if type_name == "Initiative" and i.initiative_id == entity_id:
                    return Initiative(view=i, scorecard_id=sid)
    return None
