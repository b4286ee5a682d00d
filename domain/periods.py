"""Calendar periods: months (``2026-03``), quarters (``2026-Q1``) and years (``2026``).

Ordering: periods sort by the month they end in, and among periods ending in the same month
the shorter comes first. So ``2026-01 < 2026-02 < 2026-03 < 2026-Q1 < 2026-04 < ... <
2026-12 < 2026-Q4 < 2026``: every period sorts after the periods it contains, and periods of
one granularity sort chronologically.

Fiscal years are named by the calendar year they end in. With a fiscal start month of 4
(April), FY2026 runs from 2025-04 to 2026-03; with start month 1 the fiscal year is the
calendar year. A quarter or year belongs to the fiscal year (and fiscal quarter) of its
last month.
"""

from __future__ import annotations

import enum
import functools
import re
from dataclasses import dataclass, field
from typing import Any

from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import core_schema

from domain.errors import DomainError, reject


class Granularity(enum.StrEnum):
    """How long a period is; also a KPI's measurement frequency."""

    MONTH = "monthly"
    QUARTER = "quarterly"
    YEAR = "yearly"

    @property
    def months(self) -> int:
        """Number of calendar months in one period of this granularity."""
        return _MONTHS_PER[self]

    def is_finer_than(self, other: Granularity) -> bool:
        """True when periods of this granularity are shorter than those of ``other``."""
        return self.months < other.months


Frequency = Granularity
"""A KPI's frequency is the granularity of the periods it is measured in."""

_MONTHS_PER = {Granularity.MONTH: 1, Granularity.QUARTER: 3, Granularity.YEAR: 12}
# ASCII digits only, and the whole text (``re.fullmatch``: no trailing line break).
_PATTERN = re.compile(r"^([0-9]{4})(?:-(?:([0-9]{2})|Q([0-9])))?$")


