"""Review and submission from the case page: who sees what, the gates, overrides, the frozen
package, further information, letters, and forged versions on each of these forms."""

from __future__ import annotations

import hashlib
import io
import re

import pytest
from sqlalchemy import func, select

from caseapp import clock
from caseapp.models import (
    AuditEntry,
    Case,
    Correspondence,
    InformationRequest,
    Review,
    SubmissionPackage,
)
from caseapp.rules.workflow import CaseStatus
from caseapp.services import submission as service
from caseapp.services.cases import VersionCheck
from tests.services.test_documents import pdf_bytes
from tests.services.test_submission import approve, ready_for_review, submit


def page_of(client, case) -> str:
    return client.get(f"/cases/{case.reference}").get_data(as_text=True)


def panel(page: str) -> str:
    match = re.search(r'<section class="panel" id="submission">.*?</section>', page, re.S)
    assert match, "the case page has no review panel"
    return " ".join(match.group(0).split())


def post(client, case, path, data, **kwargs):
    return client.post(f"/cases/{case.reference}/{path}", data=data, follow_redirects=True,
                       **kwargs)


def test_a_consultant_sees_the_gates_but_neither_review_nor_submit(
        app, db, consultant, consultant_client):
    case = ready_for_review(db, consultant, documents=False)
    section = panel(page_of(consultant_client, case))
    assert "✗</span> <strong>Review approved</strong>: No manager has approved" in section
    assert "<strong>Required documents</strong>: Missing: Passport of Mei Ling Tan" in section
    assert "/review" not in section and "/submit" not in section
    for path in ("review", "submit"):
        page = consultant_client.get(f"/cases/{case.reference}/{path}",
                                     follow_redirects=True).get_data(as_text=True)
        assert "Only a manager can" in page
    page = post(consultant_client, case, "submit", {
        "immd_file_number": "Q/1", "submitted_on": clock.today().isoformat(),
        "version": str(case.version)}).get_data(as_text=True)
    assert "Only a manager can submit" in page
    db.session.expire_all()
    assert db.session.get(Case, case.id).status is CaseStatus.READY_FOR_REVIEW


def test_a_manager_approves_then_submits_and_the_page_shows_it_as_submitted(
        app, db, consultant, manager, manager_client):
    case = ready_for_review(db, consultant)
    page = post(manager_client, case, "review", {
        "outcome": "approved", "comment": "Originals seen.", "version": str(case.version)})
    assert f"{case.reference} approved for submission." in page.get_data(as_text=True)
    form = manager_client.get(f"/cases/{case.reference}/submit").get_data(as_text=True)
    assert f'value="{clock.today().isoformat()}"' in form  # the date defaults to today
    page = post(manager_client, case, "submit", {
        "immd_file_number": "QMAS/2026/000777", "submitted_on": clock.today().isoformat(),
        "version": str(case.version)}).get_data(as_text=True)
    assert "submitted to ImmD on" in page
    section = panel(page)
    assert f"As submitted on {clock.today().isoformat()}" in section
    assert "ImmD file <strong>QMAS/2026/000777</strong>" in section
    assert "Approved for submission</strong> · “Originals seen.”" in section
    assert "Edit applicant" not in page and "Record deposit evidence" not in page

    package = db.session.scalars(select(SubmissionPackage)).one()
    shown = manager_client.get(f"/cases/{case.reference}/packages/{package.id}").get_data(
        as_text=True)
    assert package.sha256 in shown and "Police certificate" in shown
    download = manager_client.get(f"/cases/{case.reference}/packages/{package.id}/download")
    assert download.data == package.content.encode()
    assert hashlib.sha256(download.data).hexdigest() == package.sha256
    assert download.headers["Cache-Control"] == "private, no-store"


def test_a_failing_gate_refuses_submission_with_its_message_and_keeps_the_input(
        app, db, consultant, manager, manager_client):
    case = ready_for_review(db, consultant, documents=False)
    approve(manager, case)
    data = {"immd_file_number": "QMAS/2026/000778", "submitted_on": clock.today().isoformat(),
            "version": str(case.version)}
    page = post(manager_client, case, "submit", data).get_data(as_text=True)
    assert "Not ready to submit: Missing: Passport of Mei Ling Tan" in page
    assert 'value="QMAS/2026/000778"' in page
    page = post(manager_client, case, "submit", {**data, "override": "y"}).get_data(
        as_text=True)
    assert "An override needs a written reason." in page
    db.session.expire_all()
    assert db.session.get(Case, case.id).status is CaseStatus.READY_FOR_REVIEW
    page = post(manager_client, case, "submit", {
        **data, "override": "y", "reason": "Originals handed in at the counter."}).get_data(
        as_text=True)
    section = panel(page)
    assert "Overrides" in section and "“Originals handed in at the counter.”" in section
    assert "Missing: Passport of Mei Ling Tan" in section


def test_a_manager_returns_the_case_with_what_to_fix(app, db, consultant, manager_client,
                                                     consultant_client):
    case = ready_for_review(db, consultant)
    page = post(manager_client, case, "review", {
        "outcome": "returned", "comment": "Police certificate expired.",
        "version": str(case.version)}).get_data(as_text=True)
    assert f"returned to {consultant.name}" in page
    db.session.expire_all()
    assert db.session.get(Case, case.id).status is CaseStatus.COLLECTING_DOCUMENTS
    assert "“Police certificate expired.”" in panel(page_of(consultant_client, case))


def test_a_review_without_a_comment_is_a_form_error(app, db, consultant, manager_client):
    case = ready_for_review(db, consultant)
    page = post(manager_client, case, "review", {
        "outcome": "approved", "comment": "", "version": str(case.version)}).get_data(
        as_text=True)
    assert "Say what you checked" in page
    assert db.session.query(Review).count() == 0


