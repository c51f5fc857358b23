"""Which rule set checks a case: the one in force on its lodging date, unless pinned."""

from __future__ import annotations

from datetime import date

import pytest

from caseapp.rules.workflow import CaseStatus
from caseapp.services.checks import run_checks
from tests.factories import open_case


@pytest.fixture
def by_date(app):
    """The app as deployed: no pinned version, the lodging date decides."""
    app.config["RULE_SET_VERSION"] = None
    yield
    app.config["RULE_SET_VERSION"] = "qmas-2006-165"


@pytest.mark.parametrize("check_date,version", [
    (date(2024, 10, 31), "qmas-2006-165"),
    (date(2024, 11, 1), "qmas-2024-11"),
    (date(2026, 11, 25), "qmas-2024-11"),
])
def test_a_case_not_submitted_is_checked_under_the_set_in_force_on_the_check_date(
        db, consultant, by_date, check_date, version):
    case = open_case(consultant)
    run = run_checks(consultant, case, check_date)
    assert run.rule_set_version == version
    assert run.result["rule_set_version"] == version


def test_a_planned_date_after_the_change_decides_even_when_checked_before_it(
        db, consultant, by_date):
    case = open_case(consultant)
    case.planned_submission_date = date(2024, 11, 4)
    db.session.commit()
    assert run_checks(consultant, case, date(2024, 10, 20)).rule_set_version == "qmas-2024-11"
    case.planned_submission_date = date(2024, 10, 25)
    db.session.commit()
    assert run_checks(consultant, case, date(2024, 10, 20)).rule_set_version == "qmas-2006-165"


def test_a_case_lodged_before_1_november_2024_keeps_the_2006_table(db, consultant, by_date):
    case = open_case(consultant)
    case.status = CaseStatus.UNDER_ASSESSMENT
    case.submitted_on = date(2024, 10, 15)
    db.session.commit()
    run = run_checks(consultant, case)  # checked today, in 2026
    assert run.rule_set_version == "qmas-2006-165"
    assert "general_points" in run.result  # the points table's result


def test_a_pinned_version_wins_over_the_date(app, db, consultant):
    case = open_case(consultant)
    app.config["RULE_SET_VERSION"] = "qmas-2024-11"
    try:
        assert run_checks(consultant, case, date(2024, 1, 1)).rule_set_version == "qmas-2024-11"
    finally:
        app.config["RULE_SET_VERSION"] = "qmas-2006-165"


def test_the_case_page_names_the_rule_set_the_next_run_uses(
        app, db, consultant, consultant_client, by_date):
    case = open_case(consultant)
    page = consultant_client.get(f"/cases/{case.reference}").get_data(as_text=True)
    assert "Checks now use rule set <strong>qmas-2024-11</strong>" in page
    assert "in force from 2024-11-01" in page


def test_a_version_an_admin_stored_takes_effect_on_its_date(db, consultant, admin, by_date):
    from datetime import timedelta

    from caseapp import clock
    from caseapp.models import StoredRuleSet
    from caseapp.queries.rulesets import canonical_json
    from caseapp.rules.ruleset import load_rule_set, rule_set_for

    data = rule_set_for("qmas-2024-11").to_dict()
    soon = clock.today() + timedelta(days=30)
    data.update(version="qmas-test-next", title="Next", effective_date=soon.isoformat())
    stored = load_rule_set(data)
    db.session.add(StoredRuleSet(version=stored.version, title=stored.title,
                                 effective_date=soon, based_on="qmas-2024-11",
                                 content=canonical_json(stored),
                                 created_by_id=admin.id, updated_by_id=admin.id))
    db.session.commit()
    case = open_case(consultant)
    assert run_checks(consultant, case).rule_set_version == "qmas-2024-11"
    case.planned_submission_date = soon
    db.session.commit()
    assert run_checks(consultant, case).rule_set_version == "qmas-test-next"


def test_runs_stored_before_the_2024_facts_still_match_an_unchanged_case():
    """The fingerprint of these facts as the code before issue 9 computed it: the new facts,
    still at their defaults, leave it as it was, so stored runs do not all turn stale."""
    from decimal import Decimal

    from caseapp.rules.facts import ApplicantFacts, CaseFacts, DependantFacts, DepositFacts
    from caseapp.rules.vocab import (
        Answer,
        EvidenceStatus,
        MaritalStatus,
        Qualification,
        Relationship,
    )
    from caseapp.services.checks import facts_fingerprint

    facts = CaseFacts(
        applicant=ApplicantFacts(
            date_of_birth=date(1990, 5, 17), nationality="MYS", english_written=Answer.YES,
            english_spoken=Answer.YES, criminal_record=Answer.NO,
            highest_qualification=Qualification.MASTER, master_count=1, graduate_work_years=8),
        dependants=(DependantFacts(id=3, name="Ethan Tan", relationship=Relationship.CHILD,
                                   date_of_birth=date(2015, 3, 2),
                                   marital_status=MaritalStatus.SINGLE),),
        deposits=(DepositFacts(id=4, amount=Decimal("300000.00"), currency="HKD",
                               rate_to_hkd=Decimal(1), statement_date=date(2026, 11, 1),
                               status=EvidenceStatus.VERIFIED, bank="HSBC"),),
        check_date=date(2026, 11, 25), planned_submission_date=date(2026, 12, 1))
    before = "0eb8c8d82090bf037db1830e314ec01ec7e247fbde9e887020d2fcffeb79788d"
    assert facts_fingerprint(facts) == before
    from dataclasses import replace
    recorded = replace(facts, applicant=replace(facts.applicant, two_languages=Answer.YES))
    assert facts_fingerprint(recorded) != before
