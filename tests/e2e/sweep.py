"""Sweeps over the mutation catalog: a minimal input for every mutation, built from its
command's own fields, and a scorecard whose ids those inputs can name.

A sweep over ``SPECS`` with these inputs reaches every resolver without a hand-written
input per mutation, so a new command is swept the day it is added.
"""

from __future__ import annotations

import datetime as dt
import enum
import types
import typing
from collections.abc import Mapping
from typing import Any

from api.graphql.mutations.builder import hidden_fields
from api.graphql.mutations.catalog import CommandSpec
from api.positions import decode_position
from domain.periods import Period
from domain.scoring import ScoringDefaults, Thresholds
from tests.e2e.conftest import TENANT, Api, build_small_scorecard

PAYLOAD = "position changed userErrors { code field message }"


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def sample(annotation: Any) -> Any:
    """A valid GraphQL input value for a command field's annotation."""
    origin = typing.get_origin(annotation)
    if origin in (types.UnionType, typing.Union):
        inner = [a for a in typing.get_args(annotation) if a is not type(None)]
        return sample(inner[0])
    if origin is tuple:
        return [sample(typing.get_args(annotation)[0])]
    if annotation is Period:
        return "2026-03"
    if annotation is Thresholds:
        return {"green": 1, "amber": 0.9}
    if annotation is ScoringDefaults:
        return {"cap": 1.5, "thresholds": {"green": 1, "amber": 0.9}}
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return next(iter(annotation)).name
    if annotation is bool:
        return False
    if annotation in (int, float):
        return 1
    if annotation is dt.date:
        return "2026-01-01"
    if annotation is str:
        return "x"
    raise TypeError(f"no sample input value for {annotation!r}")


def minimal_input(
    spec: CommandSpec, known: Mapping[str, Any] = {}, *, every_known: bool = False
) -> dict[str, Any]:
    """The mutation's required input fields, taking values from ``known`` (by the command's
    field name) where it has them; with ``every_known``, the optional fields ``known`` names
    too. Ids the server generates are left out unless given that way."""
    values: dict[str, Any] = {}
    for name, info in spec.command.model_fields.items():
        if name in hidden_fields(spec.command):
            continue
        required = info.is_required() and name not in spec.generated
        if name in known and (required or every_known):
            values[camel(name)] = known[name]
        elif required:
            values[camel(name)] = sample(info.annotation)
    return values


def mutation_document(spec: CommandSpec, selection: str = PAYLOAD) -> str:
    """``mutation($input: <Name>Input!) { <name>(input: $input) { selection } }``."""
    input_type = spec.name[0].upper() + spec.name[1:] + "Input"
    return f"mutation($input: {input_type}!) {{ {spec.name}(input: $input) {{ {selection} }} }}"


def error_codes(body: Mapping[str, Any]) -> list[str]:
    """The ``extensions.code`` of each top-level error of a response."""
    return [str((e.get("extensions") or {}).get("code")) for e in body.get("errors") or ()]


async def build_swept_scorecard(api: Api, tenant: str = TENANT) -> dict[str, Any]:
    """The small scorecard with a value, a changed target and an initiative; returns its ids
    by command field name, as ``known`` for :func:`minimal_input`."""
    ids = await build_small_scorecard(api, tenant)
    recorded = await api.ok(
        "recordMeasurement",
        {
            "scorecardId": "ops",
            "kpiId": "availability",
            "period": "2026-03",
            "value": 64.25,
            "note": f"{tenant} weekend outage",
        },
        "measurement { measurementId }",
        tenant=tenant,
    )
    await api.ok(
        "changeTarget",
        {
            "scorecardId": "ops",
            "kpiId": "availability",
            "period": "2026-01",
            "value": 72,
            "reason": f"{tenant} re-plan",
        },
        tenant=tenant,
    )
    initiative = await api.ok(
        "createInitiative",
        {
            "scorecardId": "ops",
            "title": f"{tenant} Moonshot",
            "objectiveIds": ["stable"],
            "startDate": "2026-01-01",
            "dueDate": "2026-12-31",
        },
        "initiative { initiativeId }",
        tenant=tenant,
    )
    perspective = ids["perspective"]
    return {
        "scorecard_id": "ops",
        "team_id": "it",
        "perspective_id": perspective,
        "perspective_ids": [perspective],
        "objective_id": "stable",
        "objective_ids": ["stable"],
        "source_objective_id": "stable",
        "target_objective_id": "stable",
        "parent_scorecard_id": "ops",
        "parent_objective_id": "stable",
        "kpi_id": "availability",
        "measurement_id": recorded["measurement"]["measurementId"],
        "position": initiative["position"],
        "initiative_id": initiative["initiative"]["initiativeId"],
        "period": "2026-03",
    }


async def stored_events(api: Api, tenant: str = TENANT) -> int:
    """How many events ``tenant`` has, read from the streams themselves: the gap-safe feed
    (and so the store's head) may lag behind while any PostgreSQL transaction is open."""
    return (await api.runtime.store.verify(tenant)).events_checked


async def settle(api: Api, *positions: str) -> None:
    """Wait until the async projections (the audit trail among them) include each position
    a mutation returned."""
    for position in positions:
        assert await api.runtime.wait_for_projections(decode_position(position), 10)
