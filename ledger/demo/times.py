"""When things happen in the demo: times and dates derived from periods, in UTC."""

from __future__ import annotations

import datetime as dt

from domain.periods import Period

UTC = dt.UTC


def on_day(period: Period, months_after: int, day: int, hour: int, second: int = 0) -> dt.datetime:
    """``day`` of the month ``months_after`` after the last month of ``period``, UTC."""
    month = Period.from_month_ordinal(period.last_month_ordinal + months_after)
    start = dt.datetime(month.year_number, month.index, day, hour, tzinfo=UTC)
    return start + dt.timedelta(seconds=second)


def month_start(month: Period, hour: int, second: int = 0) -> dt.datetime:
    """The first day of ``month`` at ``hour`` (plus ``second`` seconds), UTC."""
    return on_day(month, 0, 1, hour, second)


def date_in(month: Period, day: int = 1) -> dt.date:
    """``day`` of ``month`` as a date."""
    return dt.date(month.year_number, month.index, day)
