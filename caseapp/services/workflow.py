"""Moving a case through its statuses, as the transition table allows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask import current_app

from caseapp import clock
from caseapp.extensions import db
from caseapp.models import Case, Role, StatusChange, User, utcnow
from caseapp.rules import Verdict
from caseapp.rules.workflow import REASON_REQUIRED, CaseStatus, allowed_moves, is_allowed
from caseapp.services import audit
from caseapp.services.cases import ExpectedVersion, change_case
from caseapp.services.checks import current_facts, evaluate_facts, is_current, latest_run
from caseapp.services.errors import NotAllowed, ValidationFailed
from caseapp.services.people import UNSAFE_TEXT_MESSAGE, has_unsafe_characters

MAX_REASON_LENGTH = 2000


@dataclass(frozen=True)
class Readiness:
    """Whether the latest check run allows submission, and if not, why."""

    ready: bool
    reason: str


def submission_readiness(case: Case, today: date | None = None) -> Readiness:
    """Submission needs an eligible latest check run, recent, on the case's current facts."""
    today = today or clock.today()
    run = latest_run(case)
    if run is None:
        return Readiness(False, "The checks have not been run on this case yet.")
    if run.verdict != Verdict.ELIGIBLE.value:
        label = Verdict(run.verdict).label.lower()
        return Readiness(False, f"The latest check run ({run.check_date}) says {label}.")
    max_age = int(current_app.config["SUBMISSION_CHECK_MAX_AGE_DAYS"])
    if (today - run.check_date).days > max_age:
        return Readiness(
            False, f"The latest check run is from {run.check_date}, more than {max_age} days "
            "ago: run the checks again before submitting.")
    # One load of the case serves both questions: the fingerprint leaves the date out.
    facts = current_facts(case, today)
    if not is_current(run, case, facts):
        return Readiness(False, "The case changed after the latest check run: run the checks "
                                "again before submitting.")
    # Unchanged facts can still stop qualifying with time (a statement goes stale, a child
    # turns 18): the same facts must also be eligible as of today.
    today_verdict = evaluate_facts(facts)
    if today_verdict is not Verdict.ELIGIBLE:
        return Readiness(False, f"As of {today} the same facts are "
                                f"{today_verdict.label.lower()}: run the checks again to see why.")
    return Readiness(True, f"The latest check run ({run.check_date}) is eligible and current.")


def may_override(user: User) -> bool:
    return user.role in (Role.MANAGER, Role.ADMIN)


@dataclass(frozen=True)
class Move:
    target: CaseStatus

    @property
    def needs_reason(self) -> bool:
        return self.target in REASON_REQUIRED


def moves_for(user: User, case: Case) -> list[Move]:
    """The moves ``user`` may make on ``case`` from the status menu. Submission is not one of
    them: it goes through the review panel (services.submission), where a manager approves
    the case and records ImmD's file number."""
    return [Move(target) for target in allowed_moves(case.status)
            if target is not CaseStatus.SUBMITTED]


def move_status(
    actor: User,
    case: Case,
    target: CaseStatus,
    reason: str,
    expected_version: ExpectedVersion,
) -> StatusChange:
    """Move ``case`` to ``target``, recording who, when, from, to and why."""
    reason = reason.strip()
    current = case.status
    if current.is_closed:
        raise NotAllowed(f"This case is {current.label.lower()} and can no longer move.")
    if not is_allowed(current, target):
        raise NotAllowed(f"A case cannot move from {current.label} to {target.label}.")
    if len(reason) > MAX_REASON_LENGTH:
        raise ValidationFailed({"reason": [f"Keep the reason under {MAX_REASON_LENGTH} "
                                           "characters."]})
    if has_unsafe_characters(reason, multi_line=True):
        raise ValidationFailed({"reason": [UNSAFE_TEXT_MESSAGE]})
    if target in REASON_REQUIRED and not reason:
        raise ValidationFailed({"reason": [f"Say why the case is {target.label.lower()}."]})
    if target is CaseStatus.SUBMITTED:
        raise NotAllowed("A case goes to ImmD from its review panel: a manager who is not its "
                         "consultant approves it, then records ImmD's file number.")

    def change() -> StatusChange:
        move = StatusChange(
            case_id=case.id, from_status=current, to_status=target, reason=reason,
            changed_by_id=actor.id, changed_at=utcnow(),
        )
        db.session.add(move)
        case.status = target
        changes: dict[str, list[str | None]] = {"status": [current.value, target.value]}
        if reason:
            changes["reason"] = [None, reason]
        audit.record(actor, "status_changed", "case", changes, case=case)
        return move

    return change_case(actor, case, expected_version, change)
