"""Submission to ImmD over the API: the gates and their overrides, the frozen packages,
ImmD's requests for further information and the correspondence log."""

from __future__ import annotations

import hashlib
import io
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from caseapp import clock
from caseapp.models import (
    AuditEntry,
    Case,
    Correspondence,
    InformationRequest,
    StatusChange,
    SubmissionPackage,
    User,
)
from caseapp.rules.workflow import CaseStatus
from caseapp.services import documents as document_service
from caseapp.services.cases import VersionCheck
from caseapp.services.checks import run_checks
from tests.api.conftest import ApiClient
from tests.factories import open_case, record_linked_deposit
from tests.services.test_documents import pdf_bytes
from tests.services.test_submission import approve, ready_for_review, submit

TODAY = clock.today()


def fresh(db, case: Case) -> Case:
    db.session.expire_all()
    return db.session.get(Case, case.id)


def count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def submit_path(case: Case) -> str:
    return f"/api/v1/cases/{case.reference}/submit"


def lodging(**overrides) -> dict:
    return {"immd_file_number": "QMAS/2026/000777", "submitted_on": TODAY.isoformat(),
            **overrides}


@pytest.fixture
def approved(db, consultant: User, manager: User) -> Case:
    case = ready_for_review(db, consultant)
    approve(manager, case)
    return case


# ---- submitting --------------------------------------------------------------------------------

def test_a_manager_submits_and_the_frozen_package_is_what_was_sent(
        db, approved: Case, manager: User, manager_api: ApiClient,
        consultant_api: ApiClient) -> None:
    case = approved
    version = case.version
    response = manager_api.post(submit_path(case), if_match=case, json=lodging())
    assert response.status_code == 201, response.json
    package = response.json
    location = f"/api/v1/cases/{case.reference}/packages/{package['id']}"
    assert response.headers["Location"] == location
    assert response.headers["ETag"] == f'"{version + 1}"'
    assert package["kind"] == "submission" and package["sent_on"] == TODAY.isoformat()
    assert package["content"]["case"]["immd_file_number"] == "QMAS/2026/000777"
    assert package["content"]["check"]["verdict"] == "eligible"
    assert package["content"]["overridden_gates"] == []

    read = consultant_api.get(f"/api/v1/cases/{case.reference}").json
    assert (read["status"], read["immd_file_number"], read["submitted_on"]) == (
        "submitted", "QMAS/2026/000777", TODAY.isoformat())
    assert consultant_api.get(location).json == package
    listed = consultant_api.get(f"/api/v1/cases/{case.reference}/packages").json["items"]
    assert [p["id"] for p in listed] == [package["id"]] and "content" not in listed[0]
    download = consultant_api.get(location + "/download")
    assert download.status_code == 200
    assert download.headers["Content-Type"] == "application/json; charset=utf-8"
    assert hashlib.sha256(download.data).hexdigest() == package["sha256"]
    assert download.json == package["content"]

    entry = db.session.scalars(select(AuditEntry).filter_by(action="submitted")).one()
    assert entry.via == "api" and entry.api_token.user_id == manager.id


def test_a_failing_gate_not_named_refuses_the_submission(
        db, consultant: User, manager: User, manager_api: ApiClient) -> None:
    case = ready_for_review(db, consultant, documents=False)
    approve(manager, case)
    response = manager_api.post(submit_path(case), if_match=case, json=lodging())
    assert response.status_code == 409
    message = response.json["errors"]["request"][0]
    assert message.startswith("Not ready to submit: Missing: Passport of Mei Ling Tan")
    assert "override it by name" in message
    assert fresh(db, case).status is CaseStatus.READY_FOR_REVIEW
    assert count(db, SubmissionPackage) == 0


