"""Case notes and the contact log (issue 12): added in the case's transaction (version, search
text, follow-up deadline, audit), corrected by their author within the edit window only, and
read newest first a page at a time."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import func, select

from caseapp import clock
from caseapp.models import AuditEntry, Case, CaseNote, ContactChannel, Deadline, DeadlineKind
from caseapp.queries.notes import NOTES_PER_PAGE, notes_page
from caseapp.rules.workflow import CaseStatus
from caseapp.services import notes as note_service
from caseapp.services.derived import SEARCHED_NOTE_CHARS, SEARCHED_NOTES, search_parts
from caseapp.services.errors import ConflictError, NotAllowed, ValidationFailed
from tests.factories import open_case


def _values(**overrides):
    values = {"channel": ContactChannel.PHONE, "text": "Rang the client about the bank letter.",
              "happened_on": clock.today(), "happened_time": None, "follow_up_on": None}
    values.update(overrides)
    return values


def _count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _reload(db, case: Case) -> Case:
    db.session.expire_all()
    return db.session.get(Case, case.id)


def _age(db, note: CaseNote, minutes: int) -> None:
    """Move the note's writing ``minutes`` back in time."""
    note.created_at = note.created_at - timedelta(minutes=minutes)
    db.session.commit()


def test_a_note_is_added_in_the_cases_transaction_audited_and_searchable(app, db, consultant):
    case = open_case(consultant)
    version = case.version
    note = note_service.add_note(consultant, case, _values(text="Client mentioned Zanzibar."),
                                 version)
    case = _reload(db, case)
    assert case.version == version + 1
    assert case.updated_by_id == consultant.id
    assert " zanzibar" in case.search_text
    stored = db.session.get(CaseNote, note.id)
    assert (stored.author_id, stored.channel, stored.text) == (
        consultant.id, ContactChannel.PHONE, "Client mentioned Zanzibar.")
    assert stored.happened_at <= datetime.now(UTC)
    entry = db.session.scalars(select(AuditEntry).where(
        AuditEntry.entity == f"note:{note.id}")).one()
    assert entry.action == "created" and entry.user_id == consultant.id
    assert entry.changes["text"] == [None, "Client mentioned Zanzibar."]
    assert entry.changes["channel"] == [None, "phone"]


def test_a_follow_up_date_becomes_a_deadline_and_moves_with_a_correction(app, db, consultant):
    case = open_case(consultant)
    due = clock.today() + timedelta(days=10)
    note = note_service.add_note(consultant, case, _values(follow_up_on=due), case.version)
    deadline = db.session.scalars(select(Deadline).where(
        Deadline.source == f"note:{note.id}")).one()
    assert deadline.kind is DeadlineKind.FOLLOW_UP and deadline.due_on == due
    assert "bank letter" in deadline.action

    case = _reload(db, case)
    later = due + timedelta(days=5)
    note = db.session.get(CaseNote, note.id)
    changes = note_service.edit_note(consultant, note, _values(follow_up_on=later),
                                     case.version)
    assert changes["follow_up_on"] == [due.isoformat(), later.isoformat()]
    assert db.session.scalars(select(Deadline.due_on).where(
        Deadline.source == f"note:{note.id}")).one() == later
    note = db.session.get(CaseNote, note.id)
    changes = note_service.edit_note(consultant, note, _values(follow_up_on=None),
                                     _reload(db, case).version)
    assert db.session.scalars(select(Deadline).where(
        Deadline.source == f"note:{note.id}")).all() == []


def test_a_follow_up_added_by_a_correction_becomes_a_deadline_at_once(app, db, consultant):
    case = open_case(consultant)
    note = note_service.add_note(consultant, case, _values(), case.version)
    due = clock.today() + timedelta(days=3)
    note_service.edit_note(consultant, db.session.get(CaseNote, note.id),
                           _values(follow_up_on=due), _reload(db, case).version)
    assert db.session.scalars(select(Deadline.due_on).where(
        Deadline.source == f"note:{note.id}")).one() == due


