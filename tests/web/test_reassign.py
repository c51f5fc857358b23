"""Reassigning cases from the pages: one case from its page, the cases selected on the list, and
every case matching the list's filter. Managers and admins only. Both databases."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from caseapp.models import AuditEntry, Case
from caseapp.rules.workflow import CaseStatus
from caseapp.services import users as user_service
from caseapp.services.workflow import move_status
from caseapp.web.manage import reassign as reassign_pages
from tests.factories import applicant_form, open_case


def consultant_of(db, case: Case) -> int:
    return db.session.scalar(select(Case.consultant_id).where(Case.id == case.id))


def reassigned_case_ids(db) -> list[int]:
    return sorted(db.session.scalars(
        select(AuditEntry.case_id).where(AuditEntry.action == "reassigned")))


def text(response) -> str:
    """The page's words, without tags (which stay in ``response.get_data``)."""
    return " ".join(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)).split())


# ---- who may ---------------------------------------------------------------------------------

@pytest.mark.parametrize("method,path", [
    ("post", "/manage/reassign"),
    ("get", "/manage/reassign/all"),
    ("post", "/manage/reassign/all"),
    ("post", "/manage/reassign/{reference}"),
])
def test_consultants_get_403_on_every_reassign_route(app, db, consultant, other_consultant,
                                                     consultant_client, method, path):
    case = open_case(consultant)
    response = getattr(consultant_client, method)(
        path.format(reference=case.reference),
        data={"case_id": str(case.id), "consultant": str(other_consultant.id),
              "reason": "Mine now", "expected": "1"})
    assert response.status_code == 403
    assert consultant_of(db, case) == consultant.id
    assert reassigned_case_ids(db) == []


def test_the_case_page_offers_reassignment_to_managers_only_and_on_open_cases(
        app, consultant, other_consultant, manager_client, consultant_client):
    case = open_case(consultant)
    page = manager_client.get(f"/cases/{case.reference}").get_data(as_text=True)
    assert f'action="/manage/reassign/{case.reference}"' in page
    # The current consultant is not offered; the other active consultant is.
    form = page[page.index('id="reassign"'):]
    form = form[:form.index("</section>")]
    assert "Carl Consultant</option>" in form and "Connie Consultant</option>" not in form
    assert "/manage/reassign/" not in consultant_client.get(
        f"/cases/{case.reference}").get_data(as_text=True)
    move_status(consultant, case, CaseStatus.WITHDRAWN, "Client withdrew", case.version)
    assert "/manage/reassign/" not in manager_client.get(
        f"/cases/{case.reference}").get_data(as_text=True)


# ---- one case ----------------------------------------------------------------------------------

