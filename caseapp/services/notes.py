"""Case notes and the client contact log: who, when, how, what, and a follow-up date that
becomes a deadline (``services.deadlines``).

A note is added to the case in the case's own transaction (``cases.change_case``): the case
version moves, its search text takes the note in, and the follow-up deadline is derived, all
or nothing. Its author may correct it for a short while (``NOTE_EDIT_MINUTES``); after that it
stands as written, and nothing deletes it.

A closed case still takes notes (a client rings after a refusal; that contact is real), but no
follow-up date: a closed case has no deadlines.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from flask import current_app, has_app_context

from caseapp import clock
from caseapp.extensions import db
from caseapp.models import Case, CaseNote, ContactChannel, User, utcnow
from caseapp.services import audit
from caseapp.services.cases import ExpectedVersion, change_case
from caseapp.services.errors import NotAllowed, ValidationFailed
from caseapp.services.people import UNSAFE_TEXT_MESSAGE, has_unsafe_characters

# What a note's values may hold. ``happened_on`` and ``happened_time`` are the business day and
# the local time of the contact; without a time, a contact today is "now" and an earlier one
# the start of its day.
NOTE_FIELDS = ("channel", "text", "happened_on", "happened_time", "follow_up_on")
# What the audit trail records of a note.
AUDITED_FIELDS = ["channel", "happened_at", "text", "follow_up_on"]

MAX_NOTE_LENGTH = 5000
# A contact further back than this is a typing mistake (a year of 2002 for 2024).
MAX_HAPPENED_AGE = timedelta(days=5 * 366)
# A follow-up is something to do, not a wish: within two years.
MAX_FOLLOW_UP_AHEAD = timedelta(days=2 * 366)
DEFAULT_EDIT_MINUTES = 15

EMPTY_MESSAGE = "Write the note: it cannot be empty."
TOO_LONG_MESSAGE = f"A note holds at most {MAX_NOTE_LENGTH:,} characters: shorten it."
CHANNEL_MESSAGE = "Choose how the contact took place: note, phone, e-mail, meeting or message."
FUTURE_MESSAGE = "A contact cannot have happened in the future: check the date and time."
PAST_FOLLOW_UP_MESSAGE = "A follow-up date cannot be in the past: choose today or later."
CLOSED_FOLLOW_UP_MESSAGE = ("This case is closed, so it has no deadlines: record the note "
                            "without a follow-up date.")


def edit_minutes() -> int:
    """How long after writing it the author may still correct a note."""
    configured = (current_app.config.get("NOTE_EDIT_MINUTES", DEFAULT_EDIT_MINUTES)
                  if has_app_context() else DEFAULT_EDIT_MINUTES)
    return int(configured)


def editable_until(note: CaseNote) -> datetime:
    return note.created_at + timedelta(minutes=edit_minutes())


def can_edit(user: User, note: CaseNote, now: datetime | None = None) -> bool:
    """The note's author, within the edit window."""
    return note.author_id == user.id and (now or utcnow()) <= editable_until(note)


def ensure_editable_by(actor: User, note: CaseNote, now: datetime | None = None) -> None:
    """NotAllowed, saying why, unless ``actor`` may correct ``note`` now."""
    if note.author_id != actor.id:
        raise NotAllowed("Only the author of a note can correct it; add a note of your own "
                         "instead.")
    if (now or utcnow()) > editable_until(note):
        raise NotAllowed(
            f"A note can be corrected for {edit_minutes()} minutes after it is written; this "
            "one now stands as written. Add a new note to correct or complete it.")


def _happened_at(day: date, at: time | None, now: datetime) -> datetime:
    zone = clock.business_timezone()
    if at is None:
        if day == now.astimezone(zone).date():
            return now
        at = time(0, 0)
    local = datetime.combine(day, at.replace(second=0, microsecond=0), tzinfo=zone)
    return local.astimezone(UTC)


