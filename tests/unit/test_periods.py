import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel

from domain.errors import DomainError
from domain.periods import Granularity, Period, fiscal_label, fiscal_quarter, fiscal_year

periods = st.one_of(
    st.builds(Period.month, st.integers(1000, 9000), st.integers(1, 12)),
    st.builds(Period.quarter, st.integers(1000, 9000), st.integers(1, 4)),
    st.builds(Period.year, st.integers(1000, 9000)),
)


@pytest.mark.parametrize("text", ["2026-03", "2026-Q1", "2026", "0001-12"])
def test_a_period_formats_back_to_the_text_it_was_parsed_from(text: str) -> None:
    assert str(Period.parse(text)) == text
    assert f"{Period.parse(text)}" == text


@pytest.mark.parametrize(
    "text", ["2026-13", "2026-Q5", "26", "2026-00", "2026-Q0", "2026-3", "2026Q1", "", "x"]
)
def test_a_malformed_period_is_rejected_with_period_invalid(text: str) -> None:
    with pytest.raises(DomainError) as caught:
        Period.parse(text)
    assert caught.value.code == "period.invalid"
    assert caught.value.field == "period"
    assert caught.value.value == text


def test_periods_sort_by_their_last_month_with_shorter_periods_first() -> None:
    texts = ["2026", "2026-Q1", "2026-04", "2026-03", "2025-12", "2026-Q4", "2026-12", "2026-01"]
    ordered = sorted(Period.parse(text) for text in texts)
    assert [str(p) for p in ordered] == [
        "2025-12",
        "2026-01",
        "2026-03",
        "2026-Q1",
        "2026-04",
        "2026-12",
        "2026-Q4",
        "2026",
    ]


def test_a_quarter_contains_its_months_and_a_year_contains_its_quarters() -> None:
    q1 = Period.parse("2026-Q1")
    assert [str(m) for m in q1.months()] == ["2026-01", "2026-02", "2026-03"]
    assert q1.contains(Period.parse("2026-02"))
    assert not q1.contains(Period.parse("2026-04"))
    assert Period.parse("2026").contains(q1)
    assert not q1.contains(Period.parse("2026"))
    assert [str(q) for q in Period.parse("2026").subperiods(Granularity.QUARTER)] == [
        "2026-Q1",
        "2026-Q2",
        "2026-Q3",
        "2026-Q4",
    ]
    assert Period.parse("2026-03").subperiods(Granularity.QUARTER) == ()


def test_quarter_and_year_of_a_month() -> None:
    month = Period.parse("2026-08")
    assert str(month.quarter_of) == "2026-Q3"
    assert str(month.year_of) == "2026"


def test_shifting_moves_in_the_period_s_own_granularity_across_years() -> None:
    assert str(Period.parse("2026-02").previous(3)) == "2025-11"
    assert str(Period.parse("2026-Q1").previous()) == "2025-Q4"
    assert str(Period.parse("2026-Q4").shift(1)) == "2027-Q1"
    assert str(Period.parse("2026").shift(-2)) == "2024"
    assert [str(p) for p in Period.parse("2026-02").last(3)] == ["2025-12", "2026-01", "2026-02"]


@pytest.mark.parametrize(
    ("text", "start_month", "year", "quarter", "label"),
    [
        ("2026-03", 4, 2026, 4, "FY2026-Q4"),
        ("2026-04", 4, 2027, 1, "FY2027-Q1"),
        ("2026-03", 1, 2026, 1, "FY2026-Q1"),
        ("2026-Q1", 4, 2026, 4, "FY2026-Q4"),
        ("2026", 1, 2026, 4, "FY2026"),
        ("2026-10", 10, 2027, 1, "FY2027-Q1"),
        ("2026-09", 10, 2026, 4, "FY2026-Q4"),
    ],
)
def test_fiscal_years_are_named_by_the_calendar_year_they_end_in(
    text: str, start_month: int, year: int, quarter: int, label: str
) -> None:
    period = Period.parse(text)
    assert fiscal_year(period, start_month) == year
    assert fiscal_quarter(period, start_month) == quarter
    assert fiscal_label(period, start_month) == label


def test_a_fiscal_start_month_outside_1_to_12_is_rejected() -> None:
    with pytest.raises(DomainError) as caught:
        fiscal_year(Period.parse("2026-01"), 13)
    assert caught.value.code == "organization.fiscal_start_month_invalid"


class _Holder(BaseModel):
    period: Period


def test_a_period_inside_a_model_serializes_as_its_string_form() -> None:
    holder = _Holder(period=Period.parse("2026-Q1"))
    assert holder.model_dump(mode="json") == {"period": "2026-Q1"}
    assert _Holder.model_validate({"period": "2026-Q1"}) == holder
    assert _Holder.model_validate_json(holder.model_dump_json()) == holder


@given(periods)
def test_format_of_parse_is_the_identity(period: Period) -> None:
    assert Period.parse(str(period)) == period
    assert str(Period.parse(str(period))) == str(period)


@given(periods, periods)
def test_the_order_is_total_and_consistent_with_equality(a: Period, b: Period) -> None:
    assert (a < b) + (a == b) + (a > b) == 1
    assert (a <= b) == (a < b or a == b)


@given(periods, st.integers(-50, 50))
def test_shifting_back_and_forth_returns_to_the_start(period: Period, n: int) -> None:
    assert period.shift(n).previous(n) == period
    assert period.shift(n).granularity is period.granularity


@given(periods)
def test_a_period_sorts_after_everything_it_contains(period: Period) -> None:
    for month in period.months():
        assert period.contains(month)
        assert month <= period


def test_a_period_field_has_a_string_json_schema() -> None:
    schema = _Holder.model_json_schema()["properties"]["period"]
    assert schema["type"] == "string"
