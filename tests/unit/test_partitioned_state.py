"""The state's partitioned maps behave as dicts; a state restored from a head and segments
written one snapshot at a time equals the state, and decodes only the parts a command
reaches."""

import contextlib
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from domain.errors import DomainError
from domain.partitioned import Deferred, PartitionedMap
from domain.scorecard import commands as c
from domain.scorecard import events as e
from domain.scorecard import scorecard_decider
from domain.scorecard.state import ScorecardState
from ledger.state_snapshots import ids_in_segment, scorecard_snapshots
from tests.unit.scorecard_history import CREATED, SC, P, kpi, objective
from tests.unit.test_fold_properties import scorecard_commands

operations = st.lists(
    st.tuples(st.sampled_from(["set", "delete"]), st.integers(0, 40), st.integers()),
    max_size=200,
)


def _tens(key: int) -> str:
    return str(key // 10)


@settings(max_examples=60, deadline=None)
@given(operations)
def test_a_partitioned_map_matches_a_dict_and_never_changes(ops: list[tuple[str, int, int]]):
    expected: dict[int, int] = {}
    current: PartitionedMap[int, int] = PartitionedMap(_tens)
    kept: list[tuple[PartitionedMap[int, int], dict[int, int]]] = []
    for op, key, value in ops:
        if op == "set":
            current, expected[key] = current.set(key, value), value
        else:
            current = current.delete(key)
            expected.pop(key, None)
        kept.append((current, dict(expected)))
        assert dict(current.items()) == expected and len(current) == len(expected)
        assert current.get(key) == expected.get(key) and (key in current) == (key in expected)
    for earlier, content in kept:
        assert dict(earlier.items()) == content


def test_a_journaled_map_keeps_what_was_set_since_it_was_settled_and_only_grows():
    ids: PartitionedMap[int, str] = PartitionedMap(_tens, journaled=True)
    ids = ids.set(1, "a").set(25, "b")
    settled = ids.settled()
    later = settled.set(3, "c")
    assert dict(ids.journal.items()) == {1: "a", 25: "b"}
    assert dict(later.journal.items()) == {3: "c"} and later == {1: "a", 25: "b", 3: "c"}
    try:
        later.delete(1)
    except TypeError:
        pass
    else:
        raise AssertionError("a journaled map deleted a key")


def _snapshot_in_turns(commands: list[Any], turns: int) -> tuple[ScorecardState, list[Any]]:
    """Decide ``commands``, taking a snapshot after every ``turns`` of them as the executor
    does (keeping the settled state), and return the final state with every piece."""
    state = scorecard_decider.fold(CREATED)
    pieces: list[Any] = []
    for n, command in enumerate(commands, start=1):
        with contextlib.suppress(DomainError):
            state = scorecard_decider.fold(scorecard_decider.decide(command, state), state)
        if n % turns == 0:
            parts = scorecard_snapshots.snapshot(state)
            pieces.append(parts)
            assert parts.settled == state
            state = parts.settled
    pieces.append(scorecard_snapshots.snapshot(state))
    return state, pieces


@settings(max_examples=60, deadline=None)
@given(st.lists(scorecard_commands, max_size=40), st.integers(1, 8))
def test_a_state_restored_from_its_newest_head_and_every_segment_equals_it(commands, turns):
    state, pieces = _snapshot_in_turns(commands, turns)
    restored = scorecard_snapshots.restore(pieces[-1].head, [p.segment for p in pieces])
    assert restored == state
    assert list(restored.measurements) == list(state.measurements)
    # and a restored state carries on like the original: snapshot it again, restore again
    again = scorecard_snapshots.snapshot(restored)
    assert scorecard_snapshots.restore(again.head, [p.segment for p in pieces]) == state


def _measurement(n: int, period: str = "2026-01") -> e.MeasurementRecorded:
    return e.MeasurementRecorded(
        scorecard_id=SC, measurement_id=f"m{n}", kpi_id="k1", period=P(period), value=float(n),
        not_available=False, source_system="s", external_reference=f"r{n}", note="", reason=None,
    )  # fmt: skip


def test_a_segment_holds_only_the_ids_added_since_the_snapshot_before():
    state = scorecard_decider.fold([*CREATED, objective("o1"), kpi("k1")])
    sizes = []
    for turn in range(3):
        history = [_measurement(turn * 100 + n, f"{2000 + turn * 5 + n // 12}-{n % 12 + 1:02d}")
                   for n in range(50)]  # fmt: skip
        state = scorecard_decider.fold(history, state)
        parts = scorecard_snapshots.snapshot(state)
        sizes.append(ids_in_segment(parts.segment))
        state = parts.settled
    assert sizes == [50, 50, 50] and len(state.measurement_ids) == 150


def test_a_restored_state_decodes_only_the_year_and_the_id_bucket_a_command_reaches():
    history = [*CREATED, objective("o1"), kpi("k1")]
    history += [_measurement(n, f"{2000 + n // 12}-{n % 12 + 1:02d}") for n in range(600)]
    state = scorecard_decider.fold(history)
    parts = scorecard_snapshots.snapshot(state)
    restored = scorecard_snapshots.restore(parts.head, [parts.segment])
    command = c.RecordMeasurement(scorecard_id=SC, measurement_id="new", kpi_id="k1",
                                  period=P("2031-02"), value=1.0, reason="again")  # fmt: skip
    taken = c.RecordMeasurement(scorecard_id=SC, measurement_id="m7", kpi_id="k1",
                                period=P("2031-03"), value=1.0)  # fmt: skip
    produced = scorecard_decider.decide(command, restored)
    assert [type(p) for p in produced] == [e.MeasurementCorrected]

    def built(keyed: PartitionedMap[Any, Any]) -> int:
        return sum(isinstance(p, Deferred) and p.built for p in keyed.parts.values())

    assert built(restored.measurements) == 1 and len(restored.measurements.parts) == 50
    assert built(restored.measurement_ids) == 1 and len(restored.measurement_ids.parts) == 64
    assert built(restored.retracted) == 0
    try:
        scorecard_decider.decide(taken, restored)
    except DomainError as error:
        assert error.code == "measurement.already_exists"
    else:
        raise AssertionError("a used id was accepted")


def test_folding_after_a_restore_adds_ids_without_building_their_buckets():
    history = [*CREATED, objective("o1"), kpi("k1")]
    history += [_measurement(n, f"{2000 + n // 12}-{n % 12 + 1:02d}") for n in range(300)]
    parts = scorecard_snapshots.snapshot(scorecard_decider.fold(history))
    restored = scorecard_snapshots.restore(parts.head, [parts.segment])
    tail = [_measurement(1000 + n, f"2030-{n % 12 + 1:02d}") for n in range(120)]
    folded = scorecard_decider.fold(tail, restored)
    ids = folded.measurement_ids
    assert not any(isinstance(p, Deferred) and p.built for p in ids.parts.values())
    assert len(ids) == 420
    expected = scorecard_decider.fold([*history, *tail])
    assert folded == expected
    # stored again, incrementally and whole, it restores to the same state
    again = scorecard_snapshots.snapshot(scorecard_decider.fold(tail, restored))
    assert scorecard_snapshots.restore(again.head, [parts.segment, again.segment]) == expected
    whole = scorecard_snapshots.snapshot(scorecard_decider.fold(tail, restored), whole=True)
    assert scorecard_snapshots.restore(whole.head, [whole.segment]) == expected
    reused = c.RecordMeasurement(scorecard_id=SC, measurement_id="m1005", kpi_id="k1",
                                 period=P("2031-03"), value=1.0)  # fmt: skip
    try:
        scorecard_decider.decide(reused, scorecard_decider.fold(tail, restored))
    except DomainError as error:
        assert error.code == "measurement.already_exists"
    else:
        raise AssertionError("an id added after the restore was accepted again")