def test_each_failing_gate_is_overridden_by_name_with_its_reason(
        db, consultant: User, manager: User, manager_api: ApiClient) -> None:
    case = ready_for_review(db, consultant, documents=False)
    record_linked_deposit(consultant, case)  # pending verification: the deposits gate fails
    run_checks(consultant, case)
    approve(manager, case)
    only_one = manager_api.post(submit_path(case), if_match=case, json=lodging(
        overrides={"documents": "Originals handed in at the counter."}))
    assert only_one.status_code == 409
    assert "pending verification" in only_one.json["errors"]["request"][0]
    assert count(db, SubmissionPackage) == 0

    response = manager_api.post(submit_path(case), if_match=case, json=lodging(overrides={
        "documents": "Originals handed in at the counter.",
        "deposits": "Bank confirmed the balance by phone.",
        "passport": "Not failing: not an override."}))
    assert response.status_code == 201, response.json
    assert [g["gate"] for g in response.json["content"]["overridden_gates"]] == [
        "documents", "deposits"]
    move = db.session.scalars(select(StatusChange).filter_by(
        to_status=CaseStatus.SUBMITTED)).one()
    assert move.override is True
    assert move.reason == ("Required documents: Originals handed in at the counter.\n"
                           "Deposit evidence reviewed: Bank confirmed the balance by phone.")


@pytest.mark.parametrize("body,field", [
    (lodging(submitted_on=(TODAY + timedelta(days=1)).isoformat()), "submitted_on"),
    (lodging(submitted_on="2020-01-01"), "submitted_on"),  # before the case was opened
    (lodging(submitted_on="yesterday"), "submitted_on"),
    (lodging(immd_file_number="<script>"), "immd_file_number"),
    (lodging(immd_file_number="X" * 41), "immd_file_number"),
    (lodging(immd_file_number=""), "immd_file_number"),
    (lodging(overrides={"review": "I approve it myself."}), "overrides"),
    (lodging(overrides={"documents": ""}), "overrides"),
    ({"immd_file_number": "QMAS/1"}, "submitted_on"),
])
def test_a_submission_that_breaks_a_rule_is_422_and_sends_nothing(
        db, approved: Case, manager_api: ApiClient, body, field) -> None:
    response = manager_api.post(submit_path(approved), if_match=approved, json=body)
    assert response.status_code == 422
    assert list(response.json["errors"]) == [field]
    assert fresh(db, approved).status is CaseStatus.READY_FOR_REVIEW
    assert count(db, SubmissionPackage) == 0


def test_an_override_reason_with_invisible_characters_is_422(
        db, consultant: User, manager: User, manager_api: ApiClient) -> None:
    case = ready_for_review(db, consultant, documents=False)
    approve(manager, case)
    response = manager_api.post(submit_path(case), if_match=case, json=lodging(
        overrides={"documents": "Handed in\u200f"}))
    assert response.status_code == 422
    assert list(response.json["errors"]) == ["overrides"]
    assert count(db, SubmissionPackage) == 0


def test_a_consultant_may_not_submit(db, approved: Case, consultant_api: ApiClient) -> None:
    response = consultant_api.post(submit_path(approved), if_match=approved, json=lodging())
    assert response.status_code == 403
    assert fresh(db, approved).status is CaseStatus.READY_FOR_REVIEW


def test_the_review_cannot_be_overridden(db, consultant: User,
                                         manager_api: ApiClient) -> None:
    case = ready_for_review(db, consultant)
    response = manager_api.post(submit_path(case), if_match=case, json=lodging())
    assert response.status_code == 409
    assert "No manager has approved" in response.json["errors"]["request"][0]
    assert count(db, SubmissionPackage) == 0


def test_submitting_needs_if_match_and_a_stale_one_sends_nothing(
        db, approved: Case, manager_api: ApiClient) -> None:
    assert manager_api.post(submit_path(approved), json=lodging()).status_code == 428
    stale = manager_api.post(submit_path(approved), json=lodging(), if_match='"1"')
    assert stale.status_code == 412
    assert count(db, SubmissionPackage) == 0
    assert fresh(db, approved).status is CaseStatus.READY_FOR_REVIEW


def test_another_consultants_packages_are_not_found(
        db, approved: Case, manager: User, other_consultant: User, api_for) -> None:
    package = submit(manager, approved)
    other = api_for(other_consultant)
    base = f"/api/v1/cases/{approved.reference}"
    for path in ("/packages", f"/packages/{package.id}", f"/packages/{package.id}/download",
                 "/information-requests", "/correspondence"):
        assert other.get(base + path).status_code == 404, path