@pytest.mark.parametrize("overrides,field", [
    ({"text": ""}, "text"),
    ({"text": "   \n  "}, "text"),
    ({"text": "x" * (note_service.MAX_NOTE_LENGTH + 1)}, "text"),
    ({"text": "Rang \u202ethe client"}, "text"),
    ({"text": "Rang\x00 the client"}, "text"),
    ({"channel": "pigeon"}, "channel"),
    ({"follow_up_on": clock.today() - timedelta(days=1)}, "follow_up_on"),
    ({"follow_up_on": clock.today() + timedelta(days=800)}, "follow_up_on"),
    ({"happened_on": clock.today() + timedelta(days=1)}, "happened_on"),
    ({"happened_on": clock.today() - timedelta(days=6 * 366)}, "happened_on"),
    ({"happened_on": date(1, 1, 1)}, "happened_on"),  # no UTC midnight before it
    ({"happened_on": date(1, 1, 1), "happened_time": time(0, 0)}, "happened_on"),
])
def test_bad_input_is_refused_per_field_and_nothing_is_written(app, db, consultant, overrides,
                                                               field):
    case = open_case(consultant)
    version = case.version
    with pytest.raises(ValidationFailed) as refused:
        note_service.add_note(consultant, case, _values(**overrides), version)
    assert field in refused.value.errors
    assert _count(db, CaseNote) == 0
    assert _reload(db, case).version == version
    assert db.session.scalars(select(AuditEntry).where(
        AuditEntry.entity.like("note:%"))).all() == []


def test_a_time_later_today_is_in_the_future(app, db, consultant, monkeypatch):
    zone = clock.business_timezone()
    noon = datetime.combine(clock.today(), time(12, 0), tzinfo=zone).astimezone(UTC)
    monkeypatch.setattr(note_service, "utcnow", lambda: noon)
    case = open_case(consultant)
    with pytest.raises(ValidationFailed) as refused:
        note_service.add_note(consultant, case, _values(happened_time=time(12, 30)),
                              case.version)
    assert "happened_time" in refused.value.errors
    note = note_service.add_note(consultant, case, _values(happened_time=time(9, 15)),
                                 case.version)
    assert note.happened_at.astimezone(zone).time() == time(9, 15)


def test_multi_line_text_keeps_its_line_breaks(app, db, consultant):
    case = open_case(consultant)
    note = note_service.add_note(consultant, case, _values(text="First line\r\nsecond\tline"),
                                 case.version)
    assert db.session.get(CaseNote, note.id).text == "First line\r\nsecond\tline"


def test_a_stale_version_is_a_conflict_and_writes_nothing(app, db, consultant):
    case = open_case(consultant)
    with pytest.raises(ConflictError):
        note_service.add_note(consultant, case, _values(), case.version - 1)
    with pytest.raises(ConflictError):
        note_service.add_note(consultant, case, _values(), None)
    assert _count(db, CaseNote) == 0


def test_a_closed_case_takes_notes_but_no_follow_up(app, db, consultant):
    case = open_case(consultant)
    case.status = CaseStatus.WITHDRAWN
    db.session.commit()
    assert case.is_closed
    with pytest.raises(ValidationFailed) as refused:
        note_service.add_note(consultant, case, _values(
            follow_up_on=clock.today() + timedelta(days=3)), case.version)
    assert refused.value.errors["follow_up_on"] == [note_service.CLOSED_FOLLOW_UP_MESSAGE]
    note_service.add_note(consultant, case, _values(text="Client rang after withdrawing."),
                          case.version)
    assert _count(db, CaseNote) == 1
    assert _count(db, Deadline) == 0


def test_the_author_corrects_within_the_window_audited_and_marked_edited(app, db, consultant):
    case = open_case(consultant)
    note = note_service.add_note(consultant, case, _values(text="Rang: no answer."),
                                 case.version)
    _age(db, note, 14)
    changes = note_service.edit_note(consultant, note, _values(text="Rang: left a message."),
                                     _reload(db, case).version)
    assert changes == {"text": ["Rang: no answer.", "Rang: left a message."]}
    stored = db.session.get(CaseNote, note.id)
    assert stored.text == "Rang: left a message." and stored.edited_at is not None
    entry = db.session.scalars(select(AuditEntry).where(
        AuditEntry.entity == f"note:{note.id}", AuditEntry.action == "updated")).one()
    assert entry.changes == changes
    case = _reload(db, case)
    assert " left a message" in case.search_text and "no answer" not in case.search_text
    # Sending the same again changes nothing and writes nothing.
    assert note_service.edit_note(consultant, stored, _values(text="Rang: left a message."),
                                  case.version) == {}
    assert _reload(db, case).version == case.version


