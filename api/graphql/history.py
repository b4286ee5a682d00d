"""Who changed what, when and why: KPI history, the audit trail, changes, integrity."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, cast

import strawberry
from strawberry.scalars import JSON

from api.graphql.ids import global_id
from projections.views import AuditEntry, EntityChange, KpiHistory, RowVersion


@strawberry.type(description="Who made a change, when, with which event and why.")
class Provenance:
    actor: str = strawberry.field(description="Token id (or user) that made the change.")
    at: dt.datetime = strawberry.field(description="Server time the change was recorded.")
    event_id: str = strawberry.field(description="The event that made the change.")
    reason: str | None = strawberry.field(description="The reason given, if any.")


def _started(v: RowVersion) -> Provenance:
    return Provenance(
        actor=v.changed_by, at=v.valid_from, event_id=v.change_event, reason=v.change_reason
    )


def _ended(v: RowVersion) -> Provenance | None:
    if v.valid_to is None or v.ended_by is None or v.end_event is None:
        return None
    return Provenance(actor=v.ended_by, at=v.valid_to, event_id=v.end_event, reason=v.end_reason)


@strawberry.type(description="One recorded value of a KPI for a period, current or not.")
class MeasurementEntry:
    version: strawberry.Private[RowVersion]

    @strawberry.field(description="The measurement's id.")
    def measurement_id(self) -> str:
        return str(self.version.values["measurement_id"])

    @strawberry.field(description="The period measured.")
    def period(self) -> str:
        return str(self.version.values["period"])

    @strawberry.field(description="The value (none when reported not available).")
    def value(self) -> float | None:
        value = self.version.values["value"]
        return None if value is None else float(value)

    @strawberry.field(description="Whether the source reported the value not available.")
    def not_available(self) -> bool:
        return bool(self.version.values["not_available"])

    @strawberry.field(description="The system the value came from.")
    def source_system(self) -> str:
        return str(self.version.values["source_system"])

    @strawberry.field(description="The source's own reference for the value.")
    def external_reference(self) -> str:
        return str(self.version.values["external_reference"])

    @strawberry.field(description="A note given with the value.")
    def note(self) -> str:
        return str(self.version.values["note"])

    @strawberry.field(description="The measurement this one corrected, if any.")
    def supersedes(self) -> str | None:
        value = self.version.values.get("supersedes")
        return None if value is None else str(value)

    @strawberry.field(description="current, superseded (corrected later) or retracted.")
    def state(self) -> str:
        if self.version.valid_to is None:
            return "current"
        return str(self.version.values.get("end_kind") or "superseded")

    @strawberry.field(description="Who recorded it, when and why.")
    def recorded(self) -> Provenance:
        return _started(self.version)

    @strawberry.field(description="Who superseded or retracted it, when and why.")
    def ended(self) -> Provenance | None:
        return _ended(self.version)


@strawberry.type(description="One version of a KPI's target for a period.")
class TargetEntry:
    version: strawberry.Private[RowVersion]

    @strawberry.field(description="The period the target is set for.")
    def period(self) -> str:
        return str(self.version.values["period"])

    @strawberry.field(description="Whether it applies from that period on.")
    def effective_from(self) -> bool:
        return bool(self.version.values["effective_from"])

    @strawberry.field(description="The target value.")
    def value(self) -> float:
        return float(self.version.values["value"])

    @strawberry.field(description="The baseline, if any.")
    def baseline(self) -> float | None:
        value = self.version.values["baseline"]
        return None if value is None else float(value)

    @strawberry.field(description="The stretch target, if any.")
    def stretch(self) -> float | None:
        value = self.version.values["stretch"]
        return None if value is None else float(value)

    @strawberry.field(description="Whether this version is still in force.")
    def current(self) -> bool:
        return self.version.valid_to is None

    @strawberry.field(description="Who set it, when and why.")
    def set(self) -> Provenance:
        return _started(self.version)

    @strawberry.field(description="Who replaced or cleared it, when and why.")
    def ended(self) -> Provenance | None:
        return _ended(self.version)


@strawberry.type(description="One version of a KPI's definition.")
class DefinitionEntry:
    version: strawberry.Private[RowVersion]

    @strawberry.field(description="The definition's fields in this version.")
    def values(self) -> JSON:
        return cast(JSON, _json_safe(self.version.values))

    @strawberry.field(description="Whether this version is still in force.")
    def current(self) -> bool:
        return self.version.valid_to is None

    @strawberry.field(description="Who made this version, when and why.")
    def changed(self) -> Provenance:
        return _started(self.version)

    @strawberry.field(description="Who replaced it, when and why.")
    def ended(self) -> Provenance | None:
        return _ended(self.version)


def _json_safe(values: dict[str, Any]) -> Any:
    safe: dict[str, Any] = {}
    for key, value in values.items():
        if key in {"row_id", "tenant_id", "generation"}:
            continue
        safe[key] = value.isoformat() if isinstance(value, (dt.date, dt.datetime)) else value
    return safe


@strawberry.type(description="A KPI with its full history: definitions, targets, measurements.")
class KpiRecord:
    history: strawberry.Private[KpiHistory]
    scorecard_id: str = strawberry.field(description="The KPI's scorecard.")

    @strawberry.field(description="Global id.")
    def id(self) -> strawberry.ID:
        return strawberry.ID(global_id("Kpi", self.scorecard_id, self.history.kpi_id))

    @strawberry.field(description="The KPI's id within its scorecard.")
    def kpi_id(self) -> str:
        return self.history.kpi_id

    @strawberry.field(description="The current (or last) name.")
    def name(self) -> str:
        return str(self.history.definitions[-1].values["name"])

    @strawberry.field(description="Whether the KPI is retired.")
    def retired(self) -> bool:
        return bool(self.history.definitions[-1].values["retired"])

    @strawberry.field(description="Every version of its definition, oldest first.")
    def definitions(self) -> list[DefinitionEntry]:
        return [DefinitionEntry(version=v) for v in self.history.definitions]

    @strawberry.field(description="Every target it has had, oldest first, with who and why.")
    def targets(self) -> list[TargetEntry]:
        return [TargetEntry(version=v) for v in self.history.targets]

    @strawberry.field(
        description="Every value recorded, by period then time: superseded and retracted "
        "ones too, with who, when and why."
    )
    def measurements(
        self,
        period: Annotated[str | None, strawberry.argument(description="Only this period.")] = None,
    ) -> list[MeasurementEntry]:
        return [
            MeasurementEntry(version=v)
            for v in self.history.measurements
            if period is None or v.values["period"] == period
        ]


@strawberry.type(description="One event of the audit trail.")
class AuditEvent:
    entry: strawberry.Private[AuditEntry]

    @strawberry.field(description="Event type, e.g. scorecard.target_changed.")
    def event_type(self) -> str:
        return self.entry.event_type

    @strawberry.field(description="The event's id.")
    def event_id(self) -> str:
        return self.entry.event_id

    @strawberry.field(description="The stream it belongs to.")
    def stream_id(self) -> str:
        return self.entry.stream_id

    @strawberry.field(description="Its version within the stream.")
    def version(self) -> int:
        return self.entry.version

    @strawberry.field(description="Kind of entity it changed (kpi, target, measurement, ...).")
    def entity_type(self) -> str:
        return self.entry.entity_type

    @strawberry.field(description="Id of the entity it changed.")
    def entity_id(self) -> str:
        return self.entry.entity_id

    @strawberry.field(description="Who made the change.")
    def actor(self) -> str:
        return self.entry.actor

    @strawberry.field(description="When it was recorded.")
    def recorded_at(self) -> dt.datetime:
        return self.entry.recorded_at

    @strawberry.field(description="The reason given, if any.")
    def reason(self) -> str | None:
        return self.entry.reason

    @strawberry.field(description="The source system, if any.")
    def source_system(self) -> str | None:
        return self.entry.source_system

    @strawberry.field(description="Correlation id of the request, if any.")
    def correlation_id(self) -> str | None:
        return self.entry.correlation_id

    @strawberry.field(description="The event's data.")
    def data(self) -> JSON:
        return cast(JSON, self.entry.data)


@strawberry.type(description="An edge of the audit trail connection.")
class AuditEdge:
    cursor: str = strawberry.field(description="Pass as after to continue from here.")
    node: AuditEvent = strawberry.field(description="The event.")


@strawberry.type(description="Paging information.")
class PageInfo:
    end_cursor: str | None = strawberry.field(description="Cursor of the last edge.")
    has_next_page: bool = strawberry.field(description="Whether more edges follow.")


@strawberry.type(description="A page of the audit trail.")
class AuditConnection:
    edges: list[AuditEdge] = strawberry.field(description="The events of this page.")
    page_info: PageInfo = strawberry.field(description="How to get the next page.")


@strawberry.input(description="What to list in the audit trail; all given filters apply.")
class AuditFilterInput:
    scorecard_id: strawberry.ID | None = strawberry.field(
        default=None, description="Only this scorecard's events (global id)."
    )
    entity_type: str | None = strawberry.field(
        default=None, description="Only this kind of entity (kpi, target, measurement, ...)."
    )
    entity_id: str | None = strawberry.field(
        default=None, description="Only this entity (its id within the scorecard)."
    )
    actor: str | None = strawberry.field(default=None, description="Only this actor's changes.")
    event_types: list[str] | None = strawberry.field(
        default=None, description="Only these event types."
    )
    since: dt.datetime | None = strawberry.field(
        default=None, description="Recorded at or after this time."
    )
    until: dt.datetime | None = strawberry.field(default=None, description="Recorded before this.")


@strawberry.type(description="An entity that differs between two moments.")
class Change:
    change: strawberry.Private[EntityChange]

    @strawberry.field(description="kpi, target, measurement or objective.")
    def entity_type(self) -> str:
        return self.change.entity_type

    @strawberry.field(description="The entity's id (with the period for targets and values).")
    def entity_id(self) -> str:
        return self.change.entity_id

    @strawberry.field(description="added, changed or removed.")
    def kind(self) -> str:
        return self.change.kind

    @strawberry.field(description="Its fields at the first moment (none: did not exist).")
    def before(self) -> JSON | None:
        return None if self.change.before is None else _json_safe(self.change.before)

    @strawberry.field(description="Its fields at the second moment (none: gone).")
    def after(self) -> JSON | None:
        return None if self.change.after is None else _json_safe(self.change.after)

    @strawberry.field(
        description="The versions in force between the two moments, oldest first, with who, "
        "when and why each was made."
    )
    def by(self) -> list[Provenance]:
        return [_started(v) for v in self.change.events]


@strawberry.type(description="The first event of a stream whose hash does not check out.")
class BrokenLinkType:
    stream_id: str = strawberry.field(description="The stream.")
    version: int = strawberry.field(description="The event's version in the stream.")
    event_id: str = strawberry.field(description="The event's id.")
    position: int = strawberry.field(description="Its global position.")
    reason: str = strawberry.field(description="What is wrong.")


@strawberry.type(description="The verdict of recomputing a scorecard's hash chain.")
class IntegrityReport:
    ok: bool = strawberry.field(description="True when every hash, leaf and digest checks out.")
    streams_checked: int = strawberry.field(description="How many streams were checked.")
    events_checked: int = strawberry.field(description="How many events were checked.")
    broken: list[BrokenLinkType] = strawberry.field(
        description="The first wrong event of each stream (a broken link, a leaf that differs "
        "from the ledger's, a missing event)."
    )
    problems: list[str] = strawberry.field(
        description="What is wrong with the organization as a whole: events the ledger or an "
        "idempotency key names that are missing, a digest that does not match or verify."
    )
    digest_tree_size: int | None = strawberry.field(
        description="The tree size of the digest checked against, when one was given."
    )
    checked_at: dt.datetime = strawberry.field(description="When the check ran.")


@strawberry.type(
    description="An append still in flight that keeps committed events from the feed: it may "
    "yet commit events that come before them, so readers wait for it (PostgreSQL)."
)
class FeedHoldType:
    events: int = strawberry.field(
        description="Committed events after the projection's checkpoint held back by it."
    )
    pid: int | None = strawberry.field(
        description="The PostgreSQL server process (pg_stat_activity.pid) of the open "
        "transaction; null when it ended a moment ago."
    )
    transaction_seconds: float | None = strawberry.field(
        description="How long that transaction has been open."
    )


@strawberry.type(description="A projection's progress (server-wide; admins only).")
class ProjectionStatusType:
    name: str = strawberry.field(description="The projection.")
    lifecycle: str = strawberry.field(description="inline or async.")
    generation: int = strawberry.field(description="The live generation of its rows.")
    checkpoint: str = strawberry.field(description="The feed position it has reached.")
    lag_events: int = strawberry.field(
        description="Committed events after its checkpoint, including any the feed still "
        "holds back."
    )
    lag_seconds: float = strawberry.field(description="Age of the oldest of them.")
    held_back: FeedHoldType | None = strawberry.field(
        description="What keeps some of those events from it, when an append still in "
        "flight does; null otherwise."
    )
