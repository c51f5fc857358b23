"""Notes on the case page (issue 12): added from the case page's form (errors beside the
field on the note page, the typed text kept, nothing stored), shown newest first with line
breaks kept and escaped, paged, corrected by their author within the window, found by the
managers' search."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from caseapp import clock
from caseapp.models import AuditEntry, Case, CaseNote, ContactChannel, Deadline, DeadlineKind
from caseapp.queries.notes import NOTES_PER_PAGE
from caseapp.services import notes as note_service
from tests.factories import open_case


def _form(case: Case, **overrides: str) -> dict[str, str]:
    form = {"channel": "phone", "happened_on": clock.today().isoformat(), "happened_time": "",
            "text": "Rang the client about the bank letter.", "follow_up_on": "",
            "version": str(case.version)}
    form.update(overrides)
    return {f"note-{name}": value for name, value in form.items()}


def _notes(db) -> list[CaseNote]:
    return list(db.session.scalars(select(CaseNote)))


def _reload(db, case: Case) -> Case:
    db.session.expire_all()
    return db.session.get(Case, case.id)


def test_the_case_page_adds_a_note_with_a_follow_up_that_becomes_a_deadline(
        app, db, consultant, consultant_client):
    case = open_case(consultant)
    page = consultant_client.get(f"/cases/{case.reference}").get_data(as_text=True)
    assert 'id="notes"' in page and "No notes yet." in page
    assert f'action="/cases/{case.reference}/notes/new"' in page
    assert f'name="note-version" type="hidden" value="{case.version}"' in page
    due = clock.today() + timedelta(days=7)
    response = consultant_client.post(
        f"/cases/{case.reference}/notes/new",
        data=_form(case, text="Client will send\nthe <b>payslips</b>.",
                   follow_up_on=due.isoformat()))
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/cases/{case.reference}#notes")
    [note] = _notes(db)
    assert note.text == "Client will send\nthe <b>payslips</b>."
    assert note.channel is ContactChannel.PHONE and note.author_id == consultant.id
    deadline = db.session.scalars(select(Deadline).where(
        Deadline.source == f"note:{note.id}")).one()
    assert (deadline.kind, deadline.due_on) == (DeadlineKind.FOLLOW_UP, due)
    assert db.session.scalars(select(AuditEntry.action).where(
        AuditEntry.entity == f"note:{note.id}")).all() == ["created"]

    page = consultant_client.get(f"/cases/{case.reference}").get_data(as_text=True)
    assert "Client will send<br>the &lt;b&gt;payslips&lt;/b&gt;." in page
    assert "<b>payslips" not in page
    assert "Phone call" in page and due.isoformat() in page
    assert consultant.name in page


TYPED = "Kept as typed: the payslip question."


@pytest.mark.parametrize("overrides,message,kept", [
    ({"text": ""}, note_service.EMPTY_MESSAGE, None),
    ({"text": "   "}, note_service.EMPTY_MESSAGE, None),
    ({"text": "y" * (note_service.MAX_NOTE_LENGTH + 1)}, note_service.TOO_LONG_MESSAGE,
     "y" * (note_service.MAX_NOTE_LENGTH + 1)),
    ({"follow_up_on": (clock.today() - timedelta(days=1)).isoformat()},
     note_service.PAST_FOLLOW_UP_MESSAGE, TYPED),
    # The invisible character is taken out; the rest comes back to be sent again.
    ({"text": "Rang \u202ethe client"}, "Invisible control or text-direction characters",
     "Rang the client"),
    ({"text": "Rang\x07 the client"}, "Invisible control or text-direction characters",
     "Rang the client"),
    ({"happened_on": (clock.today() + timedelta(days=2)).isoformat()},
     "This date cannot be in the future.", TYPED),
    ({"happened_time": "25:99"}, "Enter a time as HH:MM", TYPED),
])
def test_bad_input_is_shown_beside_its_field_keeping_the_typed_text_and_storing_nothing(
        app, db, consultant, consultant_client, overrides, message, kept):
    case = open_case(consultant)
    form = _form(case, **{"text": TYPED, **overrides})
    response = consultant_client.post(f"/cases/{case.reference}/notes/new", data=form)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert message in page
    assert "Nothing was saved" in page
    assert 'class="field has-error"' in page
    if kept is not None:
        assert kept in page
    assert _notes(db) == []
    assert _reload(db, case).version == case.version


def test_a_stale_form_is_refused_with_a_message_and_the_text_kept(app, db, consultant,
                                                                 consultant_client):
    case = open_case(consultant)
    stale = case.version
    note_service.add_note(consultant, case, {"text": "Someone else's note.",
                                             "happened_on": clock.today()}, case.version)
    response = consultant_client.post(f"/cases/{case.reference}/notes/new",
                                      data=_form(case, text="My words.", version=str(stale)))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "while you were editing" in page and "My words." in page
    assert (f'id="note-version" name="note-version" type="hidden" '
            f'value="{_reload(db, case).version}"') in page  # saving again goes through
    assert len(_notes(db)) == 1


def test_notes_show_newest_first_and_page_to_the_older_ones(app, db, consultant,
                                                             consultant_client):
    case = open_case(consultant)
    now = datetime.now(UTC)
    for number in range(NOTES_PER_PAGE + 5):
        db.session.add(CaseNote(case_id=case.id, author_id=consultant.id,
                                channel=ContactChannel.NOTE, text=f"Entry number {number:02d}",
                                happened_at=now, created_at=now - timedelta(minutes=100 - number)))
    db.session.commit()
    page = consultant_client.get(f"/cases/{case.reference}").get_data(as_text=True)
    shown = [n for n in range(NOTES_PER_PAGE + 5) if f"Entry number {n:02d}" in page]
    assert shown == list(range(5, NOTES_PER_PAGE + 5))
    assert page.index("Entry number 24") < page.index("Entry number 05")
    assert "Older notes" in page
    older_link = page.split('Older notes')[0].rsplit('href="', 1)[1].split('"')[0]
    older = consultant_client.get(older_link.replace("&amp;", "&")).get_data(as_text=True)
    assert [n for n in range(NOTES_PER_PAGE + 5) if f"Entry number {n:02d}" in older] == [
        0, 1, 2, 3, 4]
    assert "Newest notes" in older and "Older notes →" not in older


def test_the_author_corrects_a_note_within_the_window(app, db, consultant, consultant_client):
    case = open_case(consultant)
    note = note_service.add_note(consultant, case, {"text": "Rang: no answer.",
                                                    "happened_on": clock.today(),
                                                    "channel": "phone"}, case.version)
    case = _reload(db, case)
    page = consultant_client.get(f"/cases/{case.reference}").get_data(as_text=True)
    edit_url = f"/cases/{case.reference}/notes/{note.id}/edit"
    assert edit_url in page
    form = consultant_client.get(edit_url).get_data(as_text=True)
    assert "Rang: no answer." in form
    response = consultant_client.post(edit_url, data=_form(case, text="Rang: left a message."))
    assert response.status_code == 302
    assert db.session.get(CaseNote, note.id).text == "Rang: left a message."
    page = consultant_client.get(f"/cases/{case.reference}").get_data(as_text=True)
    assert "Rang: left a message." in page and ">edited<" in page
    assert [a for a in db.session.scalars(select(AuditEntry.action).where(
        AuditEntry.entity == f"note:{note.id}").order_by(AuditEntry.id))] == [
        "created", "updated"]


def test_after_the_window_or_for_another_user_the_note_stands(app, db, consultant, manager,
                                                              consultant_client, manager_client):
    case = open_case(consultant)
    note = note_service.add_note(consultant, case, {"text": "As written.",
                                                    "happened_on": clock.today()}, case.version)
    edit_url = f"/cases/{case.reference}/notes/{note.id}/edit"
    # Another user (a manager sees the case) may not correct it.
    assert edit_url not in manager_client.get(f"/cases/{case.reference}").get_data(as_text=True)
    response = manager_client.post(edit_url, data=_form(_reload(db, case), text="Changed."))
    assert response.status_code == 302
    flashed = manager_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Only the author of a note can correct it" in flashed

    stored = db.session.get(CaseNote, note.id)
    stored.created_at -= timedelta(minutes=16)
    db.session.commit()
    page = consultant_client.get(f"/cases/{case.reference}").get_data(as_text=True)
    assert edit_url not in page
    response = consultant_client.post(edit_url, data=_form(_reload(db, case), text="Changed."))
    assert response.status_code == 302
    flashed = consultant_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "stands as written" in flashed
    assert consultant_client.get(edit_url).status_code == 302
    assert db.session.get(CaseNote, note.id).text == "As written."


def test_a_manager_may_add_a_note_to_any_case(app, db, consultant, manager, manager_client):
    case = open_case(consultant)
    response = manager_client.post(f"/cases/{case.reference}/notes/new",
                                   data=_form(case, text="Reviewed the file."))
    assert response.status_code == 302
    [note] = _notes(db)
    assert note.author_id == manager.id


@pytest.mark.parametrize("method,path", [
    ("get", "/notes"), ("get", "/notes/new"), ("post", "/notes/new"),
    ("get", "/notes/{note}/edit"), ("post", "/notes/{note}/edit"),
])
def test_another_consultants_case_is_not_found(app, db, consultant, other_consultant,
                                               client_for, method, path):
    case = open_case(other_consultant)
    note = note_service.add_note(other_consultant, case, {"text": "Theirs.",
                                                          "happened_on": clock.today()},
                                 case.version)
    url = f"/cases/{case.reference}" + path.format(note=note.id)
    response = getattr(client_for(consultant), method)(url, data=_form(case, text="Mine."))
    assert response.status_code == 404
    assert [n.text for n in _notes(db)] == ["Theirs."]


def test_a_note_of_another_case_is_not_found_through_this_one(app, db, consultant,
                                                              consultant_client):
    mine, other = open_case(consultant), open_case(consultant)
    note = note_service.add_note(consultant, other, {"text": "Other case.",
                                                     "happened_on": clock.today()},
                                 other.version)
    response = consultant_client.get(f"/cases/{mine.reference}/notes/{note.id}/edit")
    assert response.status_code == 404


def test_a_closed_case_takes_notes_but_refuses_a_follow_up_beside_the_field(
        app, db, consultant, consultant_client):
    from caseapp.rules.workflow import CaseStatus

    case = open_case(consultant)
    case.status = CaseStatus.WITHDRAWN
    db.session.commit()
    response = consultant_client.post(
        f"/cases/{case.reference}/notes/new",
        data=_form(case, follow_up_on=(clock.today() + timedelta(days=3)).isoformat()))
    assert response.status_code == 200
    assert note_service.CLOSED_FOLLOW_UP_MESSAGE in response.get_data(as_text=True)
    assert _notes(db) == []
    response = consultant_client.post(f"/cases/{case.reference}/notes/new",
                                      data=_form(_reload(db, case)))
    assert response.status_code == 302
    assert len(_notes(db)) == 1


def test_the_managers_search_finds_a_case_by_a_word_of_its_notes(
        app, db, consultant, consultant_client, manager_client):
    found = open_case(consultant, family_name="Alpha")
    other = open_case(consultant, family_name="Beta")
    consultant_client.post(f"/cases/{found.reference}/notes/new",
                           data=_form(found, text="Client works at Quetzalcoatl Holdings."))
    assert db.session.scalar(select(func.count()).select_from(CaseNote)) == 1
    page = manager_client.get("/?q=quetzalcoatl").get_data(as_text=True)
    assert found.reference in page
    assert other.reference not in page