def test_after_the_window_a_note_stands_as_written(app, db, consultant):
    case = open_case(consultant)
    note = note_service.add_note(consultant, case, _values(text="As written."), case.version)
    _age(db, note, 16)
    with pytest.raises(NotAllowed, match="15 minutes"):
        note_service.edit_note(consultant, note, _values(text="Rewritten."),
                               _reload(db, case).version)
    assert db.session.get(CaseNote, note.id).text == "As written."


def test_the_window_is_a_setting_and_read_against_the_services_clock(app, db, consultant,
                                                                     monkeypatch):
    app.config["NOTE_EDIT_MINUTES"] = 60
    case = open_case(consultant)
    note = note_service.add_note(consultant, case, _values(), case.version)
    written = note.created_at
    monkeypatch.setattr(note_service, "utcnow", lambda: written + timedelta(minutes=59))
    assert note_service.can_edit(consultant, note)
    note_service.edit_note(consultant, note, _values(text="Within the hour."),
                           _reload(db, case).version)
    monkeypatch.setattr(note_service, "utcnow", lambda: written + timedelta(minutes=61))
    with pytest.raises(NotAllowed, match="60 minutes"):
        note_service.edit_note(consultant, note, _values(text="Too late."),
                               _reload(db, case).version)


def test_only_the_author_may_correct_a_note(app, db, consultant, manager):
    case = open_case(consultant)
    note = note_service.add_note(consultant, case, _values(), case.version)
    with pytest.raises(NotAllowed, match="Only the author"):
        note_service.edit_note(manager, note, _values(text="Manager's version."),
                               _reload(db, case).version)
    assert not note_service.can_edit(manager, note)


def test_notes_are_read_newest_first_a_page_at_a_time_in_constant_statements(
        app, db, consultant, manager, count_statements):
    case = open_case(consultant)
    base = datetime.now(UTC) - timedelta(hours=2)
    for number in range(NOTES_PER_PAGE * 2 + 3):
        author = consultant if number % 2 else manager
        db.session.add(CaseNote(case_id=case.id, author_id=author.id,
                                channel=ContactChannel.NOTE, text=f"Note {number}",
                                happened_at=base, created_at=base + timedelta(minutes=number)))
    db.session.commit()
    db.session.expire_all()
    assert case.id  # the case itself loaded before counting
    count_statements.reset()
    first = notes_page(case)
    texts = [n.text for n in first.items]
    assert [n.author.name for n in first.items]  # loaded with the page
    first_count = count_statements.count
    assert texts == [f"Note {n}" for n in range(42, 22, -1)]
    db.session.expire_all()
    assert case.id
    count_statements.reset()
    second = notes_page(case, first.next_cursor)
    assert [n.author.name for n in second.items]
    assert count_statements.count == first_count <= 2
    assert [n.text for n in second.items] == [f"Note {n}" for n in range(22, 2, -1)]
    third = notes_page(case, second.next_cursor)
    assert [n.text for n in third.items] == ["Note 2", "Note 1", "Note 0"]
    assert third.next_cursor is None and third.is_older
    # A cursor that is not one of ours reads as the newest page.
    assert [n.text for n in notes_page(case, "not-a-cursor").items] == texts


def test_a_cases_search_text_takes_its_newest_notes_within_bounds(app, db, consultant):
    case = open_case(consultant)
    texts = [f"word{n} " + "x" * 1000 for n in range(SEARCHED_NOTES + 10)]
    parts = search_parts(case, texts)
    note_parts = parts[-(len(parts) - len(search_parts(case))):]
    assert sum(len(p or "") for p in note_parts) <= SEARCHED_NOTE_CHARS
    assert note_parts[0].startswith("word0 ")
    assert not any((p or "").startswith("word30 ") for p in note_parts)
