"""Errors under /api/ are JSON with per-field messages, never HTML and never a 500 page, and
a refused request changes nothing."""

from __future__ import annotations

import pytest
from flask import Flask

from caseapp.models import Case, User
from tests.api.conftest import ApiClient
from tests.factories import open_case


def _errors(response, status: int) -> dict:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    assert response.mimetype == "application/json"
    assert set(response.json) >= {"errors"}
    return response.json["errors"]


def test_malformed_json_is_400_and_opens_nothing(consultant_api: ApiClient, db) -> None:
    response = consultant_api.post("/api/v1/cases", data='{"applicant": {',
                                   content_type="application/json")
    assert "body" in _errors(response, 400)
    assert db.session.query(Case).count() == 0


def test_a_body_that_is_not_json_is_415(consultant_api: ApiClient, db) -> None:
    response = consultant_api.post("/api/v1/cases", data="given_name=Mei",
                                   content_type="application/x-www-form-urlencoded")
    assert "Content-Type" in _errors(response, 415)
    assert db.session.query(Case).count() == 0


def test_unknown_fields_in_the_body_are_refused_by_name(consultant_api: ApiClient, db) -> None:
    response = consultant_api.post("/api/v1/cases", json={
        "applicant": {"given_name": "Mei", "family_name": "Tan", "shoe_size": 9},
        "colour": "blue"})
    errors = _errors(response, 422)
    assert errors["colour"] == ["Unknown field."]
    assert errors["applicant"] == {"shoe_size": ["Unknown field."]}
    assert db.session.query(Case).count() == 0


def test_a_wrong_type_names_the_field(consultant: User, consultant_api: ApiClient) -> None:
    case = open_case(consultant)
    response = consultant_api.patch(f"/api/v1/cases/{case.reference}", if_match=case,
                                    json={"planned_submission_date": "next Tuesday"})
    assert _errors(response, 422) == {"planned_submission_date": ["Not a valid date."]}


def test_an_oversized_request_is_413_in_json(app: Flask, consultant_api: ApiClient) -> None:
    app.config["MAX_CONTENT_LENGTH"] = 1024
    response = consultant_api.post("/api/v1/cases", data="x" * 4096,
                                   content_type="application/json")
    assert "too large" in _errors(response, 413)["request"][0]


def test_an_unknown_api_route_is_404_in_json(consultant_api: ApiClient, app: Flask) -> None:
    assert "request" in _errors(consultant_api.get("/api/v1/no-such-thing"), 404)
    assert "request" in _errors(app.test_client().get("/api/v2/cases"), 404)


def test_a_method_the_route_does_not_take_is_405_with_allow(consultant_api: ApiClient
                                                            ) -> None:
    response = consultant_api.delete("/api/v1/cases")
    _errors(response, 405)
    assert set(response.headers["Allow"].split(", ")) >= {"GET", "POST"}


def test_a_control_character_in_the_path_is_400_in_json(consultant_api: ApiClient) -> None:
    assert "request" in _errors(consultant_api.get("/api/v1/cases/QM%00-1"), 400)


def test_an_unexpected_failure_is_a_json_500_that_names_no_internals(
        consultant: User, consultant_api: ApiClient, monkeypatch: pytest.MonkeyPatch) -> None:
    case = open_case(consultant)

    def broken(*args: object) -> None:
        raise RuntimeError("database on fire: passport X1234567")

    monkeypatch.setattr("caseapp.api.base.get_case", broken)
    response = consultant_api.get(f"/api/v1/cases/{case.reference}")
    errors = _errors(response, 500)
    assert errors == {"request": [
        "Something went wrong on our side; nothing was saved. Please try again."]}
    assert "X1234567" not in response.get_data(as_text=True)


def test_the_pages_still_answer_html(consultant_api: ApiClient, app: Flask) -> None:
    response = app.test_client().get("/no-such-page")
    assert response.status_code == 404
    assert response.mimetype == "text/html"


def test_the_document_and_the_docs_page_are_served_by_the_app(app: Flask) -> None:
    client = app.test_client()
    spec = client.get("/api/v1/openapi.json")
    assert spec.status_code == 200
    document = spec.json
    assert document["openapi"].startswith("3.")
    assert document["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    assert "/api/v1/cases/{reference}" in document["paths"]
    patch = document["paths"]["/api/v1/cases/{reference}"]["patch"]
    assert {"412", "428", "422"} <= set(patch["responses"])
    assert any(p["name"] == "If-Match" and p["required"] for p in patch["parameters"])

    page = client.get("/api/v1/docs").get_data(as_text=True)
    assert "/api/v1/openapi.json" in page
    sources = [part.split('"')[0] for part in page.split('src="')[1:]]
    sources += [part.split('"')[0] for part in page.split('href="')[1:]]
    assert sources and all(s.startswith("/") and not s.startswith("//") for s in sources)
    for source in sources:
        if source.startswith("/static/"):
            assert client.get(source).status_code == 200, source