def test_a_package_of_another_case_is_not_found_under_this_one(
        db, approved: Case, consultant: User, manager: User,
        consultant_api: ApiClient) -> None:
    package = submit(manager, approved)
    mine = open_case(consultant, family_name="Lee")
    assert consultant_api.get(
        f"/api/v1/cases/{mine.reference}/packages/{package.id}").status_code == 404
    assert consultant_api.get(
        f"/api/v1/cases/{mine.reference}/packages/{package.id}/download").status_code == 404


# ---- further information -------------------------------------------------------------------

@pytest.fixture
def lodged(db, approved: Case, manager: User) -> Case:
    submit(manager, approved)
    return approved


def requests_path(case: Case, tail: str = "") -> str:
    return f"/api/v1/cases/{case.reference}/information-requests{tail}"


def ask(**overrides) -> dict:
    return {"requested_on": TODAY.isoformat(), "due_on": (TODAY + timedelta(days=28)).isoformat(),
            "details": "Employer reference letters.", **overrides}


def test_from_imm_ds_request_to_the_reply(db, lodged: Case, consultant: User, manager: User,
                                          manager_api: ApiClient,
                                          consultant_api: ApiClient) -> None:
    case = lodged
    opened = manager_api.post(requests_path(case), if_match=case, json=ask())
    assert opened.status_code == 201, opened.json
    request = opened.json
    assert opened.headers["Location"] == requests_path(case, f"/{request['id']}")
    assert request["is_open"] is True and request["documents"] == []
    assert request["opened_by"]["id"] == manager.id

    case = fresh(db, case)
    document_service.upload_document(consultant, case, "other", "employer.pdf",
                                     io.BytesIO(pdf_bytes("letter")), VersionCheck.SKIP)
    case = fresh(db, case)
    notes = consultant_api.put(requests_path(case, f"/{request['id']}/notes"), if_match=case,
                               json={"notes": "Letter attached."})
    assert notes.status_code == 200, notes.json
    assert notes.json["reply_notes"] == "Letter attached."
    assert [d["filename"] for d in notes.json["documents"]] == ["employer.pdf"]

    case = fresh(db, case)
    sent = consultant_api.post(requests_path(case, f"/{request['id']}/reply"), if_match=case,
                               json={"sent_on": TODAY.isoformat()})
    assert sent.status_code == 201, sent.json
    assert sent.json["kind"] == "further_information"
    assert sent.json["information_request_id"] == request["id"]
    assert sent.json["content"]["notes"] == "Letter attached."
    assert sent.headers["Location"] == f"/api/v1/cases/{case.reference}/packages/{sent.json['id']}"
    read = consultant_api.get(requests_path(case, f"/{request['id']}")).json
    assert read["is_open"] is False and read["answered_on"] == TODAY.isoformat()
    assert [r["id"] for r in consultant_api.get(requests_path(case)).json["items"]] == [
        request["id"]]
    actions = {e.action: e for e in db.session.scalars(
        select(AuditEntry).where(AuditEntry.entity == f"information_request:{request['id']}"))}
    assert set(actions) == {"opened", "updated", "answered"}
    assert all(e.via == "api" and e.api_token_id is not None for e in actions.values())
    assert actions["answered"].api_token.user_id == consultant.id


def test_a_consultant_may_not_open_a_request(db, lodged: Case,
                                             consultant_api: ApiClient) -> None:
    response = consultant_api.post(requests_path(lodged), if_match=lodged, json=ask())
    assert response.status_code == 403
    assert count(db, InformationRequest) == 0


@pytest.mark.parametrize("body,field", [
    (ask(due_on=(TODAY - timedelta(days=1)).isoformat()), "due_on"),
    (ask(requested_on=(TODAY + timedelta(days=1)).isoformat()), "requested_on"),
    (ask(details=""), "details"),
    (ask(details="  "), "details"),
    ({"requested_on": TODAY.isoformat(), "details": "x"}, "due_on"),
])
def test_a_request_that_breaks_a_rule_is_422(db, lodged: Case, manager_api: ApiClient,
                                             body, field) -> None:
    response = manager_api.post(requests_path(lodged), if_match=lodged, json=body)
    assert response.status_code == 422
    assert list(response.json["errors"]) == [field]
    assert count(db, InformationRequest) == 0


