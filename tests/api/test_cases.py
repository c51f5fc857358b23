"""Cases over the API: list, open, read, update, with ETag and If-Match."""

from __future__ import annotations

from caseapp.models import AuditEntry, User
from tests.api.conftest import ApiClient
from tests.factories import open_case


def test_a_consultant_opens_reads_and_updates_a_case(consultant_api: ApiClient, db) -> None:
    created = consultant_api.post("/api/v1/cases", json={
        "applicant": {"given_name": "Mei", "family_name": "Tan"},
        "planned_submission_date": "2027-01-15"})
    assert created.status_code == 201, created.json
    reference = created.json["reference"]
    assert created.headers["Location"] == f"/api/v1/cases/{reference}"
    etag = created.headers["ETag"]

    read = consultant_api.get(f"/api/v1/cases/{reference}")
    assert read.status_code == 200
    assert read.headers["ETag"] == etag
    assert read.json["applicant"]["family_name"] == "Tan"
    assert read.json["planned_submission_date"] == "2027-01-15"

    updated = consultant_api.patch(f"/api/v1/cases/{reference}", headers={"If-Match": etag},
                                   json={"planned_submission_date": "2027-02-01"})
    assert updated.status_code == 200, updated.json
    assert updated.json["planned_submission_date"] == "2027-02-01"
    assert updated.headers["ETag"] != etag

    entry = db.session.query(AuditEntry).filter_by(entity="case", action="updated").one()
    assert entry.via == "api" and entry.api_token_id is not None


def test_a_write_without_if_match_is_428_and_a_stale_one_412(
        consultant: User, consultant_api: ApiClient) -> None:
    case = open_case(consultant)
    path = f"/api/v1/cases/{case.reference}"
    body = {"planned_submission_date": "2027-02-01"}

    missing = consultant_api.patch(path, json=body)
    assert missing.status_code == 428
    assert "If-Match" in missing.json["errors"]

    stale = consultant_api.patch(path, json=body, headers={"If-Match": f'"{case.version + 5}"'})
    assert stale.status_code == 412
    assert stale.json["current_version"] == case.version
    assert stale.headers["ETag"] == f'"{case.version}"'
    assert consultant_api.get(path).json["planned_submission_date"] is None


def test_another_consultants_case_is_404(other_consultant: User, consultant_api: ApiClient
                                          ) -> None:
    case = open_case(other_consultant)
    response = consultant_api.get(f"/api/v1/cases/{case.reference}")
    assert response.status_code == 404
    assert response.json == {"errors": {"request": [
        "There is nothing here, or you do not have access to it."]}}


def test_the_list_pages_with_cursors_and_refuses_unknown_parameters(
        consultant: User, consultant_api: ApiClient) -> None:
    references = sorted(open_case(consultant, family_name=f"Family{n}").reference
                        for n in range(3))
    first = consultant_api.get("/api/v1/cases?per_page=2&sort=reference")
    assert first.status_code == 200, first.json
    assert first.json["total"] == 3 and len(first.json["items"]) == 2
    second = consultant_api.get(
        f"/api/v1/cases?per_page=2&sort=reference&after={first.json['next_cursor']}")
    assert [c["reference"] for c in second.json["items"]] == references[2:]

    unknown = consultant_api.get("/api/v1/cases?colour=blue")
    assert unknown.status_code == 422
    assert unknown.json["errors"] == {"colour": ["Unknown field."]}


def test_a_page_of_the_list_costs_the_same_statements_however_many_cases(
        consultant: User, consultant_api: ApiClient, count_statements) -> None:
    def statements_for_a_page() -> int:
        consultant_api.get("/api/v1/me")  # the token's last use is written once a minute
        count_statements.reset()
        response = consultant_api.get("/api/v1/cases?per_page=50")
        assert response.status_code == 200
        return count_statements.count

    open_case(consultant)
    one = statements_for_a_page()
    for n in range(6):
        open_case(consultant, family_name=f"More{n}")
    assert statements_for_a_page() == one


def test_only_consultants_open_cases_and_a_manager_sees_every_case(
        consultant: User, other_consultant: User, manager_api: ApiClient,
        consultant_api: ApiClient) -> None:
    open_case(other_consultant)
    body = {"applicant": {"given_name": "Mei", "family_name": "Tan"}}
    assert manager_api.post("/api/v1/cases", json=body).status_code == 403
    created = consultant_api.post("/api/v1/cases", json=body)
    assert created.status_code == 201
    assert created.json["consultant"] == {"id": consultant.id, "name": consultant.name}
    assert manager_api.get("/api/v1/cases").json["total"] == 2
    assert consultant_api.get("/api/v1/cases").json["total"] == 1


def test_a_bad_filter_is_422_beside_its_name(consultant_api: ApiClient) -> None:
    response = consultant_api.get("/api/v1/cases?opened_from=2026-05-01&opened_to=2026-04-01")
    assert response.status_code == 422
    assert response.json["errors"] == {"opened_to": ["The end of the range is before its start."]}


def test_the_case_history_says_which_changes_came_through_the_api(
        consultant: User, consultant_api: ApiClient, client_for) -> None:
    case = open_case(consultant)
    consultant_api.patch(f"/api/v1/cases/{case.reference}", if_match=case,
                         json={"planned_submission_date": "2027-03-01"})
    page = client_for(consultant).get(f"/cases/{case.reference}/history").get_data(as_text=True)
    lines = [line for line in page.splitlines() if "<time>" in line]
    assert sum("through the API" in line for line in lines) == 1  # the update, not the opening
