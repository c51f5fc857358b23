"""Calendar arithmetic for ages and time windows.

QMAS counts age in whole years on a given date, and someone born on 29 February attains a new
age on 1 March in a year that is not a leap year. Deposit freshness and passport validity are
counted in calendar months, clamping the day to the end of a shorter month. Both are easy to
get subtly wrong, so they live here, once, with no clock: every function takes its dates.
"""

from __future__ import annotations

import calendar
from datetime import MAXYEAR, MINYEAR, date

__all__ = ["add_months", "age_on", "birthday_in", "date_turning", "last_day_counted"]


def birthday_in(date_of_birth: date, year: int) -> date:
    """The day in ``year`` on which a person born on ``date_of_birth`` becomes a year older.

    Born on 29 February: 29 February in a leap year, otherwise 1 March (not 28 February),
    as the QMAS facts require.
    """
    if date_of_birth.month == 2 and date_of_birth.day == 29 and not calendar.isleap(year):
        return date(year, 3, 1)
    return date_of_birth.replace(year=year)


def age_on(date_of_birth: date, on: date) -> int:
    """Whole years of age on ``on``; negative only if ``on`` is before the date of birth."""
    years = on.year - date_of_birth.year
    if on < birthday_in(date_of_birth, on.year):
        years -= 1
    return years


def date_turning(date_of_birth: date, age: int) -> date:
    """The first day on which the person is ``age`` years old."""
    return birthday_in(date_of_birth, date_of_birth.year + age)


def add_months(day: date, months: int) -> date:
    """``day`` moved by whole calendar months (negative goes back), clamped to month end.

    2026-05-31 minus 3 months is 2026-02-28: the window never jumps into the next month.
    """
    years, month_index = divmod(day.month - 1 + months, 12)
    year = day.year + years
    if year > MAXYEAR:  # far-future dates (a planned date typed as 9999) stay comparable
        return date.max
    if year < MINYEAR:
        return date.min
    month = month_index + 1
    last = calendar.monthrange(year, month)[1]
    return date(year, month, min(day.day, last))


def last_day_counted(statement_date: date, months: int) -> date:
    """The last check date on which a statement dated ``statement_date`` is still fresh.

    A statement counts on day ``d`` when ``statement_date >= add_months(d, -months)``. Because
    of month-end clamping that cut-off stands still for a few days at the end of a month, so
    the answer is found from ``add_months(statement_date, months)`` by stepping forward while the
    next day still counts (at most three steps).
    """
    last = add_months(statement_date, months)
    while add_months(date.fromordinal(last.toordinal() + 1), -months) <= statement_date:
        last = date.fromordinal(last.toordinal() + 1)
    return last
