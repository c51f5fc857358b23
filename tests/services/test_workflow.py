"""Every allowed and forbidden status move, and the requirement-checks gate of submission."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from caseapp import clock
from caseapp.models import AuditEntry, StatusChange
from caseapp.rules.vocab import Answer
from caseapp.rules.workflow import REASON_REQUIRED, TRANSITIONS, CaseStatus
from caseapp.services import cases as case_service
from caseapp.services.checks import run_checks
from caseapp.services.errors import ConflictError, NotAllowed, ValidationFailed
from caseapp.services.workflow import move_status, moves_for, submission_readiness
from tests.factories import open_case
from tests.services.test_checks import add_verified_deposit

ALL_PAIRS = [(a, b) for a in CaseStatus for b in CaseStatus if a is not b]
ALLOWED = [(a, b) for a, b in ALL_PAIRS if b in TRANSITIONS[a]]
FORBIDDEN = [(a, b) for a, b in ALL_PAIRS if b not in TRANSITIONS[a]]


def _case_in(db, consultant, status):
    case = open_case(consultant)
    case.status = status
    db.session.commit()
    return case


def _ids(pairs):
    return [f"{a.value}->{b.value}" for a, b in pairs]


# Submission is not a status move: it goes through the review (tests/services/test_submission).
MOVES = [(a, b) for a, b in ALLOWED if b is not CaseStatus.SUBMITTED]


@pytest.mark.parametrize("current,target", MOVES, ids=_ids(MOVES))
def test_every_allowed_move_is_made_and_recorded(db, consultant, manager, current, target):
    case = _case_in(db, consultant, current)
    move = move_status(consultant, case, target, "because", case.version)
    assert case.status is target
    assert (move.from_status, move.to_status, move.reason) == (current, target, "because")
    assert move.changed_by_id == consultant.id and move.changed_at is not None
    entry = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "status_changed")).one()
    assert entry.changes["status"] == [current.value, target.value]


@pytest.mark.parametrize("user", ["consultant", "manager"])
def test_no_one_moves_a_case_to_submitted_through_the_status_menu(db, consultant, manager,
                                                                   user):
    case = _case_in(db, consultant, CaseStatus.READY_FOR_REVIEW)
    add_verified_deposit(db, case, consultant, "300000.00", clock.today())
    run_checks(consultant, case)
    actor = {"consultant": consultant, "manager": manager}[user]
    with pytest.raises(NotAllowed, match="review panel"):
        move_status(actor, case, CaseStatus.SUBMITTED, "because", case.version)
    assert case.status is CaseStatus.READY_FOR_REVIEW
    assert CaseStatus.SUBMITTED not in [m.target for m in moves_for(actor, case)]


@pytest.mark.parametrize("current,target", FORBIDDEN, ids=_ids(FORBIDDEN))
def test_every_forbidden_move_is_refused_and_changes_nothing(db, consultant, current, target):
    case = _case_in(db, consultant, current)
    version = case.version
    with pytest.raises(NotAllowed):
        move_status(consultant, case, target, "because", version)
    db.session.expire_all()
    assert case.status is current and case.version == version
    assert db.session.scalars(
        select(StatusChange).where(StatusChange.from_status.is_not(None),
                                   StatusChange.case_id == case.id)).first() is None


@pytest.mark.parametrize("target", sorted(REASON_REQUIRED))
def test_withdrawing_refusing_or_pausing_needs_a_reason(db, consultant, target):
    current = next(s for s in TRANSITIONS if target in TRANSITIONS[s])
    case = _case_in(db, consultant, current)
    with pytest.raises(ValidationFailed):
        move_status(consultant, case, target, "   ", case.version)
    assert case.status is current


def test_the_checks_gate_needs_a_check_run(db, consultant):
    case = _case_in(db, consultant, CaseStatus.READY_FOR_REVIEW)
    assert "not been run" in submission_readiness(case).reason


def test_the_checks_gate_needs_an_eligible_latest_run(db, consultant):
    case = _case_in(db, consultant, CaseStatus.READY_FOR_REVIEW)
    run_checks(consultant, case)  # no deposit: incomplete
    readiness = submission_readiness(case)
    assert not readiness.ready and "incomplete" in readiness.reason


def test_a_change_after_the_eligible_run_closes_the_checks_gate_until_checked_again(
        db, consultant):
    case = _case_in(db, consultant, CaseStatus.READY_FOR_REVIEW)
    add_verified_deposit(db, case, consultant, "300000.00", clock.today())
    run_checks(consultant, case)
    assert submission_readiness(case).ready
    case_service.update_applicant(consultant, case, {"putonghua_spoken": Answer.NO},
                                  case.version)
    assert "changed after" in submission_readiness(case).reason
    run_checks(consultant, case)
    assert submission_readiness(case).ready


def test_an_old_eligible_run_must_be_repeated(app, db, consultant):
    case = _case_in(db, consultant, CaseStatus.READY_FOR_REVIEW)
    add_verified_deposit(db, case, consultant, "300000.00", clock.today())
    run_checks(consultant, case)
    later = date.fromordinal(clock.today().toordinal() + 8)
    assert "more than 7 days" in submission_readiness(case, later).reason


def test_a_stale_version_is_a_conflict(db, consultant):
    case = _case_in(db, consultant, CaseStatus.INTAKE)
    with pytest.raises(ConflictError):
        move_status(consultant, case, CaseStatus.COLLECTING_DOCUMENTS, "", case.version - 1)
    assert case.status is CaseStatus.INTAKE


def test_closed_cases_are_read_only(db, consultant):
    case = _case_in(db, consultant, CaseStatus.VISA_ISSUED)
    with pytest.raises(NotAllowed):
        case_service.update_applicant(consultant, case, {"phone": "+852 2123 4567"}, case.version)
    assert moves_for(consultant, case) == []


def test_opening_a_case_records_its_first_status(db, consultant):
    case = open_case(consultant)
    first = db.session.scalars(select(StatusChange).where(StatusChange.case_id == case.id)).one()
    assert (first.from_status, first.to_status, first.changed_by_id) == (
        None, CaseStatus.INTAKE, consultant.id)


def test_facts_that_stop_qualifying_with_time_block_submission(db, consultant):
    """An eligible run five days ago, nothing changed since, but the statement went stale."""
    checked_on = date(2026, 5, 5)
    case = _case_in(db, consultant, CaseStatus.READY_FOR_REVIEW)
    add_verified_deposit(db, case, consultant, "300000.00", date(2026, 2, 6))
    assert run_checks(consultant, case, checked_on).verdict == "eligible"
    readiness = submission_readiness(case, date(2026, 5, 10))
    assert not readiness.ready
    assert "As of 2026-05-10 the same facts are incomplete" in readiness.reason
