"""Building a command refuses hostile input with a coded DomainError naming the field."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from domain.checks import ID_MAX_LENGTH, MAX_IDS, MAX_MAGNITUDE, NAME_MAX_LENGTH, TEXT_MAX_LENGTH
from domain.errors import DomainError, InvalidInputError
from domain.organization import ChangeScoringDefaults, CreateOrganization, OrganizationState, decide
from domain.periods import Period
from domain.scorecard import commands as c
from domain.scorecard.decider import scorecard_decider


def measurement(**fields: Any) -> c.RecordMeasurement:
    given: dict[str, Any] = {
        "scorecard_id": "sc",
        "measurement_id": "m1",
        "kpi_id": "k1",
        "period": "2026-03",
        "value": 1.0,
    }
    given.update(fields)
    return c.RecordMeasurement(**given)


def refused(build: Any, **fields: Any) -> DomainError:
    with pytest.raises(DomainError) as caught:
        build(**fields)
    assert isinstance(caught.value, InvalidInputError)
    return caught.value


@pytest.mark.parametrize(
    ("fields", "code", "field"),
    [
        ({"kpi_id": ""}, "id.blank", "kpi_id"),
        ({"measurement_id": " \t"}, "id.blank", "measurement_id"),
        ({"scorecard_id": "s" * (ID_MAX_LENGTH + 1)}, "id.too_long", "scorecard_id"),
        ({"kpi_id": "k 1"}, "id.invalid", "kpi_id"),
        ({"kpi_id": "k\x00"}, "id.invalid", "kpi_id"),
        ({"kpi_id": "k\ud800"}, "id.invalid", "kpi_id"),
        ({"note": "a\x00b"}, "text.invalid", "note"),
        ({"note": "\udfff"}, "text.invalid", "note"),
        ({"source_system": "\x1b[31m"}, "text.invalid", "source_system"),
        ({"note": "n" * (TEXT_MAX_LENGTH + 1)}, "text.too_long", "note"),
        (
            {"external_reference": "r" * (NAME_MAX_LENGTH + 1)},
            "text.too_long",
            "external_reference",
        ),
        ({"value": True}, "input.invalid", "value"),
        ({"value": "1"}, "input.invalid", "value"),
        ({"value": 1e308}, "number.out_of_range", "value"),
        ({"value": -MAX_MAGNITUDE * 2}, "number.out_of_range", "value"),
        ({"surprise": 1}, "input.invalid", "surprise"),
        ({"period": "2026-13"}, "period.invalid", "period"),
        ({"period": "2026-Q5"}, "period.invalid", "period"),
        ({"period": "2026-1"}, "period.invalid", "period"),
        ({"period": "2026-00"}, "period.invalid", "period"),
        ({"period": "0000"}, "period.invalid", "period"),
        ({"period": "2026-05\n"}, "period.invalid", "period"),
        ({"period": "２０２６-06"}, "period.invalid", "period"),
        ({"period": "0001-02"}, "period.invalid", "period"),
        ({"period": 202603}, "period.invalid", "period"),
    ],
)
def test_a_measurement_beyond_the_limits_is_refused_naming_the_field(
    fields: dict[str, Any], code: str, field: str
) -> None:
    error = refused(measurement, **fields)
    assert (error.code, error.field) == (code, field)


def test_texts_may_hold_tabs_line_breaks_and_any_printable_character() -> None:
    note = "line one\n\tline two\r\n👨\u200d👩\u200d👧 ünïcödé"
    assert measurement(note=note, value=MAX_MAGNITUDE, kpi_id="kpi-ü.1").note == note


def test_a_long_value_is_not_echoed_back_whole() -> None:
    error = refused(measurement, note="n" * 1_000_000)
    assert len(error.message) < 300


def test_lists_of_ids_are_bounded_and_each_id_checked() -> None:
    base: dict[str, Any] = {
        "scorecard_id": "sc",
        "initiative_id": "i1",
        "title": "Move",
        "start_date": dt.date(2026, 1, 1),
        "due_date": dt.date(2026, 6, 30),
    }
    many = refused(c.CreateInitiative, **base, objective_ids=[f"o{i}" for i in range(MAX_IDS + 1)])
    assert (many.code, many.field) == ("list.too_long", "objective_ids")
    blank = refused(c.CreateInitiative, **base, objective_ids=["o1", ""])
    assert (blank.code, blank.field) == ("id.blank", "objective_ids[1]")
    early = refused(
        c.CreateInitiative, **{**base, "start_date": dt.date(1, 1, 1)}, objective_ids=["o1"]
    )
    assert (early.code, early.field) == ("date.out_of_range", "start_date")


def test_numbers_inside_nested_settings_are_true_and_bounded() -> None:
    flag = refused(ChangeScoringDefaults, organization_id="org", scoring={"cap": True})
    assert (flag.code, flag.field) == ("input.invalid", "scoring.cap")
    huge = refused(
        ChangeScoringDefaults,
        organization_id="org",
        scoring={"thresholds": {"green": 1e300, "amber": 0.9}},
    )
    assert (huge.code, huge.field) == ("number.out_of_range", "scoring.thresholds.green")
    month = refused(
        CreateOrganization, organization_id="org", name="A", fiscal_year_start_month=True
    )
    assert (month.code, month.field) == ("input.invalid", "fiscal_year_start_month")


def test_weights_are_bounded_by_the_deciders() -> None:
    command = c.AddPerspective(scorecard_id="sc", perspective_id="p", name="P", weight=1e308)
    state = scorecard_decider.fold(
        scorecard_decider.decide(
            c.CreateScorecard(
                scorecard_id="sc", team_id="t", name="S", perspective_ids=("a", "b", "c", "d")
            ),
            scorecard_decider.initial_state,
        )
    )
    with pytest.raises(DomainError) as caught:
        scorecard_decider.decide(command, state)
    assert (caught.value.code, caught.value.field) == ("weight.invalid", "weight")


def test_the_deciders_check_again_what_model_copy_let_through() -> None:
    sneaked = CreateOrganization(organization_id="org", name="A").model_copy(
        update={"organization_id": ""}
    )
    with pytest.raises(DomainError) as caught:
        decide(sneaked, OrganizationState())
    assert (caught.value.code, caught.value.field) == ("id.blank", "organization_id")


def test_a_valid_period_of_the_accepted_years_is_taken() -> None:
    assert measurement(period="1900-01").period == Period.month(1900, 1)
    assert measurement(period="9999-12").period == Period.month(9999, 12)
