import pytest

from domain.scorecard import commands as c
from domain.scorecard import events as e
from domain.scorecard import scorecard_decider
from tests.unit.given import given
from tests.unit.scorecard_history import BASE, SC, P

CLOSED_Q1 = e.PeriodClosed(scorecard_id=SC, period=P("2026-Q1"))


def test_closing_a_period() -> None:
    given(scorecard_decider, BASE).when(c.ClosePeriod(scorecard_id=SC, period=P("2026-03"))).then(
        e.PeriodClosed(scorecard_id=SC, period=P("2026-03"))
    )


def test_a_closed_quarter_closes_its_months() -> None:
    state = scorecard_decider.fold([*BASE, CLOSED_Q1])
    assert state.is_closed(P("2026-02"))
    assert not state.is_closed(P("2026-04"))
    assert not state.is_closed(P("2026"))


def test_reopening_a_period_needs_a_reason() -> None:
    given(scorecard_decider, BASE, CLOSED_Q1).when(
        c.ReopenPeriod(scorecard_id=SC, period=P("2026-Q1"), reason="late invoice")
    ).then(e.PeriodReopened(scorecard_id=SC, period=P("2026-Q1"), reason="late invoice"))
    given(scorecard_decider, BASE, CLOSED_Q1).when(
        c.ReopenPeriod(scorecard_id=SC, period=P("2026-Q1"), reason=" ")
    ).then_rejects("period.reason_required")


@pytest.mark.parametrize(
    ("command", "code"),
    [
        (c.ClosePeriod(scorecard_id=SC, period=P("2026-Q1")), "period.already_closed"),
        (c.ClosePeriod(scorecard_id=SC, period=P("2026-01")), "period.closed_by_containing_period"),
        (c.ReopenPeriod(scorecard_id=SC, period=P("2026-04"), reason="r"), "period.not_closed"),
        (
            c.ReopenPeriod(scorecard_id=SC, period=P("2026-02"), reason="r"),
            "period.closed_by_containing_period",
        ),
    ],
)
def test_invalid_closes_and_reopens_are_rejected(command: c.ScorecardCommand, code: str) -> None:
    given(scorecard_decider, BASE, CLOSED_Q1).when(command).then_rejects(code)


def test_after_a_reopen_measurements_are_accepted_again() -> None:
    reopened = e.PeriodReopened(scorecard_id=SC, period=P("2026-Q1"), reason="r")
    command = c.RecordMeasurement(
        scorecard_id=SC, measurement_id="m1", kpi_id="k1", period=P("2026-02"), value=1.0
    )
    given(scorecard_decider, BASE, CLOSED_Q1).when(command).then_rejects("period.closed")
    assert len(given(scorecard_decider, BASE, CLOSED_Q1, reopened).when(command).events()) == 1
