"""Input that once reached the database or a parser unchecked (found by review): each is now
a clear 4xx, never a 500, and changes nothing."""

from __future__ import annotations

import base64
import json

import pytest
from flask import Flask

from caseapp.models import AuditEntry, Case, User
from tests.api.conftest import ApiClient
from tests.factories import open_case

SURROGATE = "a\ud800b"


def _cursor(values: list[object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


def test_a_lone_surrogate_in_a_status_reason_is_422_and_nothing_moves(
        consultant: User, consultant_api: ApiClient, db) -> None:
    case = open_case(consultant)
    response = consultant_api.post(f"/api/v1/cases/{case.reference}/status", if_match=case,
                                   json={"to": "on_hold", "reason": SURROGATE})
    assert response.status_code == 422
    assert "reason" in response.json["errors"]
    db.session.expire_all()
    assert db.session.get(Case, case.id).status.value == "intake"


def test_a_lone_surrogate_in_a_reassignment_reason_is_422(
        consultant: User, other_consultant: User, manager_api: ApiClient, db) -> None:
    case = open_case(consultant)
    before = db.session.query(AuditEntry).count()
    response = manager_api.post(f"/api/v1/cases/{case.reference}/reassign", if_match=case,
                                json={"consultant_id": other_consultant.id, "reason": SURROGATE})
    assert response.status_code == 422
    assert db.session.query(AuditEntry).count() == before


@pytest.mark.parametrize("field, value", [
    ("name", SURROGATE), ("password", "long enough " + SURROGATE), ("email", SURROGATE),
    ("email", "a\x00b@example.test"), ("email", "\u202egnp.x@example.test"), ("email", "@"),
])
def test_a_user_with_unreadable_text_is_422(admin_api: ApiClient, db, field: str,
                                            value: str) -> None:
    body = {"email": "new@example.test", "name": "New Person", "role": "consultant",
            "password": "a long password", field: value}
    response = admin_api.post("/api/v1/users", json=body)
    assert response.status_code == 422, response.json
    assert field in response.json["errors"]
    assert db.session.query(User).filter(User.name == "New Person").count() == 0


def test_an_if_match_of_unicode_digits_is_stale_not_a_crash(consultant: User,
                                                           consultant_api: ApiClient) -> None:
    case = open_case(consultant)
    response = consultant_api.patch(f"/api/v1/cases/{case.reference}",
                                    headers={"If-Match": '"\u00b2"'},
                                    json={"planned_submission_date": "2027-01-01"})
    assert response.status_code == 412


@pytest.mark.parametrize("cursor", [
    ["\ud800", 1], ["QM", 10**20], ["QM", -1], ["9999-12-31T23:59:59-23:00", 1],
])
def test_a_forged_cursor_reads_as_the_first_page(consultant: User, consultant_api: ApiClient,
                                                 cursor: list[object]) -> None:
    open_case(consultant)
    sort = "opened" if "T" in str(cursor[0]) else "reference"
    response = consultant_api.get(f"/api/v1/cases?sort={sort}&after={_cursor(cursor)}")
    assert response.status_code == 200
    assert response.json["total"] == 1 and len(response.json["items"]) == 1


def test_a_forged_cursor_of_check_runs_or_users_is_not_a_crash(
        consultant: User, consultant_api: ApiClient, admin_api: ApiClient) -> None:
    case = open_case(consultant)
    runs = consultant_api.get(f"/api/v1/cases/{case.reference}/checks"
                              f"?after={_cursor(['9999-12-31T23:59:59-23:00', 1])}")
    assert runs.status_code in (200, 422)
    forged = _cursor([SURROGATE, 1])
    users = admin_api.get(f"/api/v1/users?after={forged}")
    assert users.status_code == 422
    assert "after" in users.json["errors"]


def test_a_date_filter_at_the_start_of_the_calendar_is_422_on_the_api_and_the_page(
        consultant: User, consultant_api: ApiClient, manager_api: ApiClient,
        consultant_client) -> None:
    response = consultant_api.get("/api/v1/cases?opened_from=0001-01-01")
    assert response.status_code == 422
    assert "opened_from" in response.json["errors"]
    export = manager_api.get("/api/v1/cases/export.csv?updated_from=0001-01-01")
    assert export.status_code == 422
    page = consultant_client.get("/?entered_from=0001-01-01")
    assert page.status_code == 200
    assert "Enter a date from 1900-01-01" in page.get_data(as_text=True)


def test_a_consultant_filter_of_unicode_digits_is_an_error_beside_it(manager_client) -> None:
    page = manager_client.get("/?consultant=\u00b2")
    assert page.status_code == 200
    assert "Unknown consultant" in page.get_data(as_text=True)


@pytest.mark.parametrize("body", ["[" * 100_000, '{"n": ' + "9" * 5000 + "}"])
def test_json_too_deep_or_a_number_too_long_is_400(consultant_api: ApiClient, db,
                                                   body: str) -> None:
    response = consultant_api.post("/api/v1/cases", data=body,
                                   content_type="application/json")
    assert response.status_code == 400
    assert "body" in response.json["errors"]
    assert db.session.query(Case).count() == 0


def test_the_attention_filter_takes_only_what_the_list_reads(consultant_api: ApiClient
                                                             ) -> None:
    assert consultant_api.get("/api/v1/cases?attention=true").status_code == 200
    refused = consultant_api.get("/api/v1/cases?attention=True")
    assert refused.status_code == 422
    assert "attention" in refused.json["errors"]


def test_a_query_parameter_a_route_does_not_read_is_refused(consultant: User,
                                                           consultant_api: ApiClient) -> None:
    case = open_case(consultant)
    response = consultant_api.patch(f"/api/v1/cases/{case.reference}?colour=blue",
                                    if_match=case, json={"planned_submission_date": None})
    assert response.status_code == 422
    assert response.json["errors"] == {"colour": ["Unknown field."]}


def test_the_search_is_not_documented_as_a_passport_search(app: Flask) -> None:
    document = app.test_client().get("/api/v1/openapi.json").json
    search = next(p for p in document["paths"]["/api/v1/cases"]["get"]["parameters"]
                  if p["name"] == "q")
    assert "passport number in an address" in search["description"]
