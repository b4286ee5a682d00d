"""The role matrix: every role against every mutation and every query field."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncGenerator
from typing import Any

from api.auth.roles import GRANTS, Capability, Role, allows
from api.graphql.context import Context
from api.graphql.mutations.catalog import SPECS
from api.graphql.schema import build_schema
from tests.e2e.conftest import TENANT, Api, fanout_past, kpi_gid, scorecard_gid
from tests.e2e.sweep import (
    build_swept_scorecard,
    error_codes,
    minimal_input,
    mutation_document,
    stored_events,
)

READS: dict[str, tuple[Capability | None, str]] = {
    "viewer": (None, "{ viewer { role organizationId } }"),
    "organization": (Capability.READ_CURRENT, "{ organization { name teams { teamId } } }"),
    "scorecard": (
        Capability.READ_CURRENT,
        'query($sc: ID!) { scorecard(id: $sc, period: "2026-03") { name score } }',
    ),
    "node": (Capability.READ_CURRENT, "query($sc: ID!) { node(id: $sc) { __typename } }"),
    "kpi": (
        Capability.READ_HISTORY,
        "query($kpi: ID!) { kpi(id: $kpi) { kpiId measurements { value recorded { actor } } } }",
    ),
    "auditTrail": (
        Capability.READ_HISTORY,
        "{ auditTrail(first: 5) { edges { node { eventType actor reason } } } }",
    ),
    "changes": (
        Capability.READ_HISTORY,
        "query($sc: ID!, $from: DateTime!, $to: DateTime!) "
        "{ changes(scorecardId: $sc, from: $from, to: $to) { entityType kind by { actor } } }",
    ),
    "integrity": (
        Capability.READ_HISTORY,
        "query($sc: ID!) { whole: integrity { ok } one: integrity(scorecardId: $sc) { ok } }",
    ),
    "projectionStatus": (Capability.ADMINISTER, "{ projectionStatus { name checkpoint } }"),
    "latestDigest": (Capability.READ_HISTORY, "{ latestDigest { treeSize document } }"),
    "digestPublicKey": (Capability.READ_HISTORY, "{ digestPublicKey { publicKey keyId } }"),
}
"""Each query field: the capability it needs (none: any caller) and a request for it."""


def test_every_query_field_has_a_row_in_the_read_matrix() -> None:
    fields = build_schema()._schema.query_type.fields  # type: ignore[union-attr]
    assert set(fields) == set(READS)


def test_every_role_grants_a_known_set_of_capabilities() -> None:
    assert set(GRANTS) == set(Role)
    assert not allows(Role.VIEWER, Capability.READ_HISTORY)
    assert not allows(Role.INTEGRATOR, Capability.READ_CURRENT)
    assert not any(allows(Role.AUDITOR, spec.capability) for spec in SPECS), (
        "auditors write nothing"
    )


async def test_each_role_runs_exactly_the_mutations_its_grants_allow(api: Api) -> None:
    known = await build_swept_scorecard(api)
    pairs = [(role, spec) for role in Role for spec in SPECS]
    refused = [(r, s) for r, s in pairs if not allows(r, s.capability)]
    permitted = [(r, s) for r, s in pairs if allows(r, s.capability)]
    assert refused
    assert permitted
    # The refusals run first, against a scorecard whose ids their inputs name, so a leak
    # in authorization would write.
    for role, spec in refused:
        before = await stored_events(api)
        body = await api.post(
            mutation_document(spec), {"input": minimal_input(spec, known)}, role=role
        )
        assert error_codes(body) == ["FORBIDDEN"], (role, spec.name, body)
        assert (body.get("data") or {}).get(spec.name) is None, (role, spec.name, body)
        assert role.value in body["errors"][0]["message"]
        assert await stored_events(api) == before, f"{role} {spec.name} wrote despite FORBIDDEN"
    for role, spec in permitted:
        body = await api.post(
            mutation_document(spec), {"input": minimal_input(spec, known)}, role=role
        )
        assert "errors" not in body, (role, spec.name, body)
        assert isinstance(body["data"][spec.name]["userErrors"], list)


async def test_each_role_reads_exactly_the_query_fields_its_grants_allow(api: Api) -> None:
    await build_swept_scorecard(api)
    variables: dict[str, Any] = {
        "sc": scorecard_gid("ops"),
        "kpi": kpi_gid("ops", "availability"),
        "from": "2026-01-01T00:00:00Z",
        "to": dt.datetime.now(dt.UTC).isoformat(),
    }
    for role in Role:
        for name, (capability, query) in READS.items():
            body = await api.post(query, variables, role=role)
            if capability is None or allows(role, capability):
                assert "errors" not in body, (role, name, body)
            else:
                assert error_codes(body) == ["FORBIDDEN"] * len(body["errors"]), (role, name)
                assert not any((body.get("data") or {}).values()), (role, name, body)


async def test_viewers_read_current_scorecards_but_integrators_do_not(api: Api) -> None:
    await build_swept_scorecard(api)
    query = READS["scorecard"][1]
    seen = await api.query(query, {"sc": scorecard_gid("ops")}, role=Role.VIEWER)
    assert seen["scorecard"]["name"] == "IT Operations"
    refused = await api.post(query, {"sc": scorecard_gid("ops")}, role=Role.INTEGRATOR)
    assert error_codes(refused) == ["FORBIDDEN"]
    assert "integrator" in refused["errors"][0]["message"]
    history = await api.post(
        READS["kpi"][1], {"kpi": kpi_gid("ops", "availability")}, role=Role.VIEWER
    )
    assert error_codes(history) == ["FORBIDDEN"]
    assert "Operations" not in str(refused) and "64.25" not in str(history)


async def test_each_role_follows_measurements_live_as_its_grants_allow(api: Api) -> None:
    built = await build_swept_scorecard(api)
    await fanout_past(api, built["position"])
    schema = build_schema()
    follow = (
        "subscription($kpi: ID!) { measurementRecorded(kpiId: $kpi) "
        "{ value recorded { actor reason } } }"
    )
    streams = {}
    for role in Role:
        principal = await api.runtime.tokens.authenticate(api.token(role))
        assert principal is not None
        stream = await schema.subscribe(
            follow, {"kpi": kpi_gid("ops", "availability")}, Context(api.runtime, principal)
        )
        assert isinstance(stream, AsyncGenerator)
        streams[role] = stream
    try:
        pending = {}
        for role, stream in streams.items():
            if allows(role, Capability.READ_CURRENT):
                pending[role] = asyncio.ensure_future(anext(stream))
            else:
                first = await asyncio.wait_for(anext(stream), 10)
                assert [e.extensions for e in first.errors or ()] == [{"code": "FORBIDDEN"}]
        # Every follower listens before the measurement is recorded.
        await asyncio.wait_for(api.runtime.fanout.wait_for_subscribers(TENANT, len(pending)), 10)
        item = {"scorecardId": "ops", "kpiId": "availability", "period": "2026-03"}
        await api.ok("recordMeasurement", {**item, "value": 66, "reason": "late feed"})
        for role, task in pending.items():
            result = await asyncio.wait_for(task, 10)
            assert result.data is not None, (role, result.errors)
            event = result.data["measurementRecorded"]
            assert event["value"] == 66.0
            # Who and why are history: roles without it get an empty actor and no reason.
            history = allows(role, Capability.READ_HISTORY)
            assert (event["recorded"]["reason"] == "late feed") is history, role
            assert bool(event["recorded"]["actor"]) is history, role
    finally:
        for stream in streams.values():
            await stream.aclose()
