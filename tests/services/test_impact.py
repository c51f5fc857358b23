"""The impact preview: open cases whose verdict a rule set version would change, and why."""

from __future__ import annotations

from datetime import timedelta

import pytest

from caseapp import clock
from caseapp.queries import rulesets as loader
from caseapp.rules.vocab import Answer
from caseapp.rules.workflow import CaseStatus
from caseapp.services import checks
from caseapp.services.impact import preview_impact
from caseapp.services.rulesets import create_rule_set, editable_values
from tests.factories import hkd_statement, open_case, verified_deposit

TODAY = clock.today()
SOON = TODAY + timedelta(days=30)


@pytest.fixture
def by_date(app):
    app.config["RULE_SET_VERSION"] = None
    yield
    app.config["RULE_SET_VERSION"] = "qmas-2006-165"


def higher_deposit(admin, version="qmas-2027-01", effective=SOON, single="400000"):
    values = editable_values(loader.find_rule_set("qmas-2024-11"))
    values.update(version=version, title="Higher deposit", effective_date=effective,
                  deposit_single_hkd=single, deposit_family_hkd="600000")
    create_rule_set(admin, "qmas-2024-11", values)
    return loader.find_rule_set(version)


def eligible_case(consultant, manager, db, planned, hkd="300000.00"):
    """Eligible under qmas-2024-11: six criteria met and HKD 300,000 verified."""
    case = open_case(consultant, degree_eligible_university=Answer.YES, degree_stem=Answer.YES,
                     two_languages=Answer.YES)
    verified_deposit(consultant, manager, case, hkd_statement(hkd))
    case.planned_submission_date = planned
    db.session.commit()
    return case


def test_a_case_the_candidate_would_fail_is_listed_with_from_to_and_why(
        db, admin, consultant, manager, by_date):
    case = eligible_case(consultant, manager, db, SOON + timedelta(days=10))
    assert checks.run_checks(consultant, case).verdict == "eligible"
    candidate = higher_deposit(admin)
    report = preview_impact(candidate)
    assert (report.considered, report.evaluated, report.changed) == (1, 1, 1)
    change = report.cases[0]
    assert (change.reference, change.consultant) == (case.reference, consultant.name)
    assert (change.current_version, change.current, change.candidate) == (
        "qmas-2024-11", "Eligible", "Not eligible")
    assert change.why == ("P2 Financial capability: pass -> fail (short by HKD 100,000.00 for "
                          "a single application)")
    assert report.per_consultant == {consultant.name: 1}


def test_cases_lodged_before_the_effective_date_or_submitted_are_left_out(
        db, admin, consultant, manager, by_date):
    before = eligible_case(consultant, manager, db, SOON - timedelta(days=1))
    unplanned = eligible_case(consultant, manager, db, None)  # lodged today, if at all
    submitted = eligible_case(consultant, manager, db, SOON + timedelta(days=10))
    submitted.status = CaseStatus.SUBMITTED
    submitted.submitted_on = TODAY
    db.session.commit()
    report = preview_impact(higher_deposit(admin))
    assert (report.considered, report.evaluated, report.changed) == (2, 0, 0)
    assert {before.reference, unplanned.reference}.isdisjoint(c.reference for c in report.cases)


def test_a_case_with_enough_deposit_does_not_change(db, admin, consultant, manager, by_date):
    eligible_case(consultant, manager, db, SOON + timedelta(days=10), hkd="450000.00")
    report = preview_impact(higher_deposit(admin))
    assert (report.evaluated, report.changed, report.cases) == (1, 0, [])


def test_a_later_version_in_force_on_the_lodging_date_hides_the_candidate(
        db, admin, consultant, manager, by_date):
    eligible_case(consultant, manager, db, SOON + timedelta(days=20))
    candidate = higher_deposit(admin)
    higher_deposit(admin, "qmas-2027-02", SOON + timedelta(days=10), single="250000")
    assert preview_impact(candidate).evaluated == 0


def test_counts_per_consultant_and_a_bounded_list(db, admin, consultant, other_consultant,
                                                  manager, by_date):
    planned = SOON + timedelta(days=10)
    for _ in range(2):
        eligible_case(consultant, manager, db, planned)
    eligible_case(other_consultant, manager, db, planned)
    report = preview_impact(higher_deposit(admin), limit=2)
    assert report.changed == 3 and len(report.cases) == 2 and report.more == 1
    assert report.consultants == [(consultant.name, 2), (other_consultant.name, 1)]


def test_a_pinned_version_changes_nothing_and_says_so(app, db, admin, consultant, manager,
                                                      by_date):
    eligible_case(consultant, manager, db, SOON + timedelta(days=10))
    candidate = higher_deposit(admin)
    app.config["RULE_SET_VERSION"] = "qmas-2024-11"
    report = preview_impact(candidate)
    assert (report.pinned, report.considered, report.changed) == ("qmas-2024-11", 1, 0)


def test_the_statements_are_per_batch_not_per_case(db, admin, consultant, by_date,
                                                   count_statements):
    candidate = higher_deposit(admin)
    counts = []
    for _ in range(3):
        for _ in range(2):
            case = open_case(consultant)
            case.planned_submission_date = SOON + timedelta(days=1)
        db.session.commit()
        db.session.expire_all()
        count_statements.reset()
        report = preview_impact(candidate, batch_size=2)
        counts.append(count_statements.count)
    assert report.evaluated == 6
    per_batch = counts[1] - counts[0]
    assert counts[2] - counts[1] == per_batch
    assert per_batch <= 5  # the cases, then applicants, dependants, deposits and consultants
