"""Snapshots of the scorecard aggregate's state, for the command executor's cold loads.

The executor stores a snapshot beside a scorecard stream every few hundred events and starts
a cold load from it, so the first command after a restart folds a bounded tail instead of
the whole history. A snapshot is a cache of ``fold(events[:version])``, never a source of
truth: its ``shape`` combines :data:`EVOLVE_VERSION` with a digest of the state's class
definitions, so changing a field of the state, or bumping the version when an ``evolve``
changes what it does with the same fields, makes every stored snapshot foreign; the next
cold load folds from the first event and writes a new one.

What the state holds grows with the scorecard's history in two places: the current
measurement of every (KPI, period), and every measurement id ever used (ids are never
reused) with the ids retracted. Decoding all of that on every cold load made the first
command after a restart cost in proportion to the history (65 ms at 50,000 events, 51 of
them decoding), and re-encoding all of it at every snapshot made a batch pay for the whole
state. So a snapshot is written in two pieces, and read back lazily:

- the **head** (rewritten at each snapshot) holds the structure (perspectives, objectives,
  KPIs, targets, closed periods, initiatives) and the current measurements split by period
  year, each year a frame of its own (:mod:`ledger.snapshot_frames`). A year nobody changed
  since the head was read is stored again as the bytes it was read from; a restored state
  parses a year when a command first reaches it (:mod:`domain.partitioned`).
- the ids used and retracted go to **segments**: each snapshot appends one segment holding
  only the ids added since the previous snapshot (the maps' journals), one compressed frame
  per hash bucket (64) in a fixed order. The store hands back every segment covering the
  head; a restored state builds a bucket from that bucket's frame of each segment when a
  command first asks about an id in it (one bucket for a new measurement).

So a cold command parses the structure, one year and one bucket (a 64th of the ids), and a
snapshot write encodes the structure, the years that changed and the new ids. Segments
would pile up one per snapshot (200 at 100,000 events; building a bucket from a frame of
each took 3 ms, profiled), so every 16th snapshot writes its segment whole (see
:mod:`eventstore.executor`): a bucket restored and untouched since is merged from its
stored frames without being built, so that costs 73 ms at 100,000 ids (380 ms building
every bucket), once per 8,000 events. Folding the events since the snapshot adds their
ids without building the buckets they fall in (ids are never reused:
``PartitionedMap.add``), so a tail of a few hundred events does not build every bucket; a
bucket is built when a command asks about an id in it. What still grows with history:
reading the segments' bytes (about 5 bytes an id once whole) and each bucket a command
builds (a 64th of the ids, once per bucket after a restart). Designs we did not take:

- unique ids claimed in the database by the append (a unique index) instead of held in the
  state: it would keep the ids out of the snapshot, but the invariants the domain checks,
  the decider's tests and the state's equality with a fold of its events all rest on the
  state holding them; a retraction by id would need the database's answer before the
  decider could run, and a reused id would surface as a failed append to map back to a
  command of the batch.
- parts read from the database only when a command reaches them: the cold load would read
  even less, but a state would then be incomplete until an await the decider cannot make,
  so the executor would have to predict what each command needs.
- measurements in streams of their own per KPI: it splits the aggregate (an invariant such
  as "no change to a closed period" spans them) and its hash chain.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import zlib
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import orjson

from domain.kpi_kinds import Aggregation, Direction, KpiKind
from domain.partitioned import Deferred, PartitionedMap
from domain.periods import Frequency, Period
from domain.persistent import FrozenMap
from domain.scorecard.state import (
    ID_BUCKETS,
    Alignment,
    Initiative,
    Kpi,
    Measurement,
    MeasurementKey,
    Objective,
    Perspective,
    ScorecardState,
    Target,
    id_part,
    year_part,
)
from domain.scorecard.values import InitiativeStatus
from domain.scoring import Thresholds
from eventstore.snapshots import SnapshotParts
from ledger.snapshot_frames import frame, frame_at, unframe

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
_ID_MAPS = ("measurement_ids", "retracted")


def _definition_digest() -> str:
    described: list[Any] = [
        [cls.__name__, [[f.name, str(f.type)] for f in dataclasses.fields(cls)]] for cls in _CLASSES
    ]
    described.append(["Thresholds", sorted(Thresholds.model_fields)])
    described.append(["parts", "head+segments/3"])
    return hashlib.sha256(orjson.dumps(described)).hexdigest()[:16]


class _Periods:
    """Parses each period label once per restored state."""

    def __init__(self) -> None:
        self._seen: dict[str, Period] = {}

    def __call__(self, label: str) -> Period:
        found = self._seen.get(label)
        if found is None:
            found = self._seen[label] = Period.parse(label)
        return found


class ScorecardSnapshots:
    """The :class:`~eventstore.snapshots.SnapshotCodec` of ``ScorecardState``."""

    shape = f"scorecard/{EVOLVE_VERSION}/{_definition_digest()}"

    # -- what the executor stores ---------------------------------------------------------

    def snapshot(
        self, state: ScorecardState, *, whole: bool = False
    ) -> SnapshotParts[ScorecardState]:
        """The head, the segment of ids added since the state was restored (or settled),
        or with ``whole`` of every id (each bucket then one frame, built once here so that
        cold loads read one frame a bucket instead of one per snapshot), and the state
        settled: journals emptied, changed years remembered as stored."""
        years, stored = self._years(state.measurements)
        maps = [getattr(state, name) for name in _ID_MAPS]
        segment = _whole_segment(maps) if whole else _segment(ids.journal.items() for ids in maps)
        settled = dataclasses.replace(
            state,
            measurements=state.measurements.settled(stored),
            measurement_ids=state.measurement_ids.settled(),
            retracted=state.retracted.settled(),
        )
        return SnapshotParts(self._head(state, years), segment, settled)

    def restore(self, head: bytes, segments: Sequence[bytes]) -> ScorecardState:
        """The state a head and the segments covering it describe, its parts deferred."""
        structure, *year_blobs = unframe(head)
        raw = orjson.loads(structure)
        period = _Periods()
        measurements: dict[str, Deferred[MeasurementKey, Measurement]] = {}
        for (name, length), blob in zip(raw["measurement_parts"], year_blobs, strict=True):
            measurements[name] = Deferred(length, _year_builder(blob, period), bytes(blob))
        stored = tuple(segments)
        id_maps = {
            m: PartitionedMap.of_parts(
                id_part,
                {
                    bucket: _deferred_bucket(length, stored, _frame_of(m, bucket), period)
                    for bucket, length in raw[f"{m}_parts"]
                },
                journaled=True,
            )
            for m in _ID_MAPS
        }
        return _structure(raw, period, PartitionedMap.of_parts(year_part, measurements), id_maps)

    # -- the whole state in one piece (tests, tools) --------------------------------------

    def encode(self, state: ScorecardState) -> bytes:
        """The whole state: its head and one segment holding every id."""
        years, _ = self._years(state.measurements)
        segment = _whole_segment([getattr(state, name) for name in _ID_MAPS])
        return frame([self._head(state, years), segment])

    def decode(self, data: bytes) -> ScorecardState:
        head, segment = unframe(data)
        return self.restore(bytes(head), [bytes(segment)])

    # -- pieces ---------------------------------------------------------------------------

    def _years(
        self, measurements: PartitionedMap[MeasurementKey, Measurement]
    ) -> tuple[list[bytes], dict[str, Deferred[MeasurementKey, Measurement]]]:
        blobs: list[bytes] = []
        stored: dict[str, Deferred[MeasurementKey, Measurement]] = {}
        for name, part in measurements.parts.items():
            if isinstance(part, Deferred) and isinstance(part.source, bytes):
                blob = part.source
                stored[name] = part
            else:
                built = part.value() if isinstance(part, Deferred) else part
                blob = orjson.dumps([_measurement(m) for m in built.values()])
                stored[name] = Deferred.ready(built, blob)
            blobs.append(blob)
        return blobs, stored

    def _head(self, state: ScorecardState, years: list[bytes]) -> bytes:
        structure = orjson.dumps(
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
                "measurement_parts": _lengths(state.measurements),
                "measurement_ids_parts": _lengths(state.measurement_ids),
                "retracted_parts": _lengths(state.retracted),
                "closed_periods": sorted(str(p) for p in state.closed_periods),
                "initiatives": [_initiative(i) for i in state.initiatives.values()],
            }
        )
        return frame([structure, *years])


def _lengths(keyed: PartitionedMap[Any, Any]) -> list[list[Any]]:
    return [
        [name, part.length if isinstance(part, Deferred) else len(part)]
        for name, part in keyed.parts.items()
    ]


def _segment(maps: Iterable[Iterable[tuple[str, MeasurementKey]]]) -> bytes:
    """Ids with their keys: one frame per (map, hash bucket) in a fixed order (empty when
    the bucket got none), each the columns (ids, KPIs, periods) compressed (a KPI and
    period column repeats itself; ids share prefixes)."""
    blobs: list[bytes] = []
    for entries in maps:
        buckets: list[list[tuple[str, MeasurementKey]]] = [[] for _ in range(ID_BUCKETS)]
        for entry in entries:
            buckets[int(id_part(entry[0]))].append(entry)
        blobs.extend(_bucket_blob(bucket) for bucket in buckets)
    return frame(blobs)


def _whole_segment(maps: Sequence[PartitionedMap[str, MeasurementKey]]) -> bytes:
    """Every id of the maps, as :func:`_segment` lays them out. A bucket restored and not
    changed since is merged from its stored frames without being built (columns joined,
    compressed once); only the buckets built since are encoded from their entries."""
    blobs: list[bytes] = []
    for ids in maps:
        for bucket in range(ID_BUCKETS):
            part = ids.parts.get(str(bucket))
            if part is None:
                blobs.append(b"")
            elif isinstance(part, Deferred) and isinstance(part.source, _Frames):
                blobs.append(part.source.merged())
            else:
                built = part.value() if isinstance(part, Deferred) else part
                blobs.append(_bucket_blob(built.items()))
    return frame(blobs)


def _bucket_blob(entries: Iterable[tuple[str, MeasurementKey]]) -> bytes:
    ids: list[str] = []
    kpis: list[str] = []
    periods: list[str] = []
    for measurement_id, (kpi_id, period) in entries:
        ids.append(measurement_id)
        kpis.append(kpi_id)
        periods.append(str(period))
    return zlib.compress(orjson.dumps([ids, kpis, periods])) if ids else b""


class _Frames:
    """A bucket's stored frames, oldest first (the source of a restored id bucket)."""

    __slots__ = ("frames",)

    def __init__(self, frames: tuple[memoryview, ...]) -> None:
        self.frames = frames

    def merged(self) -> bytes:
        """The bucket as one frame: the same ids, keys and order."""
        if len(self.frames) == 1:
            return bytes(self.frames[0])
        columns: tuple[list[str], list[str], list[str]] = ([], [], [])
        for blob in self.frames:
            for column, values in zip(columns, _columns(blob), strict=True):
                column.extend(values)
        return zlib.compress(orjson.dumps(columns))


