"""Explainable scores: the inputs, the rule with its numbers, the deciding threshold."""

from __future__ import annotations

import strawberry

from api.graphql.enums import Direction, Status
from domain.explanation import KpiExplanation, RollUpExplanation, StatusRule


@strawberry.type(description="The threshold that decided a status.")
class StatusDecision:
    status: Status = strawberry.field(description="The resulting status.")
    minimum: float | None = strawberry.field(
        description="The threshold the score met (none for red and no data)."
    )
    text: str = strawberry.field(description='Readable rule, e.g. "amber (≥ 0.9)".')

    @classmethod
    def of(cls, rule: StatusRule) -> StatusDecision:
        return cls(status=rule.status, minimum=rule.minimum, text=rule.text)


@strawberry.type(description="Why a KPI scored what it did for a period.")
class ScoreExplanation:
    rule: str = strawberry.field(
        description="The scoring rule applied: actual_over_target, target_over_actual, "
        "progress_from_baseline, within_range, outside_range, relative_gap, meets_target, "
        "beats_target, misses_target, at_or_below_zero, no_actual, no_target or no_range."
    )
    formula: str = strawberry.field(description='The rule with its numbers: "64 ÷ 70 = 0.914".')
    summary: str = strawberry.field(
        description='Formula and status together: "64 ÷ 70 = 0.914 → amber (≥ 0.9)".'
    )
    actual: float | None = strawberry.field(description="The actual used.")
    target: float | None = strawberry.field(description="The target used.")
    baseline: float | None = strawberry.field(description="The baseline used, if any.")
    direction: Direction = strawberry.field(description="The KPI's direction.")
    range_low: float | None = strawberry.field(description="Lower bound of a range KPI.")
    range_high: float | None = strawberry.field(description="Upper bound of a range KPI.")
    cap: float = strawberry.field(description="The highest score allowed.")
    capped: bool = strawberry.field(description="Whether the raw result was limited to [0, cap].")
    result: float | None = strawberry.field(description="The score (equal to the KPI's score).")
    status: StatusDecision = strawberry.field(description="How the status was decided.")

    @classmethod
    def of(cls, e: KpiExplanation) -> ScoreExplanation:
        return cls(
            rule=e.rule,
            formula=e.formula,
            summary=e.summary,
            actual=e.actual,
            target=e.target,
            baseline=e.baseline,
            direction=e.direction,
            range_low=e.range_low,
            range_high=e.range_high,
            cap=e.cap,
            capped=e.capped,
            result=e.result,
            status=StatusDecision.of(e.status),
        )


@strawberry.type(description="One child of a roll-up and what it contributed.")
class RollUpChild:
    id: str = strawberry.field(description="The child's own id (objective, KPI, perspective).")
    name: str = strawberry.field(description="The child's name or title.")
    score: float | None = strawberry.field(description="The child's score (none: no data).")
    weight: float = strawberry.field(description="The child's weight as set.")
    normalised_weight: float = strawberry.field(
        description="Its share of the counted weights (0 when left out)."
    )
    included: bool = strawberry.field(description="Whether it counted in the mean.")
    excluded_because: str | None = strawberry.field(
        description='Why it was left out ("no data", "zero weight").'
    )


@strawberry.type(
    name="RollUpExplanation",
    description="Why a roll-up (objective, perspective, scorecard) scored what it did.",
)
class RollUpExplanationType:
    formula: str = strawberry.field(description='"(0.9 × 1 + 1.2 × 3) ÷ 4 = 1.125".')
    summary: str = strawberry.field(description="Formula and status together.")
    result: float | None = strawberry.field(description="The weighted mean (none: no data).")
    status: StatusDecision = strawberry.field(description="How the status was decided.")
    children: list[RollUpChild] = strawberry.field(description="Each child and its share.")

    @classmethod
    def of(cls, e: RollUpExplanation) -> RollUpExplanationType:
        return cls(
            formula=e.formula,
            summary=e.summary,
            result=e.result,
            status=StatusDecision.of(e.status),
            children=[
                RollUpChild(
                    id=c.child_id,
                    name=c.name,
                    score=c.score,
                    weight=c.weight,
                    normalised_weight=c.normalised_weight,
                    included=c.included,
                    excluded_because=c.excluded_because,
                )
                for c in e.children
            ],
        )
