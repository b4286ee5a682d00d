"""The query fields: scorecards as of any moment, KPI history, audit, changes, integrity."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import strawberry

from api.auth.roles import Capability
from api.graphql.context import Info
from api.graphql.errors import bad_input, not_consistent
from api.graphql.history import (
    AuditConnection,
    AuditEdge,
    AuditEvent,
    AuditFilterInput,
    BrokenLinkType,
    Change,
    FeedHoldType,
    IntegrityReport,
    KpiRecord,
    PageInfo,
    ProjectionStatusType,
)
from api.graphql.ids import parse_id, scorecard_of
from api.graphql.ledger import parse_digest
from api.graphql.loaders import ScorecardKey
from api.graphql.scorecards import MAX_TREND, Scorecard, requested_trend
from api.positions import InvalidPosition, decode_position, encode_position
from domain.periods import Period
from eventstore import FeedPosition
from projections import async_projections, inline_projections
from projections.asof import AsOf
from projections.queries.audit import MAX_PAGE, AuditFilter, audit_trail
from projections.queries.history import changes_between
from projections.queries.ledger import verify_tenant
from projections.queries.status import projection_status
from streams import scorecard_stream

CONSISTENT_WITH = "A position from a mutation: wait (a bounded time) until reads include it."


def parse_period(value: str | None, argument: str = "period") -> Period:
    if value is None:
        today = dt.datetime.now(dt.UTC).date()
        return Period.parse(f"{today.year:04d}-{today.month:02d}")
    try:
        return Period.parse(value)
    except ValueError as error:
        raise bad_input(argument, str(error)) from None


def parse_position(value: str, argument: str) -> FeedPosition:
    try:
        return decode_position(value)
    except InvalidPosition as error:
        raise bad_input(argument, str(error)) from None


def aware(value: dt.datetime, argument: str) -> dt.datetime:
    if value.tzinfo is None:
        raise bad_input(argument, "needs a time zone, e.g. 2026-04-15T00:00:00Z")
    return value


async def ensure_consistent(info: Info, token: str | None) -> None:
    """Wait for the async projections to include ``token`` (a mutation's position)."""
    if token is None:
        return
    position = parse_position(token, "consistentWith")
    runtime = info.context.runtime
    timeout = runtime.settings.consistency_timeout
    if not await runtime.wait_for_projections(position, timeout):
        raise not_consistent(timeout)


def _cursor(raw: str) -> str:
    return encode_position(FeedPosition.parse(raw))


def moment(as_of: dt.datetime | None, at_position: str | None) -> AsOf | None:
    if as_of is not None and at_position is not None:
        raise bad_input("asOf", "give asOf or atPosition, not both")
    if as_of is not None:
        return AsOf(time=aware(as_of, "asOf"))
    if at_position is not None:
        return AsOf(position=parse_position(at_position, "atPosition"))
    return None


@strawberry.type
class ReadQueries:
    @strawberry.field(
        description="A whole scorecard for a period: perspectives, objectives, KPIs with "
        "target, actual, score, status, explanation and trend. As it stands, or as known at "
        "a moment (asOf: a time; atPosition: a position token)."
    )
    async def scorecard(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The scorecard's global id.")],
        period: Annotated[
            str | None,
            strawberry.argument(description="2026-03, 2026-Q1 or 2026 (default: this month)."),
        ] = None,
        as_of: Annotated[
            dt.datetime | None,
            strawberry.argument(description="Show it as known at this time (with time zone)."),
        ] = None,
        at_position: Annotated[
            str | None, strawberry.argument(description="Show it as known at this position token.")
        ] = None,
        consistent_with: Annotated[
            str | None, strawberry.argument(description=CONSISTENT_WITH)
        ] = None,
    ) -> Scorecard | None:
        context = info.context
        context.require(Capability.READ_CURRENT, "read scorecards")
        scorecard_id = scorecard_of(id, "id")
        the_period = parse_period(period)
        when = moment(as_of, at_position)
        await ensure_consistent(info, consistent_with)
        trend = requested_trend(info.selected_fields)
        if trend > MAX_TREND:
            raise bad_input("last", f"trend(last:) is at most {MAX_TREND}, got {trend}")
        view = await context.loaders.scorecards.load(
            ScorecardKey(scorecard_id, the_period, when, trend)
        )
        return None if view is None else Scorecard(view=view)

    @strawberry.field(
        description="A KPI with its full history: every definition, target and value "
        "(superseded and retracted ones too), each with who, when and why."
    )
    async def kpi(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The KPI's global id.")],
        consistent_with: Annotated[
            str | None, strawberry.argument(description=CONSISTENT_WITH)
        ] = None,
    ) -> KpiRecord | None:
        context = info.context
        context.require(Capability.READ_HISTORY, "read who changed what and why")
        key = parse_id(id, "id", "Kpi")
        await ensure_consistent(info, consistent_with)
        history = await context.loaders.kpi_histories.load((key.scorecard_id, key.entity_id))
        return (
            None if history is None else KpiRecord(history=history, scorecard_id=key.scorecard_id)
        )

    @strawberry.field(description="The audit trail in log order, filtered, as a cursor connection.")
    async def audit_trail(
        self,
        info: Info,
        filter: Annotated[
            AuditFilterInput | None, strawberry.argument(description="What to list.")
        ] = None,
        first: Annotated[int, strawberry.argument(description=f"Page size, 1..{MAX_PAGE}.")] = 50,
        after: Annotated[
            str | None, strawberry.argument(description="The endCursor of the previous page.")
        ] = None,
        consistent_with: Annotated[
            str | None, strawberry.argument(description=CONSISTENT_WITH)
        ] = None,
    ) -> AuditConnection:
        context = info.context
        context.require(Capability.READ_HISTORY, "read the audit trail")
        if not 1 <= first <= MAX_PAGE:
            raise bad_input("first", f"must be between 1 and {MAX_PAGE}, got {first}")
        where = AuditFilter()
        if filter is not None:
            where = AuditFilter(
                entity_type=filter.entity_type,
                entity_id=filter.entity_id,
                scorecard_id=(
                    None
                    if filter.scorecard_id is None
                    else scorecard_of(filter.scorecard_id, "filter.scorecardId")
                ),
                actor=filter.actor,
                event_types=tuple(filter.event_types or ()),
                since=None if filter.since is None else aware(filter.since, "filter.since"),
                until=None if filter.until is None else aware(filter.until, "filter.until"),
            )
        # Cursors are the entries' feed positions, handed out as opaque position tokens.
        start = None if after is None else str(parse_position(after, "after"))
        await ensure_consistent(info, consistent_with)
        async with context.runtime.store.engine.connect() as conn:
            page = await audit_trail(conn, context.tenant_id, where, first=first, after=start)
        edges = [AuditEdge(cursor=_cursor(e.cursor), node=AuditEvent(entry=e)) for e in page.items]
        end = None if page.end_cursor is None else _cursor(page.end_cursor)
        return AuditConnection(
            edges=edges, page_info=PageInfo(end_cursor=end, has_next_page=page.has_next_page)
        )

    @strawberry.field(
        description="What differs in a scorecard's KPIs, targets, values and objectives "
        "between two moments, with the changes made in between."
    )
    async def changes(
        self,
        info: Info,
        scorecard_id: Annotated[
            strawberry.ID, strawberry.argument(description="The scorecard's global id.")
        ],
        from_: Annotated[
            dt.datetime, strawberry.argument(name="from", description="The first moment.")
        ],
        to: Annotated[dt.datetime, strawberry.argument(description="The second moment.")],
        consistent_with: Annotated[
            str | None, strawberry.argument(description=CONSISTENT_WITH)
        ] = None,
    ) -> list[Change]:
        context = info.context
        context.require(Capability.READ_HISTORY, "read changes")
        sid = scorecard_of(scorecard_id)
        since, until = AsOf(time=aware(from_, "from")), AsOf(time=aware(to, "to"))
        if since.time is not None and until.time is not None and until.time < since.time:
            raise bad_input("to", "must not be before from")
        await ensure_consistent(info, consistent_with)
        async with context.runtime.store.engine.connect() as conn:
            found = await changes_between(conn, context.tenant_id, sid, since, until)
        return [Change(change=c) for c in found]

    @strawberry.field(
        description="Recompute the hash chain of a scorecard (or of the whole organization) "
        "from the events, compare each event with the ledger's leaf for it, and (given a "
        "digest) the ledger root with the digest; name the first wrong event of each stream."
    )
    async def integrity(
        self,
        info: Info,
        scorecard_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(description="The scorecard's global id (none: every stream)."),
        ] = None,
        digest: Annotated[
            str | None,
            strawberry.argument(
                description="A digest document you kept (latestDigest.document): the whole "
                "organization is checked against it; not with scorecardId."
            ),
        ] = None,
    ) -> IntegrityReport:
        context = info.context
        context.require(Capability.READ_HISTORY, "check integrity")
        stream = None if scorecard_id is None else scorecard_stream(scorecard_of(scorecard_id))
        kept = None if digest is None else parse_digest(digest, "digest")
        if kept is not None and stream is not None:
            raise bad_input("digest", "a digest covers the whole organization: omit scorecardId")
        signer = context.runtime.signer
        report = await verify_tenant(
            context.runtime.store,
            context.tenant_id,
            stream_id=stream,
            digest=kept,
            public_key=None if signer is None else signer.public_key,
        )
        return IntegrityReport(
            ok=report.ok,
            streams_checked=report.streams_checked,
            events_checked=report.events_checked,
            broken=[
                BrokenLinkType(
                    stream_id=b.stream_id,
                    version=b.version,
                    event_id=b.event_id,
                    position=b.position,
                    reason=b.reason,
                )
                for b in report.broken
            ],
            problems=report.problems,
            digest_tree_size=report.digest_size,
            checked_at=dt.datetime.now(dt.UTC),
        )

    @strawberry.field(
        description="Checkpoint and lag of every projection. Server-wide, so admins only; "
        "it shows nothing of any organization's data."
    )
    async def projection_status(self, info: Info) -> list[ProjectionStatusType]:
        context = info.context
        context.require(Capability.ADMINISTER, "read the server's projection status")
        found = await projection_status(
            context.runtime.store, inline_projections(), async_projections()
        )
        return [
            ProjectionStatusType(
                name=s.name,
                lifecycle=s.lifecycle,
                generation=s.generation,
                checkpoint=s.checkpoint,
                lag_events=s.lag_events,
                lag_seconds=s.lag_seconds,
                held_back=FeedHoldType(
                    events=s.held_back_events,
                    pid=s.held_by_pid,
                    transaction_seconds=s.held_for_seconds,
                )
                if s.held_back_events
                else None,
            )
            for s in found
        ]
