"""When a case needs attention: the date each danger the checks foresee starts to hold."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from caseapp.rules import default_rule_set, evaluate
from caseapp.rules.ages import add_months
from caseapp.rules.attention import attention, passport_window_opens
from tests.rules.builders import CHECK, applicant, case, child, deposit

RULES = default_rule_set()  # passport window 6 months, statements fresh for 3 months


def test_a_passport_enters_the_window_six_months_before_it_expires():
    found = attention(case(applicant=applicant(passport_expiry=date(2026, 12, 15))), RULES)
    assert found.on == date(2026, 6, 15)
    assert found.due(date(2026, 6, 14)) == ()
    assert found.due(date(2026, 6, 15)) == (
        "The applicant's passport expires on 2026-12-15 (warning window: 6 months).",)


def test_month_end_clamping_opens_the_window_on_the_first_day_the_checks_would_warn():
    # Six months back from 2026-08-31 is 2026-02-28, but on 2026-02-28 the checks do not warn
    # yet: six months on from it is only 2026-08-28. They do from 2026-03-01 (-> 2026-09-01).
    assert passport_window_opens(date(2026, 8, 31), 6) == date(2026, 3, 1)


@given(st.dates(min_value=date(2001, 1, 1), max_value=date(2090, 12, 31)),
       st.integers(min_value=0, max_value=24))
def test_the_window_opens_exactly_where_the_passport_warning_starts(expiry, months):
    opens = passport_window_opens(expiry, months)
    assert add_months(opens, months) >= expiry
    assert add_months(date.fromordinal(opens.toordinal() - 1), months) < expiry


@pytest.mark.parametrize("warning_on_check", [True, False])
def test_attention_agrees_with_the_passport_warning_of_the_checks(warning_on_check):
    expiry = date(2026, 8, 1) if warning_on_check else date(2027, 8, 1)
    facts = case(applicant=applicant(passport_expiry=expiry))
    warned = any("passport expires" in w for w in evaluate(facts, RULES).warnings)
    assert warned is warning_on_check
    assert bool(attention(facts, RULES).due(CHECK)) is warning_on_check


def test_a_counted_statement_that_goes_stale_before_the_planned_submission_needs_attention_now():
    facts = case(deposits=(deposit(statement_date=date(2026, 2, 15)),),
                 planned_submission_date=date(2026, 6, 1))
    found = attention(facts, RULES)
    assert found.on == CHECK
    assert any("stops counting on 2026-05-16" in text for text in found.due(CHECK))


def test_a_statement_fresh_on_the_planned_date_needs_nothing():
    facts = case(deposits=(deposit(statement_date=date(2026, 2, 15)),),
                 planned_submission_date=date(2026, 4, 1))
    assert not any("Statement" in text for text in attention(facts, RULES).due(date.max))


def test_a_child_who_turns_18_by_the_planned_submission_needs_attention_now():
    facts = case(dependants=(child(date_of_birth=date(2008, 5, 1)),),
                 planned_submission_date=date(2026, 6, 1))
    found = attention(facts, RULES)
    assert found.on == CHECK
    assert any("turns 18 on 2026-05-01" in text for text in found.due(CHECK))
    later = case(dependants=(child(date_of_birth=date(2008, 7, 1)),),
                 planned_submission_date=date(2026, 6, 1))
    assert not any("turns 18" in text for text in attention(later, RULES).due(date.max))


def test_no_passport_date_and_no_planned_date_means_nothing_foreseen():
    assert attention(case(applicant=applicant(passport_expiry=None)), RULES).on is None
