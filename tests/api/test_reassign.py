"""Reassigning cases over the API: one case (If-Match) or a selection of references."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from caseapp.models import AuditEntry, Case, User
from caseapp.rules.workflow import CaseStatus
from caseapp.services.people import UNSAFE_TEXT_MESSAGE
from tests.api.conftest import ApiClient
from tests.factories import open_case


def consultant_of(db, case: Case) -> int:
    db.session.expire_all()
    return db.session.get(Case, case.id).consultant_id


def reassignments(db) -> int:
    return db.session.scalar(select(func.count(AuditEntry.id)).where(
        AuditEntry.action == "reassigned"))


def one(case: Case) -> str:
    return f"/api/v1/cases/{case.reference}/reassign"


def test_a_manager_gives_a_case_to_another_consultant(
        db, consultant: User, other_consultant: User, manager: User,
        manager_api: ApiClient, api_for) -> None:
    case = open_case(consultant)
    version = case.version
    response = manager_api.post(one(case), if_match=case, json={
        "consultant_id": other_consultant.id, "reason": "Connie is on leave."})
    assert response.status_code == 200, response.json
    assert response.json == {"consultant": {"id": other_consultant.id,
                                            "name": other_consultant.name},
                             "moved": 1, "unchanged": 0, "closed": 0}
    assert response.headers["ETag"] == f'"{version + 1}"'
    assert consultant_of(db, case) == other_consultant.id
    assert api_for(consultant).get(f"/api/v1/cases/{case.reference}").status_code == 404
    assert api_for(other_consultant).get(f"/api/v1/cases/{case.reference}").status_code == 200
    entry = db.session.scalars(select(AuditEntry).filter_by(action="reassigned")).one()
    assert entry.changes == {"consultant": [consultant.name, other_consultant.name],
                             "reason": [None, "Connie is on leave."]}
    assert entry.via == "api" and entry.api_token_id is not None
    assert entry.api_token.user_id == manager.id


def test_a_case_already_with_the_consultant_is_left_as_it_is(
        db, consultant: User, admin_api: ApiClient) -> None:
    case = open_case(consultant)
    response = admin_api.post(one(case), if_match=case, json={
        "consultant_id": consultant.id, "reason": "Confirming."})
    assert response.status_code == 200
    assert (response.json["moved"], response.json["unchanged"]) == (0, 1)
    assert response.headers["ETag"] == f'"{case.version}"'
    assert reassignments(db) == 0


def test_consultants_may_not_reassign(db, consultant: User, other_consultant: User,
                                      consultant_api: ApiClient) -> None:
    case = open_case(consultant)
    body = {"consultant_id": other_consultant.id, "reason": "Swap."}
    assert consultant_api.post(one(case), if_match=case, json=body).status_code == 403
    assert consultant_api.post("/api/v1/reassign", json={
        **body, "references": [case.reference]}).status_code == 403
    assert consultant_of(db, case) == consultant.id
    assert reassignments(db) == 0


@pytest.mark.parametrize("body,field,message", [
    ({"reason": "Leave."}, "consultant_id", "Missing data for required field."),
    ({"consultant_id": 999_999, "reason": "Leave."}, "consultant_id",
     "There is no user with this id."),
    ({"consultant_id": "manager", "reason": "Leave."}, "consultant_id",
     "Mona Manager is a manager, not a consultant: cases are assigned to consultants."),
    ({"consultant_id": "other", "reason": ""}, "reason", None),
    ({"consultant_id": "other", "reason": "   "}, "reason",
     "Give the reason for the reassignment: it goes on each case's history."),
    ({"consultant_id": "other", "reason": "On leave\x1b[2J"}, "reason", UNSAFE_TEXT_MESSAGE),
    ({"consultant_id": "other", "reason": "x" * 2001}, "reason", None),
])
def test_a_reassignment_that_breaks_a_rule_is_422_and_moves_nothing(
        db, consultant: User, other_consultant: User, manager: User,
        manager_api: ApiClient, body, field, message) -> None:
    case = open_case(consultant)
    ids = {"manager": manager.id, "other": other_consultant.id}
    body = {k: ids.get(v, v) if k == "consultant_id" else v for k, v in body.items()}
    for path, sent in ((one(case), body),
                       ("/api/v1/reassign", {**body, "references": [case.reference]})):
        response = manager_api.post(path, if_match=case, json=sent)
        assert response.status_code == 422, path
        assert list(response.json["errors"]) == [field]
        if message:
            assert response.json["errors"][field] == [message]
    assert consultant_of(db, case) == consultant.id
    assert reassignments(db) == 0


def test_a_deactivated_consultant_takes_no_cases(db, consultant: User, other_consultant: User,
                                                 manager_api: ApiClient) -> None:
    other_consultant.active = False
    db.session.commit()
    case = open_case(consultant)
    response = manager_api.post(one(case), if_match=case, json={
        "consultant_id": other_consultant.id, "reason": "Leave."})
    assert response.status_code == 422
    assert "deactivated" in response.json["errors"]["consultant_id"][0]
    assert consultant_of(db, case) == consultant.id


def test_one_case_needs_if_match_and_a_stale_one_moves_nothing(
        db, consultant: User, other_consultant: User, manager_api: ApiClient) -> None:
    case = open_case(consultant)
    body = {"consultant_id": other_consultant.id, "reason": "Leave."}
    missing = manager_api.post(one(case), json=body)
    assert missing.status_code == 428
    stale = manager_api.post(one(case), json=body, if_match=f'"{case.version + 1}"')
    assert stale.status_code == 412
    assert stale.json["current_version"] == case.version
    assert consultant_of(db, case) == consultant.id
    assert reassignments(db) == 0


def test_a_closed_case_is_not_reassigned(db, consultant: User, other_consultant: User,
                                         manager_api: ApiClient) -> None:
    case = open_case(consultant)
    case.status = CaseStatus.WITHDRAWN
    db.session.commit()
    response = manager_api.post(one(case), if_match=case, json={
        "consultant_id": other_consultant.id, "reason": "Leave."})
    assert response.status_code == 409
    assert consultant_of(db, case) == consultant.id


def test_an_unknown_case_is_404(other_consultant: User, manager_api: ApiClient) -> None:
    response = manager_api.post("/api/v1/cases/QM-1999-000001/reassign", if_match='"1"',
                                json={"consultant_id": other_consultant.id, "reason": "x"})
    assert response.status_code == 404


# ---- a selection ------------------------------------------------------------------------------

def test_a_selection_moves_its_open_cases_and_counts_the_rest(
        db, consultant: User, other_consultant: User, manager: User,
        manager_api: ApiClient) -> None:
    first, second = open_case(consultant), open_case(consultant, family_name="Lee")
    already = open_case(other_consultant, family_name="Wong")
    closed = open_case(consultant, family_name="Ho")
    closed.status = CaseStatus.WITHDRAWN
    db.session.commit()
    response = manager_api.post("/api/v1/reassign", json={
        "references": [first.reference, second.reference, already.reference,
                       closed.reference, first.reference],
        "consultant_id": other_consultant.id, "reason": "Team change."})
    assert response.status_code == 200, response.json
    assert response.json == {"consultant": {"id": other_consultant.id,
                                            "name": other_consultant.name},
                             "moved": 2, "unchanged": 1, "closed": 1}
    assert [consultant_of(db, c) for c in (first, second, already, closed)] == [
        other_consultant.id, other_consultant.id, other_consultant.id, consultant.id]
    entries = list(db.session.scalars(select(AuditEntry).filter_by(action="reassigned")))
    assert len(entries) == 2
    assert all(e.via == "api" and e.api_token.user_id == manager.id for e in entries)


@pytest.mark.parametrize("references,message", [
    ([], "Length must be between 1 and 1000."),
    (["QM-2026-999999"], "There is no case QM-2026-999999."),
    (["QM-2026\x00"], None),
    (["Q" * 21], None),
])
def test_a_selection_that_names_no_case_or_too_many_is_422(
        db, consultant: User, other_consultant: User, manager_api: ApiClient,
        references: list[str], message: str | None) -> None:
    case = open_case(consultant)
    response = manager_api.post("/api/v1/reassign", json={
        "references": [case.reference, *references] if references else [],
        "consultant_id": other_consultant.id, "reason": "Team change."})
    assert response.status_code == 422
    assert list(response.json["errors"]) == ["references"]
    if message:
        assert response.json["errors"]["references"] == [message]
    assert consultant_of(db, case) == consultant.id
    assert reassignments(db) == 0


def test_a_selection_is_bounded(db, consultant: User, other_consultant: User,
                                manager_api: ApiClient) -> None:
    case = open_case(consultant)
    response = manager_api.post("/api/v1/reassign", json={
        "references": [case.reference] + [f"QM-2026-{n:06d}" for n in range(1000)],
        "consultant_id": other_consultant.id, "reason": "Team change."})
    assert response.status_code == 422
    assert response.json["errors"]["references"] == ["Length must be between 1 and 1000."]
    assert consultant_of(db, case) == consultant.id


def test_an_admin_reassigns_a_selection(db, consultant: User, other_consultant: User,
                                        admin_api: ApiClient) -> None:
    case = open_case(consultant)
    response = admin_api.post("/api/v1/reassign", json={
        "references": [case.reference], "consultant_id": other_consultant.id,
        "reason": "Team change."})
    assert response.status_code == 200
    assert consultant_of(db, case) == other_consultant.id


def test_a_form_prepared_before_the_reassignment_is_stale_after_it(
        db, consultant: User, other_consultant: User, manager_api: ApiClient,
        consultant_api: ApiClient) -> None:
    case = open_case(consultant)
    before = f'"{case.version}"'
    manager_api.post("/api/v1/reassign", json={
        "references": [case.reference], "consultant_id": other_consultant.id,
        "reason": "Team change."})
    response = manager_api.patch(f"/api/v1/cases/{case.reference}", if_match=before,
                                 json={"planned_submission_date": "2027-01-01"})
    assert response.status_code == 412


def test_roles_are_checked_before_the_case_is_looked_up(consultant_api: ApiClient) -> None:
    response = consultant_api.post("/api/v1/cases/QM-1999-000001/reassign", if_match='"1"',
                                   json={"consultant_id": 1, "reason": "x"})
    assert response.status_code == 403

