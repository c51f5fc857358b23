"""Running the checks through the service: facts from the case, the run stored as shown."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import func, select

from caseapp.models import CheckRun, DepositEvidence
from caseapp.rules import CheckResult, Verdict
from caseapp.rules.vocab import Answer, EvidenceStatus
from caseapp.services import cases as case_service
from caseapp.services.checks import check_open_cases, is_current, latest_run, run_checks
from tests.factories import dependant_values, open_case

TODAY = date(2026, 11, 25)


def add_verified_deposit(db, case, user, hkd: str, statement_date: date = TODAY) -> None:
    """Evidence as the deposit service leaves it once verified (written directly to stay
    independent of that service's forms)."""
    db.session.add(DepositEvidence(
        case_id=case.id, amount=Decimal(hkd), currency="HKD", rate_to_hkd=Decimal(1),
        amount_hkd=Decimal(hkd), statement_date=statement_date, bank="HSBC",
        account_holder="Mei Ling Tan", status=EvidenceStatus.VERIFIED, verified_by_id=user.id,
        recorded_by_id=user.id,
    ))
    db.session.commit()


def test_a_complete_strong_case_is_eligible_and_the_run_is_stored(db, consultant):
    case = open_case(consultant)
    add_verified_deposit(db, case, consultant, "250000.00")
    run = run_checks(consultant, case, TODAY)
    assert run.verdict == Verdict.ELIGIBLE.value
    assert run.run_by_id == consultant.id
    assert run.rule_set_version == "qmas-2006-165"
    assert run.check_date == TODAY
    db.session.expire_all()
    stored = db.session.get(CheckRun, run.id)
    result = CheckResult.from_dict(stored.result)
    assert result.verdict is Verdict.ELIGIBLE
    assert result.prerequisite("P2").data["total_hkd"] == "250000.00"


def test_one_hkd_short_of_the_family_threshold_fails_with_the_shortfall(db, consultant):
    case = open_case(consultant)
    case_service.add_dependant(consultant, case, dependant_values(), case.version)
    add_verified_deposit(db, case, consultant, "449999.99")
    result = CheckResult.from_dict(run_checks(consultant, case, TODAY).result)
    p2 = result.prerequisite("P2")
    assert p2.outcome.value == "fail"
    assert "0.01" in p2.reason
    assert result.verdict is Verdict.NOT_ELIGIBLE


def test_thresholds_come_from_the_config(app, db, consultant):
    case = open_case(consultant)
    add_verified_deposit(db, case, consultant, "250000.00")
    app.config["DEPOSIT_SINGLE_HKD"] = "300000"
    result = CheckResult.from_dict(run_checks(consultant, case, TODAY).result)
    assert result.prerequisite("P2").outcome.value == "fail"
    assert result.rule_set_overrides == {"deposit_single_hkd": "300000"}


def test_missing_facts_make_the_case_incomplete_and_say_what_to_collect(db, consultant):
    case = open_case(consultant, criminal_record=Answer.UNKNOWN)
    result = CheckResult.from_dict(run_checks(consultant, case, TODAY).result)
    assert result.verdict is Verdict.INCOMPLETE
    assert any("criminal record" in action.lower() for action in result.next_actions)


def test_a_run_does_not_change_the_case_and_goes_stale_when_facts_change(db, consultant):
    case = open_case(consultant)
    run = run_checks(consultant, case, TODAY)
    assert case.version == 1 and is_current(run, case)
    case_service.update_applicant(consultant, case, {"phone": "+852 2123 4567"}, case.version)
    assert is_current(run, case)  # the phone number is not a fact the rules read
    case_service.update_applicant(consultant, case, {"english_spoken": Answer.NO}, case.version)
    assert not is_current(run, case)


def test_runs_are_kept_and_the_latest_is_found(db, consultant):
    case = open_case(consultant)
    first = run_checks(consultant, case, TODAY - timedelta(days=1))
    second = run_checks(None, case, TODAY)
    assert latest_run(case).id == second.id
    assert db.session.scalar(select(func.count(CheckRun.id))) == 2
    assert first.result != {} and second.run_by_id is None


def test_check_all_open_cases_counts_verdicts_and_skips_closed_ones(db, consultant):
    from caseapp.rules.workflow import CaseStatus

    eligible = open_case(consultant)
    add_verified_deposit(db, eligible, consultant, "300000.00")
    open_case(consultant, criminal_record=Answer.YES)
    closed = open_case(consultant)
    closed.status = CaseStatus.WITHDRAWN
    db.session.commit()
    counts = check_open_cases(None, TODAY)
    assert counts == {"eligible": 1, "not_eligible": 1}


def test_freshness_window_from_an_environment_string(app, db, consultant):
    case = open_case(consultant)
    add_verified_deposit(db, case, consultant, "250000.00", date(2026, 7, 1))
    assert run_checks(consultant, case, TODAY).verdict == "incomplete"  # stale at 3 months
    app.config["DEPOSIT_FRESHNESS_MONTHS"] = "6"
    assert run_checks(consultant, case, TODAY).verdict == "eligible"


def test_one_failing_case_does_not_stop_checking_the_others(db, consultant, monkeypatch):
    from caseapp.services import checks

    first, second = open_case(consultant), open_case(consultant)
    real = checks.case_facts

    def broken_for_first(case, check_date):
        if case.id == first.id:
            raise ValueError("corrupt data")
        return real(case, check_date)

    monkeypatch.setattr(checks, "case_facts", broken_for_first)
    counts = check_open_cases(None, TODAY)
    assert counts == {"error": 1, "incomplete": 1}
    assert latest_run(second) is not None and latest_run(first) is None
