"""Nothing of one organization reaches another: every query field, every id type, every
mutation and the live feed, swept with a rival organization's tokens."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections.abc import AsyncGenerator, Callable
from dataclasses import dataclass
from typing import Any

from api.auth.roles import Capability, Role, allows
from api.graphql.context import Context
from api.graphql.mutations.catalog import SPECS
from api.graphql.schema import build_schema
from eventstore import RecordedEvent
from streams import scorecard_stream
from tests.e2e.conftest import (
    OTHER_TENANT,
    TENANT,
    Api,
    build_small_scorecard,
    kpi_gid,
    scorecard_gid,
)
from tests.e2e.sweep import (
    build_swept_scorecard,
    error_codes,
    minimal_input,
    mutation_document,
    settle,
    stored_events,
)

RIVAL = OTHER_TENANT

TREE = """
fragment Tree on Scorecard {
  id scorecardId teamId name description period asOf closed score status
  explanation { summary children { id name score } }
  perspectives {
    id perspectiveId name score
    objectives {
      id objectiveId title owner score
      kpis {
        id kpiId name unit actual target score status
        explanation { summary } trend(last: 3) { period actual target }
      }
      initiatives { id initiativeId title owner objectiveIds }
      alignedTo { scorecardId objectiveId }
    }
  }
  strategyMap { nodes { objectiveId title } links { sourceObjectiveId targetObjectiveId } }
}
"""
ORGANIZATION = """
{ organization {
    id organizationId name
    teams { id teamId name parentTeamId scorecards { id scorecardId name } }
    teamTree { teamId children { teamId } }
    scorecards { id scorecardId name teamId }
} }
"""
HISTORY = """
query($id: ID!, $pos: String) { kpi(id: $id, consistentWith: $pos) {
  id kpiId name
  definitions { values changed { actor reason } }
  targets { period value set { actor reason } ended { actor } }
  measurements { measurementId value note recorded { actor reason } }
} }
"""
AUDIT = """
query($filter: AuditFilterInput, $after: String, $pos: String) {
  auditTrail(filter: $filter, first: 100, after: $after, consistentWith: $pos) {
    edges { cursor node { eventId eventType streamId entityId actor reason data } }
    pageInfo { endCursor hasNextPage }
} }
"""
NODE = """
query($id: ID!) { node(id: $id, period: "2026-03") {
  __typename
  ... on Organization { name }
  ... on Team { name }
  ... on Scorecard { name }
  ... on Perspective { name }
  ... on Objective { title }
  ... on Kpi { name actual }
  ... on Initiative { title }
} }
"""
ACME_WORDS = (
    TENANT,
    "IT Operations",
    "Stable services",
    "Availability",
    "P1 incidents",
    "annual plan",
    "Moonshot",
    "weekend outage",
    "re-plan",
    "64.25",
)
"""Strings of acme's data; the ids it was given or generated are added per test."""


@dataclass(frozen=True)
class Probe:
    """One request of the sweep and what its data must be."""

    query: str
    variables: dict[str, Any]
    expect: Callable[[dict[str, Any]], bool]


def _none(field: str) -> Callable[[dict[str, Any]], bool]:
    return lambda data: data[field] is None


def _empty_trail(data: dict[str, Any]) -> bool:
    return not data["auditTrail"]["edges"]


async def build_rival(api: Api) -> dict[str, str]:
    """Rival's own organization, team and scorecard, named unlike anything of acme's; returns
    their ids and the position of the last write."""
    await api.ok("createOrganization", {"name": "Rival Ltd"}, tenant=RIVAL)
    await api.ok("createTeam", {"teamId": "rteam", "name": "Rival Team"}, tenant=RIVAL)
    card = await api.ok(
        "createScorecard",
        {"scorecardId": "rops", "teamId": "rteam", "name": "Rival Ops"},
        'scorecard(period: "2026-03") { perspectives { perspectiveId } }',
        tenant=RIVAL,
    )
    perspective = card["scorecard"]["perspectives"][0]["perspectiveId"]
    await api.ok(
        "addObjective",
        {"scorecardId": "rops", "objectiveId": "rgoal", "perspectiveId": perspective, "title": "R"},
        tenant=RIVAL,
    )
    await api.ok(
        "defineKpi",
        {"scorecardId": "rops", "kpiId": "rkpi", "objectiveId": "rgoal", "name": "Rival KPI"},
        tenant=RIVAL,
    )
    recorded = await api.ok(
        "recordMeasurement",
        {"scorecardId": "rops", "kpiId": "rkpi", "period": "2026-03", "value": 11},
        tenant=RIVAL,
    )
    return {
        "scorecard_id": "rops",
        "objective_id": "rgoal",
        "team_id": "rteam",
        "position": recorded["position"],
    }


