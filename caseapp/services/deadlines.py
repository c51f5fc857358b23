"""A case's deadlines, stored so that lists filter and sort on them without the rules.

``refresh_deadlines`` runs in the transaction of every change to a case (``cases.change_case``)
and of every check run. It derives what is due now (``rules.deadlines`` for the scheme's dates;
the consultancy's own here: an eligible check too old to submit on, ImmD's reply dates, the
follow-up dates of case notes) and brings the stored rows in line:

- a cause that is gone takes its deadline with it;
- a new cause adds one;
- a cause whose date moved is the same deadline with the new date, and loses a done or
  snoozed mark (the new date is a new thing to meet);
- a cause with the same date keeps its row and its mark.

A closed case has no deadlines.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import select

from caseapp import clock
from caseapp.extensions import db
from caseapp.models import Case, CaseNote, Deadline, DeadlineKind, InformationRequest, Role, User
from caseapp.models.base import utcnow
from caseapp.rules import CaseFacts, RuleSet
from caseapp.rules.deadlines import DerivedDeadline, case_deadlines
from caseapp.rules.workflow import CLOSED_STATUSES, SUBMITTED_STATUSES, CaseStatus
from caseapp.services import audit
from caseapp.services.errors import NotAllowed, ValidationFailed

MAX_NOTE_EXCERPT = 80


def derive(case: Any, facts: CaseFacts, rule_set: RuleSet, *, check_max_age_days: int,
           requests: list[Any], notes: list[Any]) -> list[DerivedDeadline]:
    """Every deadline ``case`` has now (a Case, or plain rows with the same attributes)."""
    status = None if case.status is None else CaseStatus(case.status)
    if status in CLOSED_STATUSES:
        return []  # (a case being opened has no status until it is written: intake)
    # Lodged with ImmD: the scheme's dates and the check's clock are behind it (a row may
    # say so by its status alone, without the day it was lodged).
    submitted = facts.submitted_on is not None or status in SUBMITTED_STATUSES
    found = [] if submitted else list(case_deadlines(facts, rule_set))
    checked_at = getattr(case, "latest_check_at", None)
    if (not submitted and checked_at is not None
            and getattr(case, "latest_verdict", None) == "eligible"):
        from caseapp.clock import business_timezone

        checked_on = checked_at.astimezone(business_timezone()).date()
        last = checked_on + timedelta(days=check_max_age_days)
        found.append(DerivedDeadline(
            DeadlineKind.CHECK_TOO_OLD.value, "check", last,
            f"The eligible check of {checked_on.isoformat()} can be submitted on until "
            f"{last.isoformat()}: run the checks again if the case is not submitted by then."))
    for request in requests:
        if request.answered_on is None:
            found.append(DerivedDeadline(
                DeadlineKind.IMMD_REPLY_DUE.value, f"request:{request.id}", request.due_on,
                f"Reply to ImmD's request of {request.requested_on.isoformat()} by "
                f"{request.due_on.isoformat()}."))
    for note in notes:
        if note.follow_up_on is not None:
            found.append(DerivedDeadline(
                DeadlineKind.FOLLOW_UP.value, f"note:{note.id}", note.follow_up_on,
                f"Follow up: {_excerpt(note.text)}"))
    return found


def _excerpt(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= MAX_NOTE_EXCERPT else line[:MAX_NOTE_EXCERPT - 1] + "…"


def refresh_deadlines(case: Any, facts: CaseFacts, rule_set: RuleSet) -> None:
    """Bring the stored deadlines of ``case`` in line with its facts, in the caller's
    transaction (nothing is committed here)."""
    with db.session.no_autoflush:
        requests = list(db.session.scalars(
            select(InformationRequest).where(InformationRequest.case_id == case.id)))
        requests += [o for o in db.session.new
                     if isinstance(o, InformationRequest) and o.case_id == case.id]
        # Stored with a follow-up, and any of the case's notes changed or added in this
        # transaction (not flushed yet); each read as it stands now.
        notes = list(db.session.scalars(select(CaseNote).where(
            CaseNote.case_id == case.id, CaseNote.follow_up_on.is_not(None))))
        notes += [o for o in (*db.session.new, *db.session.dirty)
                  if isinstance(o, CaseNote) and o.case_id == case.id and o not in notes]
        notes = [note for note in notes if note.follow_up_on is not None]
        stored = {row.source: row for row in db.session.scalars(
            select(Deadline).where(Deadline.case_id == case.id))}
    wanted = {d.source: d for d in derive(
        case, facts, rule_set,
        check_max_age_days=int(current_app.config["SUBMISSION_CHECK_MAX_AGE_DAYS"]),
        requests=requests, notes=notes)}
    for source, row in stored.items():
        if source not in wanted:
            db.session.delete(row)
    for source, derived in wanted.items():
        row = stored.get(source)
        kind = DeadlineKind(derived.kind)
        if row is None:
            db.session.add(Deadline(case=case, kind=kind, source=source,
                                    due_on=derived.due_on, action=derived.action,
                                    person=derived.person))
            continue
        if row.kind != kind or row.due_on != derived.due_on:
            row.kind, row.due_on = kind, derived.due_on
            row.done_at = row.done_by_id = row.snoozed_until = row.snoozed_by_id = None
            row.mark_reason = ""
        if row.action != derived.action:
            row.action = derived.action
        if row.person != derived.person:
            row.person = derived.person


def outside_date(kind: DeadlineKind, due_on: date) -> date:
    """The date a deadline is given outside the app (e-mail digests, calendar feeds): a
    child's coming of age only by its month, as its exact day tells the date of birth."""
    if kind is DeadlineKind.CHILD_TURNS_ADULT:
        return due_on.replace(day=1)
    return due_on