def _deferred_bucket(
    length: int, segments: tuple[bytes, ...], index: int, period: _Periods
) -> Deferred[str, MeasurementKey]:
    frames = tuple(blob for blob in (frame_at(s, index) for s in segments) if blob)
    return Deferred(length, _bucket_builder(frames, period), _Frames(frames))


def _frame_of(map_name: str, bucket: str) -> int:
    return _ID_MAPS.index(map_name) * ID_BUCKETS + int(bucket)


def _columns(blob: bytes | memoryview) -> tuple[list[str], list[str], list[str]]:
    ids, kpis, periods = orjson.loads(zlib.decompress(blob))
    return ids, kpis, periods


def ids_in_segment(data: bytes) -> int:
    """How many ids (used or retracted) a stored segment holds."""
    return sum(len(_columns(blob)[0]) for blob in unframe(data) if blob)


def _year_builder(
    blob: memoryview, period: _Periods
) -> Callable[[], FrozenMap[MeasurementKey, Measurement]]:
    def build() -> FrozenMap[MeasurementKey, Measurement]:
        rows = orjson.loads(blob)
        return FrozenMap({(k, p.period): p for k, p in _measurements_of(rows, period)})

    return build


def _measurements_of(rows: list[list[Any]], period: _Periods) -> Iterable[tuple[str, Measurement]]:
    for mid, kpi_id, label, *rest in rows:
        yield kpi_id, Measurement(mid, kpi_id, period(label), *rest)


def _bucket_builder(
    frames: tuple[memoryview, ...], period: _Periods
) -> Callable[[], FrozenMap[str, MeasurementKey]]:
    def build() -> FrozenMap[str, MeasurementKey]:
        merged: dict[str, MeasurementKey] = {}
        for blob in frames:  # oldest first: a later one only repeats an entry
            ids, kpis, labels = _columns(blob)
            parsed = {label: period(label) for label in set(labels)}
            keys = zip(kpis, map(parsed.__getitem__, labels), strict=True)
            merged.update(zip(ids, keys, strict=True))
        return FrozenMap.adopting(merged)

    return build


def _structure(
    raw: dict[str, Any],
    period: _Periods,
    measurements: PartitionedMap[MeasurementKey, Measurement],
    id_maps: dict[str, PartitionedMap[str, MeasurementKey]],
) -> ScorecardState:
    scorecard_id, team_id, name, description = raw["scorecard"]
    targets = (Target(k, period(p), *rest) for k, p, *rest in raw["targets"])
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
        measurements=measurements,
        measurement_ids=id_maps["measurement_ids"],
        retracted=id_maps["retracted"],
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