def check_note(values: dict[str, Any], case: Case, note: CaseNote | None = None,
               now: datetime | None = None) -> dict[str, Any]:
    """``values`` as a CaseNote stores them (channel, happened_at, text, follow_up_on), or
    ValidationFailed with messages per field. ``note`` is the stored note when editing: a
    follow-up date it already has is not refused again for having come (or the case closed)."""
    unknown = set(values) - set(NOTE_FIELDS)
    if unknown:
        raise ValidationFailed({f: ["Unknown field."] for f in sorted(unknown)})
    now = now or utcnow()
    today = now.astimezone(clock.business_timezone()).date()
    errors: dict[str, list[str]] = {}
    stored: dict[str, Any] = {}

    text = values.get("text")
    if not isinstance(text, str):
        errors["text"] = [EMPTY_MESSAGE if text is None else "Enter text."]
    elif has_unsafe_characters(text, multi_line=True):
        errors["text"] = [UNSAFE_TEXT_MESSAGE]
    elif not text.strip():
        errors["text"] = [EMPTY_MESSAGE]
    elif len(text.strip()) > MAX_NOTE_LENGTH:
        errors["text"] = [TOO_LONG_MESSAGE]
    else:
        stored["text"] = text.strip()

    try:
        stored["channel"] = ContactChannel(values.get("channel") or ContactChannel.NOTE)
    except ValueError:
        errors["channel"] = [CHANNEL_MESSAGE]

    day, at = values.get("happened_on"), values.get("happened_time")
    if note is not None and at is None and day in (
            None, note.happened_at.astimezone(clock.business_timezone()).date()):
        stored["happened_at"] = note.happened_at  # the day as it was, no time typed: kept
    elif not isinstance(day, date) or isinstance(day, datetime):
        errors["happened_on"] = ["Enter the date of the contact."]
    elif at is not None and not isinstance(at, time):
        errors["happened_time"] = ["Enter a time as HH:MM, or leave it empty."]
    elif day < today - MAX_HAPPENED_AGE:  # before converting: year 1 has no UTC midnight
        errors["happened_on"] = [
            f"Enter a date within the last five years (after "
            f"{(today - MAX_HAPPENED_AGE).isoformat()})."]
    else:
        happened = _happened_at(day, at, now)
        if happened > now:
            errors["happened_time" if day == today else "happened_on"] = [FUTURE_MESSAGE]
        elif happened < now - MAX_HAPPENED_AGE:
            errors["happened_on"] = [
                f"Enter a date within the last five years (after "
                f"{(today - MAX_HAPPENED_AGE).isoformat()})."]
        else:
            stored["happened_at"] = happened

    follow_up = values.get("follow_up_on")
    unchanged = note is not None and follow_up == note.follow_up_on
    if follow_up is not None and not unchanged:
        if not isinstance(follow_up, date) or isinstance(follow_up, datetime):
            errors["follow_up_on"] = ["Enter a real date as YYYY-MM-DD."]
        elif case.is_closed:
            errors["follow_up_on"] = [CLOSED_FOLLOW_UP_MESSAGE]
        elif follow_up < today:
            errors["follow_up_on"] = [PAST_FOLLOW_UP_MESSAGE]
        elif follow_up > today + MAX_FOLLOW_UP_AHEAD:
            errors["follow_up_on"] = [
                f"Choose a follow-up date within two years (by "
                f"{(today + MAX_FOLLOW_UP_AHEAD).isoformat()})."]
    stored["follow_up_on"] = follow_up

    if errors:
        raise ValidationFailed(errors)
    return stored


def add_note(actor: User, case: Case, values: dict[str, Any],
             expected_version: ExpectedVersion) -> CaseNote:
    """Record a note or a contact on ``case`` by ``actor``; its follow-up date becomes a
    deadline in the same transaction."""
    now = utcnow()
    stored = check_note(values, case, now=now)

    def change() -> CaseNote:
        note = CaseNote(case_id=case.id, author_id=actor.id, created_at=now, **stored)
        db.session.add(note)
        db.session.flush()
        audit.record(actor, "created", f"note:{note.id}",
                     audit.snapshot(note, AUDITED_FIELDS), case=case)
        return note

    return change_case(actor, case, expected_version, change, allow_closed=True)


def edit_note(actor: User, note: CaseNote, values: dict[str, Any],
              expected_version: ExpectedVersion) -> dict[str, list[str | None]]:
    """Correct a note: only its author, only within ``NOTE_EDIT_MINUTES`` of writing it.
    Returns the changed fields (empty: nothing differed, nothing written)."""
    case = db.session.get(Case, note.case_id)
    assert case is not None
    now = utcnow()
    ensure_editable_by(actor, note, now)
    stored = check_note(values, case, note=note, now=now)
    if not any(getattr(note, name) != value for name, value in stored.items()):
        return {}

    def change() -> dict[str, list[str | None]]:
        changes = audit.apply_changes(note, stored)
        note.edited_at = now
        audit.record(actor, "updated", f"note:{note.id}", changes, case=case)
        return changes

    return change_case(actor, case, expected_version, change, allow_closed=True)