def outside_date_text(kind: DeadlineKind, due_on: date) -> str:
    if kind is DeadlineKind.CHILD_TURNS_ADULT:
        return f"{due_on:%Y-%m}"
    return due_on.isoformat()


# ---- marking a deadline: done, or snoozed until a date ---------------------------------------

MAX_REASON_LENGTH = 300
MAX_SNOOZE_DAYS = 366
REASON_MISSING = "Say why (a few words are enough)."
REASON_TOO_LONG = f"Keep the reason to {MAX_REASON_LENGTH} characters."
REASON_UNSAFE = ("The reason holds an invisible control or text-direction character: type it "
                 "again without pasting.")


def _reason(reason: str | None) -> str:
    """The reason as stored, or ValidationFailed naming what is wrong with it."""
    from caseapp.services.people import has_unsafe_characters

    text = (reason or "").strip()
    if not text:
        raise ValidationFailed({"reason": [REASON_MISSING]})
    if len(text) > MAX_REASON_LENGTH:
        raise ValidationFailed({"reason": [REASON_TOO_LONG]})
    if has_unsafe_characters(text):
        raise ValidationFailed({"reason": [REASON_UNSAFE]})
    return text


def latest_snooze(today: date) -> date:
    """The furthest date a deadline may be snoozed to: about a year ahead."""
    return today + timedelta(days=MAX_SNOOZE_DAYS)


def snooze_date_error(until: date | None, today: date) -> str | None:
    """What is wrong with snoozing until ``until`` (None: nothing)."""
    if not isinstance(until, date):
        return "Enter the date it should come back on."
    if until <= today:
        return "Choose a date after today: the deadline comes back on that day."
    if until > latest_snooze(today):
        return f"Snooze for at most a year (until {latest_snooze(today).isoformat()})."
    return None


def _snooze_date(until: date | None, today: date) -> date:
    if (problem := snooze_date_error(until, today)) is not None or until is None:
        raise ValidationFailed({"until": [problem or ""]})
    return until


def _ensure_markable(actor: User, deadline: Deadline, seen_due_on: date | None) -> Case:
    """``seen_due_on``: the date the deadline had where the user saw it. A recomputation since
    may have moved it (a new passport, a new statement): a mark meant for the old date must
    not silence the new one."""
    case = deadline.case
    if actor.role is Role.CONSULTANT and case.consultant_id != actor.id:
        raise NotAllowed("This deadline belongs to a case of another consultant.")
    if case.is_closed:
        raise NotAllowed(f"This case is {case.status.label.lower()}: its deadlines are no "
                         "longer followed.")
    if deadline.done_at is not None:
        raise NotAllowed("This deadline is already marked done.")
    if seen_due_on != deadline.due_on:
        raise NotAllowed(f"This deadline changed since the page was shown: it is now due on "
                         f"{deadline.due_on.isoformat()}. Nothing was saved; look at it again.")
    return case


def _commit() -> None:
    try:
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise


def mark_done(actor: User, deadline: Deadline, reason: str | None,
              seen_due_on: date | None) -> Deadline:
    """Mark ``deadline`` done, with why, as one audited transaction. It stays done until its
    cause's date changes (``refresh_deadlines`` clears the mark then). Not a change to the
    case file: the case's version stays, so no colleague's open form goes stale."""
    case = _ensure_markable(actor, deadline, seen_due_on)
    text = _reason(reason)
    deadline.done_at = utcnow()
    deadline.done_by_id = actor.id
    deadline.snoozed_until = deadline.snoozed_by_id = None
    deadline.mark_reason = text
    audit.record(actor, "marked_done", f"deadline:{deadline.id}", {
        "kind": [None, deadline.kind.value], "due_on": [None, deadline.due_on.isoformat()],
        "reason": [None, text]}, case=case)
    _commit()
    return deadline


def snooze(actor: User, deadline: Deadline, until: date | None, reason: str | None,
           seen_due_on: date | None) -> Deadline:
    """Hide ``deadline`` until ``until`` (after today, at most about a year ahead), with why,
    as one audited transaction. From ``until`` on it is open again if its cause still is."""
    case = _ensure_markable(actor, deadline, seen_due_on)
    today = clock.today()
    errors: dict[str, list[str]] = {}
    text = day = None
    try:
        text = _reason(reason)
    except ValidationFailed as error:
        errors.update(error.errors)
    try:
        day = _snooze_date(until, today)
    except ValidationFailed as error:
        errors.update(error.errors)
    if errors or text is None or day is None:
        raise ValidationFailed(errors)
    before = deadline.snoozed_until
    deadline.snoozed_until = day
    deadline.snoozed_by_id = actor.id
    deadline.mark_reason = text
    audit.record(actor, "snoozed", f"deadline:{deadline.id}", {
        "kind": [None, deadline.kind.value], "due_on": [None, deadline.due_on.isoformat()],
        "snoozed_until": [audit.display_value(before), day.isoformat()],
        "reason": [None, text]}, case=case)
    _commit()
    return deadline
