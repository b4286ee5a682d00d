"""A scorecard state survives its snapshot encoding unchanged, in content and order."""

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from domain.scorecard import events as e
from domain.scorecard import scorecard_decider
from domain.scoring import Thresholds
from ledger.state_snapshots import ScorecardSnapshots, scorecard_snapshots
from tests.unit.scorecard_history import CREATED, SC, P, kpi, objective
from tests.unit.test_fold_properties import run, scorecard_commands


@settings(max_examples=60, deadline=None)
@given(st.lists(scorecard_commands, max_size=40))
def test_a_decoded_snapshot_equals_the_state_it_was_taken_of(commands: list[Any]) -> None:
    _, state = run(scorecard_decider, CREATED, commands)
    restored = scorecard_snapshots.decode(scorecard_snapshots.encode(state))
    assert restored == state
    for name in ("perspectives", "objectives", "kpis", "targets", "measurements", "initiatives"):
        assert list(getattr(restored, name)) == list(getattr(state, name)), name


def test_the_snapshot_shape_names_the_evolve_version_and_the_state_definition() -> None:
    kind, version, digest = ScorecardSnapshots.shape.split("/")
    assert (kind, version) == ("scorecard", "1") and len(digest) == 16


def test_alignments_thresholds_retractions_and_closed_periods_survive_a_snapshot() -> None:
    defined = kpi("k1")
    history = [
        *CREATED,
        objective("o1"),
        e.ObjectiveAligned(
            scorecard_id=SC,
            objective_id="o1",
            parent_scorecard_id="sc-0",
            parent_objective_id="p1",
        ),
        defined.model_copy(update={"thresholds": Thresholds(green=0.95, amber=0.8)}),
        e.MeasurementRecorded(
            scorecard_id=SC,
            measurement_id="m1",
            kpi_id="k1",
            period=P("2026-01"),
            value=3.5,
            not_available=False,
            source_system="itsm",
            external_reference="r",
            note="",
            reason=None,
        ),
        e.MeasurementRetracted(
            scorecard_id=SC, measurement_id="m1", kpi_id="k1", period=P("2026-01"), reason="dup"
        ),
        e.PeriodClosed(scorecard_id=SC, period=P("2026-Q1")),
    ]
    state = scorecard_decider.fold(history)
    assert state.objectives["o1"].alignment is not None
    assert state.kpis["k1"].thresholds == Thresholds(green=0.95, amber=0.8)
    assert "m1" in state.retracted and state.closed_periods
    assert scorecard_snapshots.decode(scorecard_snapshots.encode(state)) == state