def test_after_submission_the_edit_pages_say_why_they_are_closed(
        app, db, consultant, manager, consultant_client):
    case = ready_for_review(db, consultant)
    approve(manager, case)
    submit(manager, case)
    for path in ("applicant", "dependants/new", "deposits/new", "documents/upload"):
        page = consultant_client.get(f"/cases/{case.reference}/{path}",
                                     follow_redirects=True).get_data(as_text=True)
        assert "was submitted to ImmD on" in page, path


def test_further_information_from_request_to_reply(app, db, consultant, manager,
                                                    manager_client, consultant_client):
    case = ready_for_review(db, consultant)
    approve(manager, case)
    submit(manager, case)
    today = clock.today().isoformat()
    page = post(manager_client, case, "information-requests/new", {
        "requested_on": today, "due_on": today, "details": "Employer letter.",
        "version": str(case.version)}).get_data(as_text=True)
    assert "Request for further information recorded" in page
    request = db.session.scalars(select(InformationRequest)).one()
    db.session.expire_all()
    case = db.session.get(Case, case.id)
    response = consultant_client.post(
        f"/cases/{case.reference}/documents/upload",
        data={"kind": "other", "version": str(case.version),
              "file": (io.BytesIO(pdf_bytes("letter")), "employer.pdf", "application/pdf")},
        content_type="multipart/form-data", follow_redirects=True)
    assert "Other uploaded: employer.pdf" in response.get_data(as_text=True)
    db.session.expire_all()
    case = db.session.get(Case, case.id)
    post(consultant_client, case, f"information-requests/{request.id}", {
        "notes": "Letter attached.", "version": str(case.version)})
    db.session.expire_all()
    case = db.session.get(Case, case.id)
    page = post(consultant_client, case, f"information-requests/{request.id}/send", {
        "sent_on": today, "version": str(case.version)}).get_data(as_text=True)
    assert "Reply sent to ImmD" in page
    section = panel(page)
    assert "Further information sent" in section and "answered" in section
    assert db.session.query(SubmissionPackage).count() == 2


def test_a_consultant_cannot_open_a_request_for_further_information(
        app, db, consultant, manager, consultant_client):
    case = ready_for_review(db, consultant)
    approve(manager, case)
    submit(manager, case)
    page = consultant_client.get(f"/cases/{case.reference}/information-requests/new",
                                 follow_redirects=True).get_data(as_text=True)
    assert "Only a manager can open a request" in page


def test_a_letter_is_logged_with_its_date(app, db, consultant, manager, consultant_client):
    case = ready_for_review(db, consultant)
    approve(manager, case)
    submit(manager, case)
    page = post(consultant_client, case, "correspondence/new", {
        "dated": clock.today().isoformat(), "direction": "from_immd",
        "kind": "acknowledgement", "summary": "Acknowledgement, file QMAS/2026/000123.",
        "version": str(case.version)}).get_data(as_text=True)
    assert "Acknowledgement of" in page
    assert "Acknowledgement, file QMAS/2026/000123." in panel(page)
    page = post(consultant_client, case, "correspondence/new", {
        "dated": "", "direction": "", "kind": "", "summary": "kept",
        "version": str(case.version)}).get_data(as_text=True)
    assert "Enter the date of the letter." in page and "kept</textarea>" in page


FORGED = {"missing": None, "empty": "", "not a number": "abc", "stale": "1"}


def _forms(case, request_id):
    today = clock.today().isoformat()
    return {
        "review": ("review", {"outcome": "approved", "comment": "ok"}),
        "submit": ("submit", {"immd_file_number": "Q/1", "submitted_on": today}),
        "information request": ("information-requests/new", {
            "requested_on": today, "due_on": today, "details": "More"}),
        "reply notes": (f"information-requests/{request_id}", {"notes": "n"}),
        "send reply": (f"information-requests/{request_id}/send", {"sent_on": today}),
        "letter": ("correspondence/new", {"dated": today, "direction": "from_immd",
                                          "kind": "other", "summary": "s"}),
    }


@pytest.mark.parametrize("form_name", ["review", "submit", "information request",
                                       "reply notes", "send reply", "letter"])
@pytest.mark.parametrize("forged", list(FORGED))
def test_each_review_and_submission_form_without_its_version_changes_nothing(
        app, db, consultant, manager, manager_client, form_name, forged):
    case = ready_for_review(db, consultant)
    request_id = 0
    if form_name == "submit":
        approve(manager, case)
    elif form_name not in ("review",):
        approve(manager, case)
        submit(manager, case)
        if form_name in ("reply notes", "send reply"):
            today = clock.today()
            request_id = service.open_information_request(
                manager, case, today, "Letter", today, VersionCheck.SKIP).id
            service.save_reply_notes(manager, case, db.session.get(
                InformationRequest, request_id), "draft", VersionCheck.SKIP)
    db.session.expire_all()
    case = db.session.get(Case, case.id)
    version = case.version
    counts = [db.session.scalar(select(func.count()).select_from(model)) for model in
              (AuditEntry, Review, SubmissionPackage, InformationRequest, Correspondence)]
    path, data = _forms(case, request_id)[form_name]
    if FORGED[forged] is not None:
        data["version"] = FORGED[forged]
    page = post(manager_client, case, path, data).get_data(as_text=True)
    assert "while you were editing" in page
    db.session.expire_all()
    assert db.session.get(Case, case.id).version == version
    assert [db.session.scalar(select(func.count()).select_from(model)) for model in
            (AuditEntry, Review, SubmissionPackage, InformationRequest, Correspondence)] == counts
