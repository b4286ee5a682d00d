"""Snapshots of the scorecard aggregate's state, for the command executor's cold loads.

The executor stores a snapshot beside a scorecard stream every few hundred events and starts
a cold load from it, so the first command after a restart folds a bounded tail instead of
the whole history. A snapshot is a cache of ``fold(events[:version])``, never a source of
truth: its ``shape`` combines :data:`EVOLVE_VERSION` with a digest of the state's class
definitions, so changing a field of the state, or bumping the version when an ``evolve``
changes what it does with the same fields, makes every stored snapshot foreign; the next
cold load folds from the first event and writes a new one.

The encoding is compact JSON (positional rows, periods as their labels, measurement ids
grouped by their key) because a mature scorecard's state holds an entry per measurement
ever recorded, and decoding it must stay a small part of a command.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
from typing import Any

import orjson

from domain.kpi_kinds import Aggregation, Direction, KpiKind
from domain.periods import Frequency, Period
from domain.persistent import FrozenMap
from domain.scorecard.state import (
    Alignment,
    Initiative,
    Kpi,
    Measurement,
    MeasurementKey,
    Objective,
    Perspective,
    ScorecardState,
    Target,
)
from domain.scorecard.values import InitiativeStatus
from domain.scoring import Thresholds

EVOLVE_VERSION = 1
"""Bump when an evolve function changes what it makes of the same events."""

_CLASSES = (
    ScorecardState,
    Perspective,
    Alignment,
    Objective,
    Kpi,
    Target,
    Measurement,
    Initiative,
)


def _definition_digest() -> str:
    described = [
        [cls.__name__, [[f.name, str(f.type)] for f in dataclasses.fields(cls)]] for cls in _CLASSES
    ]
    described.append(["Thresholds", sorted(Thresholds.model_fields)])
    return hashlib.sha256(orjson.dumps(described)).hexdigest()[:16]


def _grouped(ids: FrozenMap[str, MeasurementKey]) -> list[list[Any]]:
    groups: dict[MeasurementKey, list[str]] = {}
    for measurement_id, key in ids.items():
        groups.setdefault(key, []).append(measurement_id)
    return [[kpi_id, str(period), names] for (kpi_id, period), names in groups.items()]


class ScorecardSnapshots:
    """The :class:`~eventstore.snapshots.SnapshotCodec` of ``ScorecardState``."""

    shape = f"scorecard/{EVOLVE_VERSION}/{_definition_digest()}"

    def encode(self, state: ScorecardState) -> bytes:
        return orjson.dumps(
            {
                "exists": state.exists,
                "scorecard": [state.scorecard_id, state.team_id, state.name, state.description],
                "perspective_order": list(state.perspective_order),
                "perspectives": [
                    [p.perspective_id, p.name, p.weight] for p in state.perspectives.values()
                ],
                "objectives": [_objective(o) for o in state.objectives.values()],
                "links": sorted(state.links),
                "kpis": [_kpi(k) for k in state.kpis.values()],
                "targets": [_target(t) for t in state.targets.values()],
                "measurements": [_measurement(m) for m in state.measurements.values()],
                "measurement_ids": _grouped(state.measurement_ids),
                "retracted": _grouped(state.retracted),
                "closed_periods": sorted(str(p) for p in state.closed_periods),
                "initiatives": [_initiative(i) for i in state.initiatives.values()],
            }
        )

    def decode(self, data: bytes) -> ScorecardState:
        raw = orjson.loads(data)
        periods: dict[str, Period] = {}

        def period(label: str) -> Period:
            found = periods.get(label)
            if found is None:
                found = periods[label] = Period.parse(label)
            return found

        def keyed(groups: list[list[Any]]) -> FrozenMap[str, MeasurementKey]:
            ids: dict[str, MeasurementKey] = {}
            for kpi_id, label, names in groups:
                ids.update(dict.fromkeys(names, (kpi_id, period(label))))
            return FrozenMap(ids)

        scorecard_id, team_id, name, description = raw["scorecard"]
        targets = (Target(k, period(p), *rest) for k, p, *rest in raw["targets"])
        measurements = (
            Measurement(mid, k, period(p), *rest) for mid, k, p, *rest in raw["measurements"]
        )
        return ScorecardState(
            exists=raw["exists"],
            scorecard_id=scorecard_id,
            team_id=team_id,
            name=name,
            description=description,
            perspective_order=tuple(raw["perspective_order"]),
            perspectives=FrozenMap({row[0]: Perspective(*row) for row in raw["perspectives"]}),
            objectives=FrozenMap({row[0]: _objective_from(row) for row in raw["objectives"]}),
            links=frozenset((source, target) for source, target in raw["links"]),
            kpis=FrozenMap({row[0]: _kpi_from(row) for row in raw["kpis"]}),
            targets=FrozenMap({(t.kpi_id, t.period): t for t in targets}),
            measurements=FrozenMap({(m.kpi_id, m.period): m for m in measurements}),
            measurement_ids=keyed(raw["measurement_ids"]),
            retracted=keyed(raw["retracted"]),
            closed_periods=frozenset(period(p) for p in raw["closed_periods"]),
            initiatives=FrozenMap({row[0]: _initiative_from(row) for row in raw["initiatives"]}),
        )


def _objective(o: Objective) -> list[Any]:
    alignment = o.alignment and [o.alignment.parent_scorecard_id, o.alignment.parent_objective_id]
    return [o.objective_id, o.perspective_id, o.title, o.description, o.owner, o.weight,
            o.retired, alignment]  # fmt: skip


def _objective_from(row: list[Any]) -> Objective:
    objective_id, perspective_id, title, description, owner, weight, retired, alignment = row
    return Objective(
        objective_id, perspective_id, title, description, owner, weight, retired,
        alignment and Alignment(*alignment),
    )  # fmt: skip


def _kpi(k: Kpi) -> list[Any]:
    thresholds = k.thresholds and [k.thresholds.green, k.thresholds.amber]
    return [k.kpi_id, k.objective_id, k.name, k.description, k.unit, k.direction.value,
            k.range_low, k.range_high, k.frequency.value, k.aggregation.value, k.kind.value,
            k.owner, k.weight, thresholds, k.retired]  # fmt: skip


def _kpi_from(row: list[Any]) -> Kpi:
    (kpi_id, objective_id, name, description, unit, direction, low, high, frequency,
     aggregation, kind, owner, weight, thresholds, retired) = row  # fmt: skip
    return Kpi(
        kpi_id, objective_id, name, description, unit, Direction(direction), low, high,
        Frequency(frequency), Aggregation(aggregation), KpiKind(kind), owner, weight,
        thresholds and Thresholds(green=thresholds[0], amber=thresholds[1]), retired,
    )  # fmt: skip


def _target(t: Target) -> list[Any]:
    return [t.kpi_id, str(t.period), t.effective_from, t.value, t.baseline, t.stretch]


def _measurement(m: Measurement) -> list[Any]:
    return [m.measurement_id, m.kpi_id, str(m.period), m.value, m.not_available,
            m.external_reference]  # fmt: skip


def _initiative(i: Initiative) -> list[Any]:
    return [i.initiative_id, i.title, list(i.objective_ids), i.owner, i.start_date.isoformat(),
            i.due_date.isoformat(), i.status.value, i.progress]  # fmt: skip


def _initiative_from(row: list[Any]) -> Initiative:
    initiative_id, title, objective_ids, owner, start, due, status, progress = row
    return Initiative(
        initiative_id, title, tuple(objective_ids), owner, dt.date.fromisoformat(start),
        dt.date.fromisoformat(due), InitiativeStatus(status), progress,
    )  # fmt: skip


scorecard_snapshots = ScorecardSnapshots()