@dataclass(frozen=True, slots=True)
class Period:
    """A calendar month, quarter or year.

    ``index`` is the month (1..12), the quarter (1..4) or 1 for a year. Build periods with
    :meth:`month`, :meth:`quarter`, :meth:`year` or :meth:`parse`.
    """

    granularity: Granularity
    year_number: int
    index: int = 1
    # Derived once (periods are compared and located a lot when KPIs are scored).
    _first: int = field(init=False, repr=False, compare=False)
    _last: int = field(init=False, repr=False, compare=False)
    _key: tuple[int, int] = field(init=False, repr=False, compare=False)
    _hash: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        months = _MONTHS_PER[self.granularity]
        if not 1 <= self.index <= 12 // months or not 1 <= self.year_number <= 9999:
            raise reject(
                "period.invalid", "period is out of range", field="period", value=repr(self)
            )
        first = self.year_number * 12 + (self.index - 1) * months
        object.__setattr__(self, "_first", first)
        object.__setattr__(self, "_last", first + months - 1)
        object.__setattr__(self, "_key", (first + months - 1, months))
        object.__setattr__(self, "_hash", hash((self.granularity, self.year_number, self.index)))

    def __hash__(self) -> int:
        return self._hash

    # construction -----------------------------------------------------------------------

    @classmethod
    def month(cls, year: int, month: int) -> Period:
        """The calendar month ``year-month``."""
        return cls(Granularity.MONTH, year, month)

    @classmethod
    def quarter(cls, year: int, quarter: int) -> Period:
        """The calendar quarter ``year-Qquarter``."""
        return cls(Granularity.QUARTER, year, quarter)

    @classmethod
    def year(cls, year: int) -> Period:
        """The calendar year ``year``."""
        return cls(Granularity.YEAR, year, 1)

    @classmethod
    def parse(cls, text: str) -> Period:
        """Parse ``"2026-03"``, ``"2026-Q1"`` or ``"2026"``; raise ``period.invalid`` otherwise."""
        if not isinstance(text, str):
            raise reject(
                "period.invalid",
                "period must look like 2026-03, 2026-Q1 or 2026",
                field="period",
                value=text,
            )
        return _parse(text)

    @classmethod
    def from_month_ordinal(cls, ordinal: int) -> Period:
        """The month with the given ordinal (see :attr:`first_month_ordinal`)."""
        year, month0 = divmod(ordinal, 12)
        return cls.month(year, month0 + 1)

    # text -------------------------------------------------------------------------------

    def __str__(self) -> str:
        if self.granularity is Granularity.MONTH:
            return f"{self.year_number:04d}-{self.index:02d}"
        if self.granularity is Granularity.QUARTER:
            return f"{self.year_number:04d}-Q{self.index}"
        return f"{self.year_number:04d}"

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)

    def __repr__(self) -> str:
        return f"Period({str(self)!r})"

    # position ---------------------------------------------------------------------------

    @property
    def first_month_ordinal(self) -> int:
        """Months since year 0 of this period's first month (``year * 12 + month - 1``)."""
        return self._first

    @property
    def last_month_ordinal(self) -> int:
        """Months since year 0 of this period's last month."""
        return self._last

    def _sort_key(self) -> tuple[int, int]:
        return self._key

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Period):
            return NotImplemented
        return self._sort_key() < other._sort_key()

    def __le__(self, other: object) -> bool:
        if not isinstance(other, Period):
            return NotImplemented
        return self._sort_key() <= other._sort_key()

    def __gt__(self, other: object) -> bool:
        if not isinstance(other, Period):
            return NotImplemented
        return self._sort_key() > other._sort_key()

    def __ge__(self, other: object) -> bool:
        if not isinstance(other, Period):
            return NotImplemented
        return self._sort_key() >= other._sort_key()

    # relations --------------------------------------------------------------------------

    def contains(self, other: Period) -> bool:
        """True when ``other`` lies within this period (a period contains itself)."""
        return (
            self.first_month_ordinal <= other.first_month_ordinal
            and other.last_month_ordinal <= self.last_month_ordinal
        )

    def months(self) -> tuple[Period, ...]:
        """The calendar months of this period, in order."""
        return self.subperiods(Granularity.MONTH)

    def subperiods(self, granularity: Granularity) -> tuple[Period, ...]:
        """The periods of ``granularity`` inside this one, in order.

        Empty when ``granularity`` is longer than this period's own.
        """
        return _subperiods(self, granularity)

    def enclosing(self, granularity: Granularity) -> Period:
        """The period of ``granularity`` that contains this period's first month.

        Asking for a finer granularity than this period's own returns its first sub-period.
        """
        year, month0 = divmod(self.first_month_ordinal, 12)
        if granularity is Granularity.MONTH:
            return Period.month(year, month0 + 1)
        if granularity is Granularity.QUARTER:
            return Period.quarter(year, month0 // 3 + 1)
        return Period.year(year)

    @property
    def quarter_of(self) -> Period:
        """The calendar quarter containing this month or quarter (its first month's quarter)."""
        return self.enclosing(Granularity.QUARTER)

    @property
    def year_of(self) -> Period:
        """The calendar year containing this period."""
        return self.enclosing(Granularity.YEAR)

    def shift(self, n: int) -> Period:
        """The period ``n`` steps later (earlier when negative) in this granularity."""
        ordinal = self.first_month_ordinal + n * self.granularity.months
        return Period.from_month_ordinal(ordinal).enclosing(self.granularity)

    def previous(self, n: int = 1) -> Period:
        """The period ``n`` steps earlier in this granularity."""
        return self.shift(-n)

    def last(self, count: int) -> tuple[Period, ...]:
        """The ``count`` periods of this granularity ending with this one, oldest first;
        fewer when they would reach before year 1 (periods start there)."""
        return _last(self, count)

    # pydantic ---------------------------------------------------------------------------

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: type[Any], handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        """Validate from a ``Period`` or its string form; serialize to the string form."""
        from_text = core_schema.no_info_plain_validator_function(_parse_for_pydantic)
        return core_schema.json_or_python_schema(
            json_schema=core_schema.chain_schema([core_schema.str_schema(), from_text]),
            python_schema=core_schema.union_schema(
                [core_schema.is_instance_schema(cls), from_text]
            ),
            serialization=core_schema.plain_serializer_function_ser_schema(str),
        )

    @classmethod
    def __get_pydantic_json_schema__(
        cls, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        """JSON Schema: a string like ``2026-03``, ``2026-Q1`` or ``2026``."""
        return _period_json_schema(schema, handler)


def _period_json_schema(
    schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
) -> JsonSchemaValue:
    return {
        "type": "string",
        "pattern": _PATTERN.pattern,
        "examples": ["2026-03", "2026-Q1", "2026"],
        "description": "A calendar month, quarter or year.",
    }


def _parse_for_pydantic(value: object) -> Period:
    if not isinstance(value, str):
        raise ValueError(f"period must be a string like 2026-03, got {value!r}")
    try:
        return Period.parse(value)
    except DomainError as error:
        # The bare reason: whoever reports the ValueError names the field and value.
        raise ValueError(error.message.removesuffix(f" (period={value!r})")) from None


def _check_start_month(start_month: int) -> None:
    if not 1 <= start_month <= 12:
        raise reject(
            "organization.fiscal_start_month_invalid",
            "fiscal year start month must be 1..12",
            field="fiscal_year_start_month",
            value=start_month,
        )


def fiscal_year(period: Period, start_month: int) -> int:
    """The fiscal year of ``period``'s last month, named by the calendar year it ends in."""
    _check_start_month(start_month)
    year, month0 = divmod(period.last_month_ordinal, 12)
    return year + 1 if start_month != 1 and month0 + 1 >= start_month else year


def fiscal_quarter(period: Period, start_month: int) -> int:
    """The fiscal quarter (1..4) of ``period``'s last month."""
    _check_start_month(start_month)
    month = period.last_month_ordinal % 12 + 1
    return (month - start_month) % 12 // 3 + 1


def fiscal_label(period: Period, start_month: int) -> str:
    """A fiscal label: ``FY2026`` for years, ``FY2026-Q4`` for quarters and months."""
    year = fiscal_year(period, start_month)
    if period.granularity is Granularity.YEAR:
        return f"FY{year}"
    return f"FY{year}-Q{fiscal_quarter(period, start_month)}"


@functools.lru_cache(maxsize=4096)
def _parse(text: str) -> Period:
    """Parse a period label (periods are immutable, so one parse serves every caller)."""
    match = _PATTERN.fullmatch(text)
    if match is None:
        raise reject(
            "period.invalid",
            "period must look like 2026-03, 2026-Q1 or 2026",
            field="period",
            value=text,
        )
    year, month, quarter = match.groups()
    try:
        if month is not None:
            return Period.month(int(year), int(month))
        if quarter is not None:
            return Period.quarter(int(year), int(quarter))
        return Period.year(int(year))
    except DomainError:
        raise reject(
            "period.invalid", "period is out of range", field="period", value=text
        ) from None


@functools.lru_cache(maxsize=8192)
def _subperiods(period: Period, granularity: Granularity) -> tuple[Period, ...]:
    """:meth:`Period.subperiods`, computed once per period (scoring asks again and again)."""
    if period.granularity.is_finer_than(granularity):
        return ()
    step = granularity.months
    return tuple(
        Period.from_month_ordinal(ordinal).enclosing(granularity)
        for ordinal in range(period.first_month_ordinal, period.last_month_ordinal + 1, step)
    )


@functools.lru_cache(maxsize=4096)
def _last(period: Period, count: int) -> tuple[Period, ...]:
    """:meth:`Period.last`, computed once per period and count."""
    months = period.granularity.months
    earliest = -((period.first_month_ordinal - _FIRST_ORDINAL) // months)
    return tuple(period.shift(step) for step in range(max(1 - count, earliest), 1))


_FIRST_ORDINAL = 12
"""The month ordinal of 0001-01, the first month a period may start in."""