def test_a_request_needs_a_submitted_case_if_match_and_a_current_version(
        db, approved: Case, manager: User, manager_api: ApiClient) -> None:
    early = manager_api.post(requests_path(approved), if_match=approved, json=ask())
    assert early.status_code == 409
    submit(manager, approved)
    case = fresh(db, approved)
    assert manager_api.post(requests_path(case), json=ask()).status_code == 428
    stale = manager_api.post(requests_path(case), json=ask(), if_match=f'"{case.version - 1}"')
    assert stale.status_code == 412
    assert count(db, InformationRequest) == 0


def test_sending_an_empty_reply_is_refused(db, lodged: Case, manager_api: ApiClient,
                                           consultant_api: ApiClient) -> None:
    request_id = manager_api.post(requests_path(lodged), if_match=lodged, json=ask()).json["id"]
    case = fresh(db, lodged)
    response = consultant_api.post(requests_path(case, f"/{request_id}/reply"), if_match=case,
                                   json={"sent_on": TODAY.isoformat()})
    assert response.status_code == 409
    assert "Nothing to send yet" in response.json["errors"]["request"][0]
    assert count(db, SubmissionPackage) == 1  # the submission's only


# ---- the correspondence log ----------------------------------------------------------------

def letter(**overrides) -> dict:
    return {"dated": TODAY.isoformat(), "direction": "from_immd", "kind": "acknowledgement",
            "summary": "ImmD acknowledged receipt.", **overrides}


def test_a_consultant_logs_a_letter(db, lodged: Case, consultant: User,
                                    consultant_api: ApiClient) -> None:
    path = f"/api/v1/cases/{lodged.reference}/correspondence"
    version = lodged.version
    response = consultant_api.post(path, if_match=lodged, json=letter())
    assert response.status_code == 201, response.json
    assert response.headers["Location"] == f"{path}/{response.json['id']}"
    assert response.headers["ETag"] == f'"{version + 1}"'
    assert consultant_api.get(response.headers["Location"]).json == response.json
    items = consultant_api.get(path).json["items"]
    assert [(i["kind"], i["direction"]) for i in items] == [  # newest first
        ("acknowledgement", "from_immd"), ("application", "to_immd")]
    entry = db.session.scalars(select(AuditEntry).filter_by(action="logged")).one()
    assert entry.via == "api" and entry.api_token.user_id == consultant.id


@pytest.mark.parametrize("body,field", [
    (letter(kind="fax"), "kind"),
    (letter(direction="sideways"), "direction"),
    (letter(summary=""), "summary"),
    (letter(dated=(TODAY + timedelta(days=2)).isoformat()), "dated"),
])
def test_a_letter_that_breaks_a_rule_is_422(db, lodged: Case, consultant_api: ApiClient,
                                            body, field) -> None:
    before = count(db, Correspondence)
    response = consultant_api.post(f"/api/v1/cases/{lodged.reference}/correspondence",
                                   if_match=lodged, json=body)
    assert response.status_code == 422
    assert list(response.json["errors"]) == [field]
    assert count(db, Correspondence) == before


def test_a_letter_needs_a_lodged_case_and_if_match(db, consultant: User, lodged: Case,
                                                   consultant_api: ApiClient) -> None:
    before = count(db, Correspondence)
    unsent = open_case(consultant, family_name="Lee")
    response = consultant_api.post(f"/api/v1/cases/{unsent.reference}/correspondence",
                                   if_match=unsent, json=letter())
    assert response.status_code == 409
    path = f"/api/v1/cases/{lodged.reference}/correspondence"
    assert consultant_api.post(path, json=letter()).status_code == 428
    assert consultant_api.post(path, json=letter(), if_match='"1"').status_code == 412
    assert count(db, Correspondence) == before
