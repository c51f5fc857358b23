"""Deadlines from a case's facts: each passport's warning date, each counted statement's last
fresh day, each unmarried child's last day under 18, the planned submission; by date."""

from __future__ import annotations

from datetime import date, timedelta

from caseapp.rules import default_rule_set
from caseapp.rules.deadlines import DerivedDeadline, case_deadlines
from caseapp.rules.facts import DependantFacts
from caseapp.rules.vocab import EvidenceStatus, MaritalStatus, Relationship
from tests.rules.builders import CHECK, applicant, case, child, deposit, spouse

RULES = default_rule_set()  # passports warned of 6 months ahead, statements fresh 3 months


def _by_source(deadlines: tuple[DerivedDeadline, ...]) -> dict[str, DerivedDeadline]:
    return {d.source: d for d in deadlines}


def test_the_applicants_passport_is_due_the_day_the_checks_start_to_warn():
    found = _by_source(case_deadlines(
        case(applicant=applicant(passport_expiry=date(2026, 12, 15)), deposits=()), RULES))
    passport = found["passport:applicant"]
    assert passport.kind == "passport_expiry"
    assert passport.due_on == date(2026, 6, 15)
    assert passport.person == "applicant"
    assert "the applicant" in passport.action and "2026-12-15" in passport.action


def test_a_dependants_passport_is_a_deadline_of_its_own_naming_them():
    facts = case(deposits=(), dependants=(
        spouse(id=7, name="Sam Tan", passport_expiry=date(2027, 8, 31)),
        child(id=8, born=date(2015, 6, 1)),  # no passport expiry recorded: no deadline
    ))
    found = _by_source(case_deadlines(facts, RULES))
    spouse_passport = found["passport:dependant:7"]
    assert spouse_passport.due_on == date(2027, 3, 1)  # month-end: the checks warn from then
    assert spouse_passport.person == "dependant:7" and "Sam Tan" in spouse_passport.action
    assert "passport:dependant:8" not in found


def test_a_counted_statement_is_due_on_its_last_fresh_day():
    facts = case(deposits=(deposit(id=12, statement_date=date(2026, 2, 15)),
                           deposit(id=13, status=EvidenceStatus.REJECTED)))
    found = _by_source(case_deadlines(facts, RULES))
    stale = found["statement:12"]
    assert stale.kind == "statement_stale"
    assert stale.due_on == date(2026, 5, 15)
    assert "statement:13" not in found  # rejected evidence counts for nothing


def test_a_stale_statement_stays_overdue_while_no_statement_counts():
    facts = case(deposits=(deposit(id=12, statement_date=date(2025, 10, 1)),))
    stale = _by_source(case_deadlines(facts, RULES))["statement:12"]
    assert stale.due_on < facts.check_date  # overdue: get a newer statement


def test_a_stale_statement_has_no_deadline_once_a_newer_one_counts():
    facts = case(deposits=(deposit(id=12, statement_date=date(2025, 10, 1)),
                           deposit(id=13, statement_date=CHECK - timedelta(days=10))))
    found = _by_source(case_deadlines(facts, RULES))
    assert "statement:12" not in found and "statement:13" in found


def test_a_statement_awaiting_verification_has_its_freshness_deadline():
    facts = case(deposits=(deposit(id=14, statement_date=CHECK - timedelta(days=10),
                                   status=EvidenceStatus.PENDING),))
    assert "statement:14" in _by_source(case_deadlines(facts, RULES))


def test_only_dependants_who_may_accompany_have_passport_deadlines():
    expiry = date(2027, 12, 31)
    facts = case(deposits=(), dependants=(
        child(id=1, born=date(2015, 1, 1), passport_expiry=expiry),
        child(id=2, born=date(2012, 1, 1), marital_status=MaritalStatus.MARRIED,
              passport_expiry=expiry),
        child(id=3, born=date(2000, 1, 1), passport_expiry=expiry),
        DependantFacts(id=4, relationship=Relationship.PARENT, passport_expiry=expiry),
        DependantFacts(id=5, relationship=Relationship.SPOUSE, passport_expiry=expiry),
    ))
    found = _by_source(case_deadlines(facts, RULES))
    assert {s for s in found if s.startswith("passport:dependant")} == {
        "passport:dependant:1", "passport:dependant:5"}


def test_a_child_is_due_the_day_before_turning_18():
    facts = case(deposits=(), dependants=(child(id=3, born=date(2008, 7, 10), name="Ethan"),))
    adult = _by_source(case_deadlines(facts, RULES))["child:3"]
    assert adult.kind == "child_turns_adult"
    assert adult.due_on == date(2026, 7, 9)
    assert adult.person == "dependant:3"
    assert "Ethan turns 18 on 2026-07-10" in adult.action


def test_a_married_child_and_an_adult_child_have_no_coming_of_age():
    facts = case(deposits=(), dependants=(
        child(id=4, born=date(2009, 1, 1), marital_status=MaritalStatus.MARRIED),
        child(id=5, born=date(2007, 1, 1)),  # 18 on 2025-01-01, before the check date
        child(id=6, born=None),  # no date of birth: nothing to count from
    ))
    found = _by_source(case_deadlines(facts, RULES))
    assert not [s for s in found if s.startswith("child:")]


def test_a_child_turning_18_on_the_check_date_still_has_today_as_the_deadline():
    facts = case(deposits=(), dependants=(child(id=9, born=date(2008, CHECK.month,
                                                                  CHECK.day + 1)),))
    assert _by_source(case_deadlines(facts, RULES))["child:9"].due_on == CHECK


def test_the_planned_submission_is_a_deadline():
    found = _by_source(case_deadlines(
        case(deposits=(), planned_submission_date=date(2026, 4, 30)), RULES))
    assert found["planned"].kind == "planned_submission"
    assert found["planned"].due_on == date(2026, 4, 30) and found["planned"].person == ""


def test_a_submitted_case_has_none_of_the_schemes_deadlines():
    facts = case(applicant=applicant(passport_expiry=date(2026, 12, 15)),
                 planned_submission_date=date(2026, 4, 30), submitted_on=date(2026, 3, 1),
                 dependants=(child(id=3, born=date(2008, 7, 10)),))
    assert case_deadlines(facts, RULES) == ()


def test_deadlines_come_by_date():
    facts = case(applicant=applicant(passport_expiry=date(2026, 12, 15)),
                 planned_submission_date=date(2026, 4, 30),
                 dependants=(child(id=3, born=date(2008, 7, 10)),))
    dates = [d.due_on for d in case_deadlines(facts, RULES)]
    assert dates == sorted(dates) and len(dates) == 4