def test_one_case_moves_with_its_history_and_the_consultants_see_it_move(
        app, db, consultant, other_consultant, manager_client, client_for):
    case = open_case(consultant)
    response = manager_client.post(f"/manage/reassign/{case.reference}", data={
        "consultant": str(other_consultant.id), "reason": "Connie is on leave"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/cases/{case.reference}#reassign")
    page = text(manager_client.get(response.headers["Location"]))
    assert f"{case.reference} reassigned to Carl Consultant." in page
    assert consultant_of(db, case) == other_consultant.id

    history = text(manager_client.get(f"/cases/{case.reference}/history"))
    assert "reassigned the case" in history
    assert "Connie Consultant" in history and "Carl Consultant" in history
    assert "Connie is on leave" in history

    assert client_for(consultant).get(f"/cases/{case.reference}").status_code == 404
    assert case.reference not in client_for(consultant).get("/").get_data(as_text=True)
    carl = client_for(other_consultant)
    assert case.reference in carl.get("/").get_data(as_text=True)
    assert carl.get(f"/cases/{case.reference}").status_code == 200


def test_one_case_refused_says_why_and_changes_nothing(app, db, consultant, other_consultant,
                                                       manager, manager_client):
    case = open_case(consultant)
    user_service.set_active(other_consultant, False)
    for data, message in [
        ({"consultant": str(other_consultant.id), "reason": "Leave"}, "is deactivated"),
        ({"consultant": str(manager.id), "reason": "Leave"}, "is a manager, not a consultant"),
        ({"consultant": "", "reason": "Leave"}, "Choose the consultant"),
        ({"consultant": str(consultant.id), "reason": " "}, "Give the reason"),
    ]:
        response = manager_client.post(f"/manage/reassign/{case.reference}", data=data,
                                       follow_redirects=True)
        page = text(response)
        assert "The case was not reassigned" in page and message in page
    assert consultant_of(db, case) == consultant.id
    assert reassigned_case_ids(db) == []


def test_a_form_opened_before_the_reassignment_conflicts_when_saved_after_it(
        app, db, consultant, other_consultant, manager, manager_client, client_for):
    case = open_case(consultant)
    editor = client_for(manager)
    assert b'name="version" type="hidden" value="1"' in editor.get(
        f"/cases/{case.reference}/applicant").data
    manager_client.post(f"/manage/reassign/{case.reference}", data={
        "consultant": str(other_consultant.id), "reason": "Leave"})
    response = editor.post(f"/cases/{case.reference}/applicant",
                           data=applicant_form(phone="2123 4567", version="1"))
    assert response.status_code == 200
    assert "Mona Manager changed this case" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Case, case.id).applicant.phone != "+85221234567"


# ---- the selection on the list -----------------------------------------------------------------

def test_selected_cases_move_and_the_list_comes_back(app, db, consultant, other_consultant,
                                                     manager_client):
    a, b, left = open_case(consultant), open_case(consultant), open_case(consultant)
    closed = open_case(consultant)
    move_status(consultant, closed, CaseStatus.WITHDRAWN, "Client withdrew", closed.version)
    response = manager_client.post("/manage/reassign", data={
        "case_id": [str(a.id), str(b.id), str(closed.id)],
        "consultant": str(other_consultant.id), "reason": "Rebalancing",
        "next": "/?status=intake&sort=name"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/?status=intake&sort=name"
    page = text(manager_client.get("/"))
    assert ("2 cases reassigned to Carl Consultant. 1 closed case skipped: closed cases are "
            "read-only.") in page
    assert [consultant_of(db, c) for c in (a, b, left, closed)] == [
        other_consultant.id, other_consultant.id, consultant.id, consultant.id]
    assert reassigned_case_ids(db) == sorted([a.id, b.id])


def test_the_list_offers_what_the_selection_posts(app, consultant, other_consultant,
                                                  manager_client):
    open_case(consultant)
    page = manager_client.get("/").get_data(as_text=True)
    form = page[page.index('id="selection"') - 200:]
    assert 'action="/manage/reassign"' in form
    for name in ('name="case_id"', 'name="consultant"', 'name="reason"', 'name="next"'):
        assert name in form


def test_a_refused_selection_shows_the_confirmation_page_with_what_was_typed(
        app, db, consultant, other_consultant, manager_client, monkeypatch):
    monkeypatch.setattr(reassign_pages, "PREVIEW_ROWS", 2)
    cases = [open_case(consultant, family_name=f"Family{i}") for i in range(3)]
    user_service.set_active(other_consultant, False)
    response = manager_client.post("/manage/reassign", data={
        "case_id": [str(c.id) for c in cases], "consultant": str(other_consultant.id),
        "reason": "", "next": "/?status=intake"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    page = " ".join(html.split())
    assert "Reassign 3 selected cases" in page
    assert "Carl Consultant is deactivated: choose an active consultant." in page
    assert "Give the reason for the reassignment" in page
    # The first two are listed, the rest counted; every selected id is kept for the retry.
    assert cases[0].reference in page and cases[1].reference in page
    assert cases[2].reference not in page
    assert "and 1 more." in page
    for case in cases:
        assert f'name="case_id" value="{case.id}"' in html
    assert 'value="/?status=intake"' in html
    assert [consultant_of(db, c) for c in cases] == [consultant.id] * 3
    assert reassigned_case_ids(db) == []

    # What was typed is kept after a refusal on the reason alone.
    response = manager_client.post("/manage/reassign", data={
        "case_id": [str(cases[0].id)], "consultant": str(consultant.id), "reason": "x" * 2001})
    html = response.get_data(as_text=True)
    assert "2000 characters or fewer" in html
    assert f'<option selected value="{consultant.id}">' in html
    assert "x" * 2001 in html


def test_nothing_selected_goes_back_with_a_message(app, manager_client, other_consultant):
    response = manager_client.post("/manage/reassign", data={
        "consultant": str(other_consultant.id), "reason": "x", "next": "/?q=tan"})
    assert response.headers["Location"] == "/?q=tan"
    assert "Select the cases to reassign first" in text(manager_client.get("/"))


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/",
                                    "/\\evil.example", "javascript:alert(1)"])
def test_next_stays_on_this_site(app, consultant, other_consultant, manager_client, target):
    case = open_case(consultant)
    response = manager_client.post("/manage/reassign", data={
        "case_id": str(case.id), "consultant": str(other_consultant.id), "reason": "x",
        "next": target})
    assert response.headers["Location"] == "/"


# ---- every case matching the filter ----------------------------------------------------------

def test_all_matching_cases_are_confirmed_then_moved(app, db, consultant, other_consultant,
                                                     manager_client):
    connies = [open_case(consultant) for _ in range(5)]
    on_hold = open_case(consultant)
    move_status(consultant, on_hold, CaseStatus.ON_HOLD, "Client travelling", on_hold.version)
    closed = open_case(consultant)
    move_status(consultant, closed, CaseStatus.WITHDRAWN, "Client withdrew", closed.version)
    carls = [open_case(other_consultant)]
    url = f"/manage/reassign/all?consultant={consultant.id}&status=intake&status=withdrawn"

    response = manager_client.get(url)
    page, html = text(response), response.get_data(as_text=True)
    assert "Status Intake, Withdrawn" in page
    assert "Consultant Connie Consultant" in page
    assert "6 cases match this filter now" in page
    assert 'name="expected" type="hidden" value="6"' in html
    assert "Carl Consultant</option>" in html

    response = manager_client.post(url, data={
        "consultant": str(other_consultant.id), "reason": "Connie leaves", "expected": "6"})
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith("/?") and f"consultant={consultant.id}" in location
    message = text(manager_client.get("/"))
    assert "5 cases reassigned to Carl Consultant. 1 closed case skipped" in message
    assert [consultant_of(db, c) for c in connies] == [other_consultant.id] * 5
    assert consultant_of(db, on_hold) == consultant.id  # not matching the filter
    assert consultant_of(db, closed) == consultant.id  # closed: skipped
    assert consultant_of(db, carls[0]) == other_consultant.id
    assert reassigned_case_ids(db) == sorted(c.id for c in connies)

    history = text(manager_client.get(f"/cases/{connies[0].reference}/history"))
    assert "reassigned the case" in history and "Connie leaves" in history


def test_all_matching_refuses_when_the_count_changed_or_the_input_is_wrong(
        app, db, consultant, other_consultant, manager, manager_client):
    cases = [open_case(consultant) for _ in range(2)]
    url = f"/manage/reassign/all?consultant={consultant.id}"
    response = manager_client.post(url, data={
        "consultant": str(other_consultant.id), "reason": "Leave", "expected": "5"})
    assert response.status_code == 200
    assert "The filter now matches 2 cases, not 5" in text(response)
    assert 'name="expected" type="hidden" value="2"' in response.get_data(as_text=True)

    response = manager_client.post(url, data={
        "consultant": str(manager.id), "reason": "", "expected": "2"})
    page = text(response)
    assert "is a manager, not a consultant" in page and "Give the reason" in page
    assert [consultant_of(db, c) for c in cases] == [consultant.id] * 2
    assert reassigned_case_ids(db) == []


def test_all_matching_with_an_unreadable_filter_offers_nothing(app, db, consultant,
                                                               other_consultant, manager_client):
    case = open_case(consultant)
    url = "/manage/reassign/all?status=nonsense&opened_from=yesterday"
    response = manager_client.get(url)
    assert "cannot be read" in text(response) and "Unknown status" in text(response)
    assert 'name="reason"' not in response.get_data(as_text=True)
    response = manager_client.post(url, data={
        "consultant": str(other_consultant.id), "reason": "Leave", "expected": "1"})
    assert response.status_code == 200
    assert consultant_of(db, case) == consultant.id


def test_the_list_links_to_reassigning_all_with_its_filter(app, consultant, manager_client):
    open_case(consultant)
    html = manager_client.get("/?status=intake").get_data(as_text=True)
    link = re.search(r'href="(/manage/reassign/all\?[^"]+)"', html).group(1).replace("&amp;", "&")
    page = text(manager_client.get(link))
    assert "1 case matches this filter now" in page
