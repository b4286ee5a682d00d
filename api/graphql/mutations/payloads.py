"""Mutation payloads: the changed entity, the position to read it back, the user errors."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

import strawberry

from api.auth.roles import Capability, allows
from api.graphql.context import Info
from api.graphql.history import MeasurementEntry
from api.graphql.loaders import ScorecardKey
from api.graphql.organization import Organization, Team
from api.graphql.scorecards import Initiative, Kpi, Objective, Perspective, Scorecard, entity_in
from domain.periods import Period
from projections.views import ScorecardView


@strawberry.type(description="A problem with the input, or a rule the change would break.")
class UserError:
    code: str = strawberry.field(description="Stable machine-readable code, e.g. period.closed.")
    field: str | None = strawberry.field(description="The input field at fault, if one is.")
    message: str = strawberry.field(description="What is wrong, for people.")


@dataclass(frozen=True)
class Written:
    """What a mutation did, for its payload's fields to resolve from."""

    scorecard_id: str | None
    entity_id: str | None
    period: Period | None


PERIOD_ARGUMENT = "Period the figures are for (default: the command's period or this month)."


async def _scorecard(info: Info, written: Written, period: str | None) -> ScorecardView | None:
    from api.graphql.reads import parse_period

    if written.scorecard_id is None:
        return None
    the_period = (
        parse_period(period) if period is not None else written.period or parse_period(None)
    )
    key = ScorecardKey(written.scorecard_id, the_period, None, 6)
    return await info.context.loaders.scorecards.load(key)


async def _entity(
    info: Info, written: Written | None, period: str | None, type_name: str
) -> object:
    """The entity a mutation wrote, as the scorecard for ``period`` now shows it."""
    if written is None:
        return None
    view = await _scorecard(info, written, period)
    return None if view is None else entity_in(view, type_name, written.entity_id)


@strawberry.type
class Payload:
    """Fields every payload has."""

    written: strawberry.Private[Written | None]
    position: str | None = strawberry.field(
        description="Consistency token: pass as consistentWith (or atPosition) to read this "
        "write back. Present whenever the stream exists, even if nothing changed."
    )
    changed: bool = strawberry.field(description="Whether the mutation recorded any event.")
    user_errors: list[UserError] = strawberry.field(
        description="Why nothing was written (empty on success)."
    )

    @strawberry.field(description="The scorecard the change was made on, if any.")
    async def scorecard(
        self,
        info: Info,
        period: Annotated[str | None, strawberry.argument(description=PERIOD_ARGUMENT)] = None,
    ) -> Scorecard | None:
        if self.written is None:
            return None
        view = await _scorecard(info, self.written, period)
        return None if view is None else Scorecard(view=view)


@strawberry.type(description="Result of an organization mutation.")
class OrganizationPayload(Payload):
    @strawberry.field(description="The organization after the change.")
    async def organization(self, info: Info) -> Organization | None:
        if self.written is None:
            return None
        found = await info.context.loaders.organization.load(info.context.tenant_id)
        return None if found is None else Organization(view=found)


@strawberry.type(description="Result of a team mutation.")
class TeamPayload(Payload):
    @strawberry.field(description="The team after the change.")
    async def team(self, info: Info) -> Team | None:
        if self.written is None:
            return None
        found = await info.context.loaders.organization.load(info.context.tenant_id)
        if found is None:
            return None
        for team in found.teams:
            if team.team_id == self.written.entity_id:
                return Team(view=team, org=found)
        return None


@strawberry.type(description="Result of a scorecard-wide mutation.")
class ScorecardPayload(Payload):
    pass


@strawberry.type(description="Result of a perspective mutation.")
class PerspectivePayload(Payload):
    @strawberry.field(description="The perspective after the change.")
    async def perspective(
        self,
        info: Info,
        period: Annotated[str | None, strawberry.argument(description=PERIOD_ARGUMENT)] = None,
    ) -> Perspective | None:
        found = await _entity(info, self.written, period, "Perspective")
        return found if isinstance(found, Perspective) else None


@strawberry.type(description="Result of an objective mutation.")
class ObjectivePayload(Payload):
    @strawberry.field(description="The objective after the change.")
    async def objective(
        self,
        info: Info,
        period: Annotated[str | None, strawberry.argument(description=PERIOD_ARGUMENT)] = None,
    ) -> Objective | None:
        found = await _entity(info, self.written, period, "Objective")
        return found if isinstance(found, Objective) else None


@strawberry.type(description="Result of a KPI or target mutation.")
class KpiPayload(Payload):
    @strawberry.field(description="The KPI after the change, with its figures for the period.")
    async def kpi(
        self,
        info: Info,
        period: Annotated[str | None, strawberry.argument(description=PERIOD_ARGUMENT)] = None,
    ) -> Kpi | None:
        found = await _entity(info, self.written, period, "Kpi")
        return found if isinstance(found, Kpi) else None


@strawberry.type(description="Result of a measurement mutation.")
class MeasurementPayload(KpiPayload):
    measurement_id: strawberry.Private[str | None]
    measurement_period: strawberry.Private[str | None]

    @strawberry.field(
        description="The value recorded (or retracted), with who, when and why; admins, "
        "editors and auditors see it, other roles get null."
    )
    async def measurement(self, info: Info) -> MeasurementEntry | None:
        written = self.written
        if written is None or written.scorecard_id is None or written.entity_id is None:
            return None
        if not allows(info.context.caller.role, Capability.READ_HISTORY):
            return None
        history = await info.context.loaders.kpi_histories.load(
            (written.scorecard_id, written.entity_id)
        )
        if history is None:
            return None
        matches = [
            v
            for v in history.measurements
            if (
                self.measurement_id is not None
                and v.values["measurement_id"] == self.measurement_id
            )
            or (self.measurement_id is None and v.values["period"] == self.measurement_period)
        ]
        return MeasurementEntry(version=matches[-1]) if matches else None


@strawberry.type(description="Result of an initiative mutation.")
class InitiativePayload(Payload):
    @strawberry.field(description="The initiative after the change.")
    async def initiative(self, info: Info) -> Initiative | None:
        found = await _entity(info, self.written, None, "Initiative")
        return found if isinstance(found, Initiative) else None


PAYLOADS: dict[str, type[Payload]] = {
    "organization": OrganizationPayload,
    "team": TeamPayload,
    "scorecard": ScorecardPayload,
    "perspective": PerspectivePayload,
    "objective": ObjectivePayload,
    "kpi": KpiPayload,
    "measurement": MeasurementPayload,
    "initiative": InitiativePayload,
}
