"""The This week page: who sees what (a consultant their own cases only, managers everyone's
with a consultant filter), overdue / 7 days / 30 days by day, a statement count that does not
grow with the deadlines, and marking a line done or snoozing it (audited, bad input shown
beside the line's field with what was typed)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from caseapp import clock
from caseapp.models import AuditEntry, Case, Deadline, DeadlineKind, Role, User
from caseapp.queries import deadlines as deadline_queries
from caseapp.services import cases as case_service
from tests.factories import applicant_values

URL = "/this-week"


def planned_in(owner: User, days: int, **applicant: object) -> Case:
    """A case whose one deadline in view is its planned submission, ``days`` from today."""
    return case_service.open_case(owner, applicant_values(**applicant),
                                  planned_submission_date=clock.today() + timedelta(days=days))


def deadline_of(case: Case, kind: DeadlineKind = DeadlineKind.PLANNED_SUBMISSION) -> Deadline:
    from caseapp.extensions import db

    return db.session.scalars(select(Deadline).where(
        Deadline.case_id == case.id, Deadline.kind == kind)).one()


def section(page: str, key: str) -> str:
    """The HTML of one section (overdue, soon, later) of the page."""
    start = page.index(f'id="section-{key}"')
    end = page.find("<section", start)
    return page[start:end if end != -1 else len(page)]


def test_anonymous_users_are_sent_to_sign_in(app):
    for response in (app.test_client().get(URL),
                     app.test_client().post("/deadlines/1/done", data={"reason": "x"}),
                     app.test_client().post("/deadlines/1/snooze", data={"reason": "x"})):
        assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_every_signed_in_user_has_the_link_in_the_nav(client_for, make_user):
    for role in Role:
        page = client_for(make_user(role)).get("/profile/").get_data(as_text=True)
        assert f'href="{URL}"' in page, role


def test_a_consultant_sees_their_open_deadlines_by_section_and_day(
        consultant, consultant_client):
    today = clock.today()
    overdue = planned_in(consultant, -3)
    this_week = planned_in(consultant, 0)
    later = planned_in(consultant, 20)
    beyond = planned_in(consultant, 31)
    passport = case_service.open_case(
        consultant, applicant_values(passport_expiry=today + timedelta(days=40)))
    response = consultant_client.get(URL)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert overdue.reference in section(page, "overdue")
    assert passport.reference in section(page, "overdue")  # the warning window opened months ago
    assert this_week.reference in section(page, "soon")
    assert later.reference in section(page, "later")
    assert beyond.reference not in page
    # Each day has its heading, weekday first; each line links to its case and says what to do.
    day = today + timedelta(days=20)
    assert f'<time datetime="{day.isoformat()}">{day.strftime("%A")} {day.day} ' in page
    assert f'href="/cases/{later.reference}"' in page
    assert "Planned submission" in page and "Passport expiry" in page
    assert "have the case reviewed and submitted" in page
    assert f'action="/deadlines/{deadline_of(later).id}/done"' in page
    assert f'action="/deadlines/{deadline_of(later).id}/snooze"' in page
    # Tables stack on phones: every cell names its column.
    assert re.findall(r"<td(?![^>]*data-label)", page) == []


def test_a_consultant_never_sees_another_consultants_deadlines(
        consultant, other_consultant, consultant_client):
    mine = planned_in(consultant, 2)
    theirs = planned_in(other_consultant, 2)
    page = consultant_client.get(URL).get_data(as_text=True)
    assert mine.reference in page and theirs.reference not in page
    # Asking for another consultant's page changes nothing.
    asked = consultant_client.get(f"{URL}?consultant={other_consultant.id}")
    assert theirs.reference not in asked.get_data(as_text=True)
    assert "Consultant</label>" not in asked.get_data(as_text=True)


def test_a_manager_sees_everyones_with_names_and_filters_by_consultant(
        consultant, other_consultant, manager_client):
    mine = planned_in(consultant, 2)
    theirs = planned_in(other_consultant, 5)
    page = manager_client.get(URL).get_data(as_text=True)
    assert mine.reference in page and theirs.reference in page
    assert 'data-label="Consultant">Connie Consultant<' in page
    assert 'data-label="Consultant">Carl Consultant<' in page
    filtered = manager_client.get(f"{URL}?consultant={other_consultant.id}").get_data(
        as_text=True)
    assert theirs.reference in filtered and mine.reference not in filtered
    assert f'<option value="{other_consultant.id}" selected>' in filtered
    unknown = manager_client.get(f"{URL}?consultant=nobody").get_data(as_text=True)
    assert "Choose a consultant from the list." in unknown
    assert mine.reference in unknown and theirs.reference in unknown


def test_an_admin_sees_the_consultancys_page(consultant, make_user, client_for):
    case = planned_in(consultant, 1)
    page = client_for(make_user(Role.ADMIN)).get(URL).get_data(as_text=True)
    assert case.reference in page and "All consultants" in page


def test_closed_cases_and_done_or_snoozed_deadlines_are_not_listed(
        db, consultant, consultant_client):
    from caseapp.rules.workflow import CaseStatus
    from caseapp.services.deadlines import mark_done, snooze
    from caseapp.services.workflow import move_status

    withdrawn = planned_in(consultant, 1)
    move_status(consultant, withdrawn, CaseStatus.WITHDRAWN, "Client changed plans",
                withdrawn.version)
    done = planned_in(consultant, 1)
    mark_done(consultant, deadline_of(done), "Submitted on paper", deadline_of(done).due_on)
    snoozed = planned_in(consultant, 1)
    snooze(consultant, deadline_of(snoozed), clock.today() + timedelta(days=3), "Client away",
           deadline_of(snoozed).due_on)
    shown = planned_in(consultant, 1)
    page = consultant_client.get(URL).get_data(as_text=True)
    assert shown.reference in page
    for case in (withdrawn, done, snoozed):
        assert case.reference not in page


def test_the_statement_count_does_not_grow_with_the_deadlines(
        db, consultant, other_consultant, manager_client, consultant_client,
        count_statements):
    def statements(client) -> int:
        client.get(URL)  # the test's one app context keeps the last request's user: this one
        db.session.expire_all()
        count_statements.reset()
        assert client.get(URL).status_code == 200
        return count_statements.count

    planned_in(consultant, 1)
    few = {"manager": statements(manager_client), "consultant": statements(consultant_client)}
    for days in range(-5, 30, 2):
        planned_in(consultant if days % 4 else other_consultant, days)
        case_service.open_case(consultant, applicant_values(
            passport_expiry=clock.today() + timedelta(days=100 + days)))
    assert statements(manager_client) == few["manager"]
    assert statements(consultant_client) == few["consultant"]
    assert few["manager"] <= 4 and few["consultant"] <= 3, few


def test_the_page_says_when_lines_were_left_out(consultant, consultant_client, monkeypatch):
    monkeypatch.setattr(deadline_queries, "THIS_WEEK_LIMIT", 3)
    cases = [planned_in(consultant, days) for days in (1, 2, 3, 4)]
    page = consultant_client.get(URL).get_data(as_text=True)
    assert "Showing the first 3 deadlines by date" in page
    assert [c.reference in page for c in cases] == [True, True, True, False]


# ---- done and snooze ------------------------------------------------------------------------

def audit_entries(db, action: str) -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def test_marking_done_is_audited_and_the_line_goes(db, consultant, consultant_client):
    case = planned_in(consultant, 1)
    deadline = deadline_of(case)
    response = consultant_client.post(f"/deadlines/{deadline.id}/done",
                                      data={"reason": "Submitted on paper at the counter",
                                            "due_on": deadline.due_on.isoformat()})
    assert response.status_code == 302
    assert response.headers["Location"] == URL
    page = consultant_client.get(URL).get_data(as_text=True)
    assert "Marked done: Planned submission of " + case.reference in page
    assert f'id="deadline-{deadline.id}"' not in page
    db.session.expire_all()
    assert deadline.done_at is not None and deadline.done_by_id == consultant.id
    assert deadline.mark_reason == "Submitted on paper at the counter"
    (entry,) = audit_entries(db, "marked_done")
    assert entry.case_id == case.id and entry.user_id == consultant.id
    assert entry.entity == f"deadline:{deadline.id}"
    assert entry.changes["reason"] == [None, "Submitted on paper at the counter"]


def test_a_manager_marks_any_deadline_and_keeps_the_filter(
        db, consultant, manager_client):
    deadline = deadline_of(planned_in(consultant, 1))
    response = manager_client.post(f"/deadlines/{deadline.id}/snooze", data={
        "reason": "Waiting for the employer letter", "consultant": str(consultant.id),
        "due_on": deadline.due_on.isoformat(),
        "until": (clock.today() + timedelta(days=10)).isoformat()})
    assert response.status_code == 302
    assert response.headers["Location"] == f"{URL}?consultant={consultant.id}"
    (entry,) = audit_entries(db, "snoozed")
    assert entry.changes["snoozed_until"] == [
        None, (clock.today() + timedelta(days=10)).isoformat()]


def test_a_snoozed_deadline_comes_back_on_the_day_it_was_snoozed_to(
        db, consultant, consultant_client, monkeypatch):
    today = clock.today()
    case = planned_in(consultant, 5)
    deadline = deadline_of(case)
    until = today + timedelta(days=3)
    consultant_client.post(f"/deadlines/{deadline.id}/snooze",
                           data={"reason": "Client abroad", "until": until.isoformat(),
                                 "due_on": deadline.due_on.isoformat()})
    link = f'href="/cases/{case.reference}"'
    assert link not in consultant_client.get(URL).get_data(as_text=True)
    monkeypatch.setattr(clock, "today", lambda: until - timedelta(days=1))
    link = f'href="/cases/{case.reference}"'
    assert link not in consultant_client.get(URL).get_data(as_text=True)
    monkeypatch.setattr(clock, "today", lambda: until)
    page = consultant_client.get(URL).get_data(as_text=True)
    assert link in page and "back from a snooze" in page


@pytest.mark.parametrize(("path", "data", "field", "message"), [
    ("done", {"reason": "   "}, "reason", "Say why (a few words are enough)."),
    ("done", {"reason": "x" * 301}, "reason", "Keep the reason to 300 characters."),
    ("snooze", {"reason": "", "until": "TOMORROW"}, "until", "Enter a real date as YYYY-MM-DD."),
    ("snooze", {"reason": "Away", "until": "PAST"}, "until", "Choose a date after today"),
    ("snooze", {"reason": "Away", "until": "TODAY"}, "until", "Choose a date after today"),
    ("snooze", {"reason": "Away", "until": "NEXT_YEAR"}, "until", "Snooze for at most a year"),
    ("snooze", {"reason": "Away", "until": ""}, "until", "Enter the date it should come back"),
    ("snooze", {"reason": "x\u202ey", "until": "TOMORROW"}, "reason", "Invisible control"),
])
def test_bad_input_is_shown_beside_the_lines_field_with_what_was_typed(
        db, consultant, consultant_client, path, data, field, message):
    deadline = deadline_of(planned_in(consultant, 1))
    today = clock.today()
    dates = {"TOMORROW": today + timedelta(days=1), "PAST": today - timedelta(days=2),
             "TODAY": today, "NEXT_YEAR": today + timedelta(days=400)}
    sent = {k: (dates[v].isoformat() if v in dates else v) for k, v in data.items()}
    sent["due_on"] = deadline.due_on.isoformat()
    if data.get("until") == "TOMORROW" and field == "until":
        sent["until"] = "31/12/2026"  # not a date the form reads
    response = consultant_client.post(f"/deadlines/{deadline.id}/{path}", data=sent)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Not saved:" in page and message in page
    field_id = f"snooze-until-{deadline.id}" if field == "until" else f"{path}-reason-{deadline.id}"
    error = re.search(rf'<p class="error" id="{field_id}-error">([^<]*)</p>', page)
    assert error is not None and message in error.group(1).replace("&#39;", "'")
    typed = re.search(rf'id="{field_id}"[^>]*value="([^"]*)"', page)
    assert typed is not None
    if field == "reason" and "\u202e" not in sent["reason"]:
        assert typed.group(1) == sent["reason"]
    if field == "until":
        assert typed.group(1) == sent["until"]
    assert re.search(rf'<details class="replace" open>\s*<summary>'
                     rf'{"Done" if path == "done" else "Snooze"}…', page)
    db.session.expire_all()
    assert deadline.done_at is None and deadline.snoozed_until is None
    assert audit_entries(db, "marked_done") == audit_entries(db, "snoozed") == []


def test_unknown_and_other_consultants_deadlines_are_404(
        db, consultant, other_consultant, consultant_client):
    theirs = deadline_of(planned_in(other_consultant, 1))
    tomorrow = (clock.today() + timedelta(days=1)).isoformat()
    for deadline_id in (theirs.id, 999_999):
        assert consultant_client.post(f"/deadlines/{deadline_id}/done",
                                      data={"reason": "done"}).status_code == 404
        assert consultant_client.post(f"/deadlines/{deadline_id}/snooze", data={
            "reason": "later", "until": tomorrow}).status_code == 404
    db.session.expire_all()
    assert theirs.done_at is None and theirs.snoozed_until is None


def test_marking_a_deadline_already_done_says_so(db, consultant, consultant_client):
    deadline = deadline_of(planned_in(consultant, 1))
    seen = {"reason": "Done", "due_on": deadline.due_on.isoformat()}
    consultant_client.post(f"/deadlines/{deadline.id}/done", data=seen)
    again = consultant_client.post(f"/deadlines/{deadline.id}/done", data=seen,
                                   follow_redirects=True)
    assert "Not saved: This deadline is already marked done." in again.get_data(as_text=True)
    assert len(audit_entries(db, "marked_done")) == 1


def test_the_forms_need_the_csrf_token(app, consultant, client_for):
    deadline = deadline_of(planned_in(consultant, 1))
    app.config["WTF_CSRF_ENABLED"] = True
    response = client_for(consultant).post(f"/deadlines/{deadline.id}/done", data={
        "reason": "Done", "due_on": deadline.due_on.isoformat()})
    assert response.status_code == 400
    assert deadline.done_at is None


def test_the_page_carries_no_date_of_birth_or_passport_number(consultant, consultant_client):
    planned_in(consultant, 1)
    page = consultant_client.get(URL).get_data(as_text=True)
    assert "A12345678" not in page and "1990-05-17" not in page


@pytest.mark.parametrize("seen", ["OLD", "", "not-a-date"])
def test_a_mark_from_a_page_shown_before_the_date_moved_is_refused(
        db, consultant, consultant_client, seen):
    """A new planned date (or a new passport) moved the deadline since the page was shown:
    a Done meant for the old date must not silence the new one."""
    case = planned_in(consultant, 5)
    deadline = deadline_of(case)
    shown = (deadline.due_on - timedelta(days=4)).isoformat() if seen == "OLD" else seen
    response = consultant_client.post(f"/deadlines/{deadline.id}/done", data={
        "reason": "Client is renewing", "due_on": shown}, follow_redirects=True)
    assert "This deadline changed since the page was shown" in response.get_data(as_text=True)
    db.session.expire_all()
    assert deadline.done_at is None and audit_entries(db, "marked_done") == []
