"""FrozenMap behaves exactly as a dict copied before each change, without the copying."""

import math
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from domain import persistent
from domain.periods import Period
from domain.persistent import FrozenMap
from domain.scorecard import commands as c
from domain.scorecard import scorecard_decider
from tests.unit.scorecard_history import CREATED, SC, kpi, objective

operations = st.lists(
    st.tuples(st.sampled_from(["set", "delete"]), st.integers(0, 40), st.integers()),
    max_size=300,
)


@settings(max_examples=80, deadline=None)
@given(operations)
def test_a_frozen_map_matches_a_dict_in_content_and_order_and_never_changes(
    ops: list[tuple[str, int, int]],
) -> None:
    expected: dict[int, int] = {}
    current: FrozenMap[int, int] = FrozenMap()
    kept: list[tuple[FrozenMap[int, int], dict[int, int]]] = []
    for op, key, value in ops:
        if op == "set":
            current = current.set(key, value)
            expected[key] = value
        else:
            current = current.delete(key)
            expected.pop(key, None)
        kept.append((current, dict(expected)))
        assert list(current.items()) == list(expected.items())
        assert len(current) == len(expected)
        assert current.get(key) == expected.get(key)
        assert (key in current) == (key in expected)
    for earlier, snapshot in kept:
        assert list(earlier.items()) == list(snapshot.items())


def test_a_frozen_map_equals_a_dict_with_the_same_items() -> None:
    assert FrozenMap({"a": 1}).set("b", 2) == {"b": 2, "a": 1}
    assert FrozenMap({"a": 1}) != {"a": 2}


def _measurements(count: int) -> list[Any]:
    events: list[Any] = [*CREATED, objective("o1"), kpi("k1")]
    state = scorecard_decider.fold(events)
    for n in range(count):
        record = c.RecordMeasurement(
            scorecard_id=SC,
            measurement_id=f"m{n}",
            kpi_id="k1",
            period=Period.month(2000 + n // 12, n % 12 + 1),
            value=float(n),
        )
        produced = scorecard_decider.decide(record, state)
        state = scorecard_decider.fold(produced, state)
        events.extend(produced)
    return events


def test_folding_a_scorecard_copies_far_less_than_quadratically_many_entries() -> None:
    # Copying the maps on every event (as dicts would need) copies about n²/2 entries:
    # 12.5 million for 5,000 measurements. A FrozenMap change copies O(√n) amortised.
    count = 5000
    events = _measurements(count)
    before = persistent.copies
    state = scorecard_decider.fold(events)
    copied = persistent.copies - before
    assert len(state.measurement_ids) == count
    # two maps change per measurement, each costing ≤ ~3√n amortised entry copies
    assert copied <= 2 * count * 3 * math.isqrt(count)
    assert copied < count * count / 20
