import re

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from domain.events import EVENT_TYPES, Event, event_from_data, event_to_data
from domain.organization import OrganizationEvent
from domain.periods import Period
from domain.scorecard import commands as c
from domain.scorecard import events as e
from domain.scorecard.decider import APPLIERS, HANDLERS
from domain.scorecard.events import ScorecardEvent
from tests.unit import test_initiatives, test_objectives, test_organization, test_targets
from tests.unit.scorecard_history import BASE, SC, recorded

SAMPLE: list[Event] = [
    *test_organization.tree,
    *test_objectives.HISTORY,
    test_objectives.ALIGNED,
    *test_targets.HISTORY,
    *test_initiatives.HISTORY,
    recorded("m1", "k1", "2026-01", None),
]


def test_every_concrete_event_has_a_dotted_snake_case_type_and_version_1() -> None:
    for name, cls in EVENT_TYPES.items():
        assert re.fullmatch(r"(organization|scorecard)\.[a-z_]+", name), name
        assert cls.event_type == name
        assert cls.schema_version == 1
        assert cls.model_config.get("frozen") is True
        assert cls.model_config.get("extra") == "forbid"


def test_every_scorecard_event_has_an_applier_and_carries_the_scorecard_id() -> None:
    scorecard_types = {c for c in EVENT_TYPES.values() if issubclass(c, ScorecardEvent)}
    assert scorecard_types == set(APPLIERS)
    assert all("scorecard_id" in c.model_fields for c in scorecard_types)
    commands = {
        value
        for value in vars(c).values()
        if isinstance(value, type)
        and issubclass(value, c.ScorecardCommand)
        and value is not c.ScorecardCommand
    }
    assert commands == set(HANDLERS)


def test_every_organization_event_carries_the_organization_id() -> None:
    for cls in EVENT_TYPES.values():
        if issubclass(cls, OrganizationEvent):
            assert "organization_id" in cls.model_fields


def test_a_duplicate_event_type_is_refused() -> None:
    with pytest.raises(TypeError, match="already used"):

        class Again(Event):
            event_type = "scorecard.created"


def test_events_are_frozen() -> None:
    event = BASE[0]
    with pytest.raises(ValidationError):
        event.name = "changed"  # type: ignore[misc]


@pytest.mark.parametrize("event", SAMPLE, ids=lambda ev: ev.event_type)
def test_event_data_round_trips(event: Event) -> None:
    data = event_to_data(event)
    assert event_from_data(event.event_type, data) == event


def test_periods_and_dates_serialize_as_strings() -> None:
    data = event_to_data(test_initiatives.CREATED)
    assert data["start_date"] == "2026-01-01"
    assert event_to_data(recorded("m1", "k1", "2026-01", 1.0))["period"] == "2026-01"
    assert event_to_data(e.PeriodClosed(scorecard_id=SC, period=Period.quarter(2026, 1))) == {
        "scorecard_id": SC,
        "period": "2026-Q1",
    }


def test_unknown_fields_and_bad_periods_are_rejected_on_read() -> None:
    with pytest.raises(ValidationError):
        event_from_data("scorecard.period_closed", {"scorecard_id": SC, "period": "2026-Q5"})
    with pytest.raises(ValidationError):
        event_from_data("scorecard.renamed", {"scorecard_id": SC, "name": "x", "extra": 1})


periods = st.one_of(
    st.builds(Period.month, st.integers(1900, 2100), st.integers(1, 12)),
    st.builds(Period.quarter, st.integers(1900, 2100), st.integers(1, 4)),
    st.builds(Period.year, st.integers(1900, 2100)),
)
finite = st.floats(allow_nan=False, allow_infinity=False)
text = st.text(max_size=20)


@given(
    st.one_of(
        st.builds(
            e.MeasurementRecorded,
            scorecard_id=text,
            measurement_id=text,
            kpi_id=text,
            period=periods,
            value=st.none() | finite,
            not_available=st.booleans(),
            source_system=text,
            external_reference=text,
            note=text,
        ),
        st.builds(
            e.TargetChanged,
            scorecard_id=text,
            kpi_id=text,
            period=periods,
            effective_from=st.booleans(),
            value=finite,
            baseline=st.none() | finite,
            stretch=st.none() | finite,
            reason=text,
        ),
        st.builds(e.PerspectivesReordered, scorecard_id=text, perspective_ids=st.tuples(text)),
    )
)
def test_generated_events_round_trip_through_their_data(event: Event) -> None:
    assert event_from_data(event.event_type, event_to_data(event)) == event