async def acme_fingerprint(api: Api) -> dict[str, Any]:
    """Ids of acme's entities (global and own), actors, events and a position, as acme sees
    them."""
    # An unchanged command writes nothing and returns the position of acme's last event.
    renamed = await api.ok("renameScorecard", {"scorecardId": "ops", "name": "IT Operations"})
    await settle(api, renamed["position"])
    tree = await api.query(
        TREE + 'query($id: ID!) { scorecard(id: $id, period: "2026-03") { ...Tree } }',
        {"id": scorecard_gid("ops")},
    )
    org = await api.query(ORGANIZATION)
    card = tree["scorecard"]
    perspectives = card["perspectives"]
    objectives = [o for p in perspectives for o in p["objectives"]]
    gids = {
        "Organization": org["organization"]["id"],
        "Team": org["organization"]["teams"][0]["id"],
        "Scorecard": card["id"],
        "Perspective": perspectives[2]["id"],
        "Objective": objectives[0]["id"],
        "Kpi": objectives[0]["kpis"][0]["id"],
        "Initiative": objectives[0]["initiatives"][0]["id"],
    }
    for type_name, gid in gids.items():
        seen = await api.query(NODE, {"id": gid})
        assert seen["node"]["__typename"] == type_name
    actors = []
    for role in Role:
        viewer = await api.query("{ viewer { actor } }", role=role)
        actors.append(viewer["viewer"]["actor"])
    trail = await api.query(AUDIT)
    edges = trail["auditTrail"]["edges"]
    return {
        "gids": gids,
        "actors": actors,
        "events": [e["node"]["eventId"] for e in edges],
        "cursors": [edges[0]["cursor"], edges[len(edges) // 2]["cursor"], edges[-1]["cursor"]],
        "position": renamed["position"],
        "tree": card,
        "organization": org,
        "trail": trail,
    }


def leaked(words: list[str], request: Any, response: dict[str, Any]) -> list[str]:
    """The words of ``words`` in the response that the request did not carry itself."""
    sent = json.dumps(request)
    text = json.dumps(response)
    return [w for w in words if w in text and w not in sent]


def probes(acme: dict[str, Any], known: dict[str, Any]) -> dict[str, list[Probe]]:
    """Every query field, asked about acme's ids; the keys are the query's fields."""
    gids = acme["gids"]
    position = acme["position"]
    sc, now = gids["Scorecard"], dt.datetime.now(dt.UTC).isoformat()
    tree = TREE + (
        "query($id: ID!, $asOf: DateTime, $at: String, $pos: String) { scorecard(id: $id, "
        'period: "2026-03", asOf: $asOf, atPosition: $at, consistentWith: $pos) { ...Tree } }'
    )
    everything = {"since": "2020-01-01T00:00:00Z", "until": now}
    return {
        "viewer": [
            Probe(
                "{ viewer { organizationId role tokenName actor } }",
                {},
                lambda data: data["viewer"]["organizationId"] == RIVAL,
            )
        ],
        "organization": [
            Probe(ORGANIZATION, {}, lambda data: data["organization"]["name"] == "Rival Ltd")
        ],
        "scorecard": [
            Probe(tree, {"id": sc}, _none("scorecard")),
            Probe(tree, {"id": sc, "asOf": now}, _none("scorecard")),
            Probe(tree, {"id": sc, "at": position}, _none("scorecard")),
            Probe(tree, {"id": sc, "pos": position}, _none("scorecard")),
            Probe(
                tree,
                {"id": scorecard_gid("rops")},
                lambda data: data["scorecard"]["name"] == "Rival Ops",
            ),
        ],
        "kpi": [
            Probe(HISTORY, {"id": gids["Kpi"]}, _none("kpi")),
            Probe(HISTORY, {"id": kpi_gid("ops", "incidents"), "pos": position}, _none("kpi")),
        ],
        "auditTrail": [
            Probe(AUDIT, {"filter": {"scorecardId": sc}}, _empty_trail),
            Probe(AUDIT, {"filter": {"entityId": "availability"}}, _empty_trail),
            Probe(AUDIT, {"filter": {"entityId": known["initiative_id"]}}, _empty_trail),
            Probe(AUDIT, {"filter": {"actor": acme["actors"][0]}}, _empty_trail),
            Probe(
                AUDIT,
                {"filter": {"entityType": "target", "eventTypes": ["scorecard.target_changed"]}},
                _empty_trail,
            ),
            Probe(
                AUDIT,
                {"filter": everything, "pos": position},
                lambda data: len(data["auditTrail"]["edges"]) > 0,
            ),
            *(Probe(AUDIT, {"after": cursor}, lambda data: True) for cursor in acme["cursors"]),
        ],
        "changes": [
            Probe(
                "query($sc: ID!, $from: DateTime!, $to: DateTime!) { changes(scorecardId: $sc, "
                "from: $from, to: $to) { entityType entityId kind before after by { actor } } }",
                {"sc": sc, "from": "2020-01-01T00:00:00Z", "to": now},
                lambda data: data["changes"] == [],
            )
        ],
        "integrity": [
            Probe(
                "query($sc: ID) { integrity(scorecardId: $sc) "
                "{ ok streamsChecked eventsChecked broken { streamId eventId } } }",
                {"sc": sc},
                lambda data: data["integrity"]["eventsChecked"] == 0,
            ),
        ],
        "projectionStatus": [
            Probe(
                "{ projectionStatus { name lifecycle generation checkpoint lagEvents } }",
                {},
                lambda data: len(data["projectionStatus"]) > 0,
            )
        ],
        "node": [Probe(NODE, {"id": gid}, _none("node")) for gid in gids.values()],
        "latestDigest": [
            Probe(
                "{ latestDigest { organizationId treeSize root document } }",
                {},
                lambda data: (
                    data["latestDigest"] is None or data["latestDigest"]["organizationId"] == RIVAL
                ),
            )
        ],
        "digestPublicKey": [
            Probe("{ digestPublicKey { publicKey } }", {}, lambda data: "digestPublicKey" in data)
        ],
    }


CAPABILITY = {"projectionStatus": Capability.ADMINISTER}


async def test_a_rival_reads_nothing_of_acme_through_any_query_field(api: Api) -> None:
    known = await build_swept_scorecard(api)
    rival = await build_rival(api)
    await settle(api, rival["position"])
    acme = await acme_fingerprint(api)
    words = [*ACME_WORDS, *acme["actors"], *acme["events"], known["perspective_id"]]
    words += [known["measurement_id"], known["initiative_id"]]
    fields = build_schema()._schema.query_type.fields  # type: ignore[union-attr]
    sweep = probes(acme, known)
    assert set(fields) <= set(sweep), f"no tenant probe for {set(fields) - set(sweep)}"
    rival_events = await stored_events(api, RIVAL)
    for role in (Role.ADMIN, Role.AUDITOR):
        for field, cases in sweep.items():
            for probe in cases:
                body = await api.post(probe.query, probe.variables, role=role, tenant=RIVAL)
                assert not leaked(words, probe.variables, body), (role, field, probe, body)
                needed = CAPABILITY.get(field)
                if needed is not None and not allows(role, needed):
                    assert error_codes(body) == ["FORBIDDEN"], (role, field, body)
                    continue
                assert "errors" not in body, (role, field, probe.variables, body)
                assert probe.expect(body["data"]), (role, field, probe.variables, body)
        whole = await api.query("{ integrity { ok eventsChecked } }", role=role, tenant=RIVAL)
        assert whole["integrity"] == {"ok": True, "eventsChecked": rival_events}
        trail = await api.query(AUDIT, role=role, tenant=RIVAL)
        streams = {e["node"]["streamId"] for e in trail["auditTrail"]["edges"]}
        assert len(trail["auditTrail"]["edges"]) == rival_events
        assert scorecard_stream("rops") in streams
        assert scorecard_stream("ops") not in streams


async def test_a_rival_admin_changes_nothing_of_acme_through_any_mutation(api: Api) -> None:
    known = await build_swept_scorecard(api)
    rival = await build_rival(api)
    acme = await acme_fingerprint(api)
    words = [*ACME_WORDS, *acme["actors"], *acme["events"]]
    acme_events = await stored_events(api)
    # Rival's own entities pointing at acme's: a cross-organization reference must not resolve.
    cross_references: dict[str, dict[str, Any]] = {
        "createTeam": {"team_id": "rnew", "parent_team_id": "it"},
        "moveTeam": {"team_id": rival["team_id"], "new_parent_team_id": "it"},
        "alignObjective": {
            "scorecard_id": rival["scorecard_id"],
            "objective_id": rival["objective_id"],
        },
    }
    written = [rival["position"]]
    for spec in SPECS:
        given = {**known, **cross_references.get(spec.name, {})}
        variables = {"input": minimal_input(spec, given, every_known=True)}
        body = await api.post(mutation_document(spec), variables, tenant=RIVAL)
        assert "errors" not in body, (spec.name, body)
        assert not leaked(words, variables, body), (spec.name, body)
        payload = body["data"][spec.name]
        if payload["changed"]:
            written.append(payload["position"])
        errors = payload["userErrors"]
        if spec.entity != "organization":
            assert errors, f"rival's {spec.name} on acme's ids succeeded: {body}"
            assert errors[0]["code"].endswith("not_found"), (spec.name, errors)
    assert await stored_events(api) == acme_events
    await settle(api, *written)
    await assert_acme_unchanged(api, acme)
    aligned = await api.query(
        TREE + 'query($id: ID!) { scorecard(id: $id, period: "2026-03") { ...Tree } }',
        {"id": scorecard_gid(rival["scorecard_id"])},
        tenant=RIVAL,
    )
    assert not leaked(words, known, aligned)


async def assert_acme_unchanged(api: Api, before: dict[str, Any]) -> None:
    """Acme's scorecard, organization and audit trail read as they did in ``before``."""
    tree = await api.query(
        TREE + 'query($id: ID!) { scorecard(id: $id, period: "2026-03") { ...Tree } }',
        {"id": scorecard_gid("ops")},
    )
    assert tree["scorecard"] == before["tree"]
    assert await api.query(ORGANIZATION) == before["organization"]
    assert await api.query(AUDIT) == before["trail"]


async def test_the_live_feed_delivers_each_organization_only_its_own_events(api: Api) -> None:
    await build_small_scorecard(api)
    await build_small_scorecard(api, RIVAL)
    item = {"scorecardId": "ops", "kpiId": "availability", "period": "2026-03"}
    async with api.runtime.fanout.subscribe(RIVAL) as events:
        await api.ok("recordMeasurement", {**item, "value": 64.25})
        await api.ok("recordMeasurement", {**item, "value": 11}, tenant=RIVAL)
        # The follower may still be delivering rival's earlier events; the feed is in order,
        # so acme's value, written first, would come before rival's.
        received: list[RecordedEvent] = []
        while not received or received[-1].event_type != "scorecard.measurement_recorded":
            received.append(await asyncio.wait_for(anext(events), 10))
    assert {event.tenant_id for event in received} == {RIVAL}
    assert received[-1].data["value"] == 11


async def test_a_rival_subscription_to_the_same_ids_sees_only_its_own_values(api: Api) -> None:
    await build_small_scorecard(api)
    await build_small_scorecard(api, RIVAL)
    principal = await api.runtime.tokens.authenticate(api.token(Role.ADMIN, RIVAL))
    assert principal is not None
    schema = build_schema()
    stream = await schema.subscribe(
        "subscription($kpi: ID!) { measurementRecorded(kpiId: $kpi) "
        "{ tenantValue: value recorded { actor } } }",
        {"kpi": kpi_gid("ops", "availability")},
        context_value=Context(api.runtime, principal),
    )
    assert isinstance(stream, AsyncGenerator), stream
    item = {"scorecardId": "ops", "kpiId": "availability", "period": "2026-03"}
    try:
        # A first value of rival's own proves the subscription is live before acme writes.
        pending = asyncio.ensure_future(anext(stream))
        await api.ok("recordMeasurement", {**item, "value": 10}, tenant=RIVAL)
        warm = await asyncio.wait_for(pending, 10)
        assert warm.data == {
            "measurementRecorded": {"tenantValue": 10.0, "recorded": {"actor": principal.token_id}}
        }
        await api.ok("recordMeasurement", {**item, "value": 64.25})
        await api.ok("recordMeasurement", {**item, "value": 11, "reason": "fix"}, tenant=RIVAL)
        second = await asyncio.wait_for(anext(stream), 10)
        assert second.data is not None
        assert second.data["measurementRecorded"]["tenantValue"] == 11.0
    finally:
        await stream.aclose()
