"""Age and calendar-month arithmetic, including the 29 February rule."""

from __future__ import annotations

import calendar
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from caseapp.rules.ages import add_months, age_on, birthday_in, date_turning, last_day_counted

births = st.dates(min_value=date(1900, 1, 1), max_value=date(2030, 12, 31))
leap_day_births = st.sampled_from([date(y, 2, 29) for y in range(1904, 2029, 4)])


@pytest.mark.parametrize(
    ("born", "on", "age"),
    [
        pytest.param(date(2008, 2, 29), date(2026, 2, 28), 17, id="leap-born-day-before-1-march"),
        pytest.param(date(2008, 2, 29), date(2026, 3, 1), 18, id="leap-born-1-march-non-leap"),
        pytest.param(date(2008, 2, 29), date(2028, 2, 28), 19, id="leap-born-28-feb-leap-year"),
        pytest.param(date(2008, 2, 29), date(2028, 2, 29), 20, id="leap-born-29-feb-leap-year"),
        pytest.param(date(2000, 6, 15), date(2018, 6, 14), 17, id="day-before-18th"),
        pytest.param(date(2000, 6, 15), date(2018, 6, 15), 18, id="18th-birthday"),
        pytest.param(date(2000, 12, 31), date(2001, 1, 1), 0, id="new-year-baby"),
        pytest.param(date(2000, 3, 1), date(2018, 2, 28), 17, id="1-march-born"),
    ],
)
def test_age_on(born: date, on: date, age: int) -> None:
    assert age_on(born, on) == age


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        pytest.param(date(2026, 5, 31), -3, date(2026, 2, 28), id="clamp-to-february"),
        pytest.param(date(2028, 5, 31), -3, date(2028, 2, 29), id="clamp-to-leap-february"),
        pytest.param(date(2026, 3, 31), -1, date(2026, 2, 28), id="march-31-back-one"),
        pytest.param(date(2026, 1, 15), -3, date(2025, 10, 15), id="across-year-back"),
        pytest.param(date(2025, 11, 30), 3, date(2026, 2, 28), id="across-year-forward"),
        pytest.param(date(2026, 2, 28), 0, date(2026, 2, 28), id="zero"),
    ],
)
def test_add_months(day: date, months: int, expected: date) -> None:
    assert add_months(day, months) == expected


@pytest.mark.parametrize(
    ("statement", "last"),
    [
        pytest.param(date(2026, 1, 10), date(2026, 4, 10), id="plain"),
        # 2026-05-29..31 minus 3 months all clamp to 2026-02-28, so it still counts on the 31st.
        pytest.param(date(2026, 2, 28), date(2026, 5, 31), id="end-of-february"),
        pytest.param(date(2025, 11, 30), date(2026, 2, 28), id="end-of-november"),
    ],
)
def test_last_day_counted(statement: date, last: date) -> None:
    assert last_day_counted(statement, 3) == last


@given(born=births, extra=st.integers(min_value=0, max_value=90))
def test_birthday_is_the_first_day_of_the_new_age(born: date, extra: int) -> None:
    turning = date_turning(born, 18 + extra)
    assert age_on(born, turning) == 18 + extra
    assert age_on(born, turning - timedelta(days=1)) == 17 + extra


@given(born=leap_day_births, year_offset=st.integers(min_value=1, max_value=80))
def test_leap_day_birthday_is_29_february_or_1_march(born: date, year_offset: int) -> None:
    year = born.year + year_offset
    expected = date(year, 2, 29) if calendar.isleap(year) else date(year, 3, 1)
    assert birthday_in(born, year) == expected
    assert age_on(born, expected) == year_offset
    assert age_on(born, expected - timedelta(days=1)) == year_offset - 1


@given(born=births, on=births)
def test_age_matches_counting_birthdays(born: date, on: date) -> None:
    if on < born:
        on, born = born, on
    passed = sum(1 for year in range(born.year + 1, on.year + 1) if birthday_in(born, year) <= on)
    assert age_on(born, on) == passed


@given(day=births, months=st.integers(min_value=-36, max_value=36))
def test_add_months_moves_whole_months_and_clamps(day: date, months: int) -> None:
    moved = add_months(day, months)
    assert (moved.year * 12 + moved.month) - (day.year * 12 + day.month) == months
    assert moved.day == min(day.day, calendar.monthrange(moved.year, moved.month)[1])


@given(statement=births, months=st.integers(min_value=1, max_value=12))
def test_last_day_counted_is_the_edge_of_the_window(statement: date, months: int) -> None:
    last = last_day_counted(statement, months)
    assert add_months(last, -months) <= statement
    assert add_months(last + timedelta(days=1), -months) > statement
