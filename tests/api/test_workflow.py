"""Status moves, the review and the submission gates over the API."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from caseapp.models import AuditEntry, Case, Review, StatusChange, User
from caseapp.rules.workflow import CaseStatus
from caseapp.services.people import UNSAFE_TEXT_MESSAGE
from tests.api.conftest import ApiClient
from tests.factories import open_case
from tests.services.test_submission import ready_for_review


def fresh(db, case: Case) -> Case:
    db.session.expire_all()
    return db.session.get(Case, case.id)


def count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def api_entry(db, action: str) -> AuditEntry:
    return db.session.scalars(select(AuditEntry).filter_by(action=action)).one()


# ---- moves ------------------------------------------------------------------------------------

def test_the_moves_offered_are_those_of_the_status_menu(consultant: User,
                                                        consultant_api: ApiClient) -> None:
    case = open_case(consultant)
    response = consultant_api.get(f"/api/v1/cases/{case.reference}/moves")
    assert response.status_code == 200
    assert response.headers["ETag"] == f'"{case.version}"'
    assert response.json == {"status": "intake", "moves": [
        {"to": "collecting_documents", "label": "Collecting documents", "needs_reason": False},
        {"to": "on_hold", "label": "On hold", "needs_reason": True},
        {"to": "withdrawn", "label": "Withdrawn", "needs_reason": True}]}


def test_ready_for_review_offers_no_move_to_submitted(db, consultant: User,
                                                      consultant_api: ApiClient) -> None:
    case = ready_for_review(db, consultant, check=False)
    moves = consultant_api.get(f"/api/v1/cases/{case.reference}/moves").json["moves"]
    assert [m["to"] for m in moves] == ["collecting_documents", "on_hold", "withdrawn"]


def test_a_move_is_made_with_its_reason_and_audited_as_through_the_api(
        db, consultant: User, consultant_api: ApiClient) -> None:
    case = open_case(consultant)
    version = case.version
    response = consultant_api.post(f"/api/v1/cases/{case.reference}/status", if_match=case,
                                   json={"to": "on_hold", "reason": "Client travelling."})
    assert response.status_code == 200, response.json
    assert response.json["from_status"] == "intake"
    assert response.json["to_status"] == "on_hold"
    assert response.json["reason"] == "Client travelling."
    assert response.json["changed_by"]["id"] == consultant.id
    assert response.headers["ETag"] == f'"{version + 1}"'
    assert fresh(db, case).status is CaseStatus.ON_HOLD
    entry = api_entry(db, "status_changed")
    assert entry.via == "api" and entry.api_token_id is not None
    assert entry.api_token.user_id == consultant.id


@pytest.mark.parametrize("body,field,message", [
    ({"to": "withdrawn"}, "reason", "Say why the case is withdrawn."),
    ({"to": "withdrawn", "reason": "   "}, "reason", "Say why the case is withdrawn."),
    ({"to": "teleported"}, "to", None),
    ({"to": "submitted"}, "to", None),
    ({}, "to", "Missing data for required field."),
    ({"to": "on_hold", "reason": "x" * 2001}, "reason", None),
    ({"to": "on_hold", "reason": "Away\u202e"}, "reason", UNSAFE_TEXT_MESSAGE),
    ({"to": "on_hold", "reason": "Away", "colour": "red"}, "colour", "Unknown field."),
])
def test_a_refused_move_is_422_and_changes_nothing(db, consultant: User,
                                                   consultant_api: ApiClient, body, field,
                                                   message) -> None:
    case = open_case(consultant)
    version = case.version
    response = consultant_api.post(f"/api/v1/cases/{case.reference}/status", if_match=case,
                                   json=body)
    assert response.status_code == 422
    assert list(response.json["errors"]) == [field]
    if message:
        assert response.json["errors"][field] == [message]
    case = fresh(db, case)
    assert (case.status, case.version) == (CaseStatus.INTAKE, version)
    assert count(db, StatusChange) == 1  # the opening


def test_submitted_is_refused_with_the_way_to_submit(consultant: User,
                                                     consultant_api: ApiClient) -> None:
    case = open_case(consultant)
    response = consultant_api.post(f"/api/v1/cases/{case.reference}/status", if_match=case,
                                   json={"to": "submitted"})
    assert "/submit" in response.json["errors"]["to"][0]


def test_a_move_the_workflow_forbids_is_409(db, consultant: User,
                                            consultant_api: ApiClient) -> None:
    case = open_case(consultant)
    response = consultant_api.post(f"/api/v1/cases/{case.reference}/status", if_match=case,
                                   json={"to": "visa_issued"})
    assert response.status_code == 409
    assert response.json["errors"]["request"] == [
        "A case cannot move from Intake to Visa issued."]
    assert fresh(db, case).status is CaseStatus.INTAKE


def test_a_move_needs_if_match_and_a_stale_one_changes_nothing(
        db, consultant: User, consultant_api: ApiClient) -> None:
    case = open_case(consultant)
    path = f"/api/v1/cases/{case.reference}/status"
    body = {"to": "collecting_documents"}
    assert consultant_api.post(path, json=body).status_code == 428
    stale = consultant_api.post(path, json=body, if_match=f'"{case.version - 1}"')
    assert stale.status_code == 412
    assert stale.json["current_version"] == case.version
    assert fresh(db, case).status is CaseStatus.INTAKE
    assert count(db, StatusChange) == 1


def test_another_consultants_case_has_no_moves_to_offer(db, consultant: User,
                                                        other_consultant: User,
                                                        api_for) -> None:
    case = open_case(consultant)
    other = api_for(other_consultant)
    assert other.get(f"/api/v1/cases/{case.reference}/moves").status_code == 404
    response = other.post(f"/api/v1/cases/{case.reference}/status", if_match=case,
                          json={"to": "collecting_documents"})
    assert response.status_code == 404
    assert fresh(db, case).status is CaseStatus.INTAKE


def test_a_manager_moves_a_consultants_case(db, consultant: User,
                                            manager_api: ApiClient) -> None:
    case = open_case(consultant)
    response = manager_api.post(f"/api/v1/cases/{case.reference}/status", if_match=case,
                                json={"to": "collecting_documents"})
    assert response.status_code == 200
    assert fresh(db, case).status is CaseStatus.COLLECTING_DOCUMENTS


# ---- the review -------------------------------------------------------------------------------

def review_path(case: Case) -> str:
    return f"/api/v1/cases/{case.reference}/review"


def test_a_manager_approves_and_the_review_gate_opens(db, consultant: User, manager: User,
                                                       manager_api: ApiClient,
                                                       consultant_api: ApiClient) -> None:
    case = ready_for_review(db, consultant)
    version = case.version
    gates = consultant_api.get(f"/api/v1/cases/{case.reference}/submission-gates").json
    assert gates["passed"] is False
    assert [(g["key"], g["passed"]) for g in gates["gates"]] == [
        ("review", False), ("checks", True), ("documents", True), ("deposits", True),
        ("passport", True)]
    assert gates["gates"][0]["message"] == "No manager has approved this case in review yet."
    assert gates["gates"][0]["overridable"] is False

    response = manager_api.post(review_path(case), if_match=case, json={
        "outcome": "approved", "comment": "Originals seen."})
    assert response.status_code == 200, response.json
    assert response.json["outcome"] == "approved"
    assert response.json["case_version"] == version
    assert response.json["reviewed_by"] == {"id": manager.id, "name": manager.name}
    assert response.headers["ETag"] == f'"{version}"'  # an approval is a record
    gates = consultant_api.get(f"/api/v1/cases/{case.reference}/submission-gates").json
    assert gates["passed"] is True
    assert "Originals seen." in gates["gates"][0]["message"]
    entry = api_entry(db, "review_approved")
    assert entry.via == "api" and entry.api_token.user_id == manager.id


def test_a_manager_returns_the_case_with_what_to_fix(db, consultant: User,
                                                      manager_api: ApiClient) -> None:
    case = ready_for_review(db, consultant)
    version = case.version
    response = manager_api.post(review_path(case), if_match=case, json={
        "outcome": "returned", "comment": "Police certificate expired."})
    assert response.status_code == 200
    assert response.json["outcome"] == "returned"
    assert response.headers["ETag"] == f'"{version + 1}"'
    case = fresh(db, case)
    assert case.status is CaseStatus.COLLECTING_DOCUMENTS
    move = db.session.scalars(select(StatusChange).order_by(StatusChange.id.desc())).first()
    assert move.reason == "Police certificate expired."
    assert api_entry(db, "review_returned").via == "api"


def test_a_consultant_may_not_review(db, consultant: User, consultant_api: ApiClient) -> None:
    case = ready_for_review(db, consultant)
    response = consultant_api.post(review_path(case), if_match=case, json={
        "outcome": "approved", "comment": "Looks fine to me."})
    assert response.status_code == 403
    assert count(db, Review) == 0


def test_the_cases_own_consultant_may_not_review_it_even_as_a_manager(
        db, consultant: User, manager: User, manager_api: ApiClient) -> None:
    case = ready_for_review(db, consultant)
    case.consultant_id = manager.id
    db.session.commit()
    response = manager_api.post(review_path(case), if_match=case, json={
        "outcome": "approved", "comment": "Mine."})
    assert response.status_code == 409
    assert "own consultant" in response.json["errors"]["request"][0]
    assert count(db, Review) == 0


def test_only_a_case_ready_for_review_is_reviewed(db, consultant: User,
                                                  manager_api: ApiClient) -> None:
    case = open_case(consultant)
    response = manager_api.post(review_path(case), if_match=case, json={
        "outcome": "approved", "comment": "Early."})
    assert response.status_code == 409
    assert count(db, Review) == 0


@pytest.mark.parametrize("body,field", [
    ({"outcome": "approved"}, "comment"),
    ({"outcome": "approved", "comment": ""}, "comment"),
    ({"outcome": "approved", "comment": "   "}, "comment"),
    ({"outcome": "approved", "comment": "ok\x07"}, "comment"),
    ({"outcome": "approved", "comment": "x" * 2001}, "comment"),
    ({"outcome": "maybe", "comment": "Hmm."}, "outcome"),
])
def test_a_review_that_breaks_a_rule_is_422_and_records_nothing(
        db, consultant: User, manager_api: ApiClient, body, field) -> None:
    case = ready_for_review(db, consultant)
    response = manager_api.post(review_path(case), if_match=case, json=body)
    assert response.status_code == 422
    assert list(response.json["errors"]) == [field]
    assert count(db, Review) == 0
    assert fresh(db, case).status is CaseStatus.READY_FOR_REVIEW


@pytest.mark.parametrize("outcome", ["approved", "returned"])
def test_a_review_needs_if_match_and_a_stale_one_records_nothing(
        db, consultant: User, manager_api: ApiClient, outcome: str) -> None:
    case = ready_for_review(db, consultant)
    body = {"outcome": outcome, "comment": "Checked."}
    assert manager_api.post(review_path(case), json=body).status_code == 428
    stale = manager_api.post(review_path(case), json=body, if_match=f'"{case.version + 3}"')
    assert stale.status_code == 412
    assert count(db, Review) == 0
    assert fresh(db, case).status is CaseStatus.READY_FOR_REVIEW


def test_another_consultants_case_is_404_for_the_gates_and_a_review_is_403_first(
        db, consultant: User, other_consultant: User, api_for) -> None:
    case = ready_for_review(db, consultant)
    other = api_for(other_consultant)
    assert other.get(f"/api/v1/cases/{case.reference}/submission-gates").status_code == 404
    # No consultant reviews: the role is refused before the case is looked up or the body
    # read, so the answer says nothing about whether the case exists.
    assert other.post(review_path(case), if_match=case, json={
        "outcome": "approved", "comment": "x"}).status_code == 403


def test_the_gates_are_judged_for_the_lodging_day_asked(db, consultant: User,
                                                        consultant_api: ApiClient) -> None:
    case = ready_for_review(db, consultant)
    case.applicant.passport_expiry = case.applicant.passport_expiry.replace(year=2027)
    db.session.commit()
    path = f"/api/v1/cases/{case.reference}/submission-gates"
    later = consultant_api.get(path + "?lodged_on=2026-12-01").json
    assert later["lodged_on"] == "2026-12-01"
    passport = next(g for g in later["gates"] if g["key"] == "passport")
    assert passport["passed"] is False and "needs renewing" in passport["message"]
    assert consultant_api.get(path + "?lodged_on=soon").status_code == 422
