"""Who may use the API: personal tokens (none, unknown, expired, revoked, deactivated owner),
a browser session with its CSRF token, and the rate limits per token and per address."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient

from caseapp import clock, create_app
from caseapp.extensions import db as _db
from caseapp.extensions import limiter
from caseapp.models import ApiToken, AuditEntry, Case, User, utcnow
from caseapp.services import tokens, users
from tests.api.conftest import ApiClient
from tests.conftest import login_client
from tests.factories import open_case


def _refusal(response) -> str:  # type: ignore[no-untyped-def]
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert response.is_json
    return response.json["errors"]["Authorization"][0]


def test_no_token_is_401_in_json(app: Flask) -> None:
    message = _refusal(app.test_client().get("/api/v1/me"))
    assert "Authorization: Bearer" in message


@pytest.mark.parametrize("header", ["Basic dXNlcjpwYXNz", "Bearer", "Bearer  ", "Token abc"])
def test_another_scheme_or_an_empty_token_is_401(app: Flask, header: str) -> None:
    assert _refusal(app.test_client().get("/api/v1/me", headers={"Authorization": header}))


def test_an_unknown_token_is_401(app: Flask) -> None:
    response = app.test_client().get("/api/v1/me",
                                     headers={"Authorization": "Bearer cap_not-a-real-token"})
    assert _refusal(response) == "This API token is not valid."


def test_a_token_works_and_says_who_it_is(consultant: User, consultant_api: ApiClient,
                                          db) -> None:
    response = consultant_api.get("/api/v1/me")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert response.json["email"] == consultant.email
    assert response.json["role"] == "consultant"
    assert response.json["token"]["prefix"] == consultant_api.secret[:12]
    stored = db.session.query(ApiToken).one()
    assert stored.token_hash == tokens.hash_secret(consultant_api.secret)
    assert consultant_api.secret not in {stored.token_hash, stored.prefix, stored.name}
    assert stored.last_used_at is not None


def test_an_expired_token_is_401(consultant: User, consultant_api: ApiClient, db) -> None:
    token = db.session.query(ApiToken).one()
    token.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert "expired" in _refusal(consultant_api.get("/api/v1/me"))


def test_a_revoked_token_stops_at_once(consultant: User, consultant_api: ApiClient, db) -> None:
    assert consultant_api.get("/api/v1/me").status_code == 200
    tokens.revoke_token(consultant, db.session.query(ApiToken).one())
    assert "revoked" in _refusal(consultant_api.get("/api/v1/me"))


def test_a_deactivated_users_token_stops_at_once(consultant: User, consultant_api: ApiClient,
                                                 admin: User) -> None:
    case = open_case(consultant)
    assert consultant_api.get(f"/api/v1/cases/{case.reference}").status_code == 200
    users.set_active(consultant, False, actor=admin)
    assert "deactivated" in _refusal(consultant_api.get(f"/api/v1/cases/{case.reference}"))


def test_the_token_owner_is_who_the_audit_names(consultant: User, consultant_api: ApiClient,
                                                db) -> None:
    created = consultant_api.post("/api/v1/cases", json={
        "applicant": {"given_name": "Mei", "family_name": "Tan"}})
    assert created.status_code == 201
    entries = db.session.query(AuditEntry).filter(AuditEntry.case_id.isnot(None)).all()
    assert entries and all(e.user_id == consultant.id and e.via == "api"
                           and e.api_token.name.startswith("Token") for e in entries)


# ---- a browser session on the API ------------------------------------------------------

def _strict_app(database_url: str, **settings: object) -> Flask:
    return create_app({"CASEAPP_ENV": "testing", "SQLALCHEMY_DATABASE_URI": database_url,
                       **settings})


@pytest.fixture
def csrf_app(database_url: str, app: Flask) -> Iterator[Flask]:
    """The real configuration: CSRF on."""
    strict = _strict_app(database_url, WTF_CSRF_ENABLED=True)
    with strict.app_context():
        yield strict
        _db.session.remove()
        _db.engine.dispose()


def _csrf_token(client: FlaskClient) -> str:
    """The token a page's form carries for this session (the case form of a consultant)."""
    page = client.get("/cases/new").get_data(as_text=True)
    found = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    assert found is not None
    return found.group(1)


def test_a_signed_in_browser_reads_the_api_with_its_session(csrf_app: Flask,
                                                            consultant: User) -> None:
    response = login_client(csrf_app, consultant).get("/api/v1/me")
    assert response.status_code == 200
    assert response.json["token"] is None


def test_a_browser_sessions_write_needs_the_csrf_token(csrf_app: Flask, consultant: User,
                                                       ) -> None:
    client = login_client(csrf_app, consultant)
    body = {"applicant": {"given_name": "Mei", "family_name": "Tan"}}
    refused = client.post("/api/v1/cases", json=body)
    assert refused.status_code == 400
    assert "X-CSRFToken" in refused.json["errors"]
    assert _db.session.query(Case).count() == 0

    accepted = client.post("/api/v1/cases", json=body,
                           headers={"X-CSRFToken": _csrf_token(client)})
    assert accepted.status_code == 201, accepted.json


def test_a_token_needs_no_csrf_token(csrf_app: Flask, consultant: User) -> None:
    secret = tokens.create_token(consultant, consultant, "CRM", clock.today()).secret
    created = csrf_app.test_client().post(
        "/api/v1/cases", json={"applicant": {"given_name": "Mei", "family_name": "Tan"}},
        headers={"Authorization": f"Bearer {secret}"})
    assert created.status_code == 201, created.json


# ---- rate limits ------------------------------------------------------------------------

@pytest.fixture
def limited(database_url: str, app: Flask) -> Iterator[Flask]:
    strict = _strict_app(database_url, RATELIMIT_ENABLED=True,
                         API_RATE_LIMIT_PER_TOKEN="3 per minute",
                         API_RATE_LIMIT_PER_ADDRESS="5 per minute")
    with strict.app_context():
        limiter.reset()  # one in-memory store for the process: start from no hits
        yield strict
        limiter.reset()
        _db.session.remove()
        _db.engine.dispose()


def _client(app: Flask, user: User, name: str) -> ApiClient:
    return ApiClient(app.test_client(),
                     tokens.create_token(user, user, name, clock.today()).secret)


def test_each_token_has_its_own_limit_with_retry_after(limited: Flask, consultant: User
                                                       ) -> None:
    first, second = _client(limited, consultant, "one"), _client(limited, consultant, "two")
    assert [first.get("/api/v1/me").status_code for _ in range(3)] == [200, 200, 200]
    refused = first.get("/api/v1/me")
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) > 0
    assert refused.json["errors"]["request"][0].startswith("Too many requests")
    assert second.get("/api/v1/me").status_code == 200


def test_one_address_has_a_limit_across_tokens(limited: Flask, consultant: User) -> None:
    clients = [_client(limited, consultant, f"token {n}") for n in range(3)]
    statuses = [c.get("/api/v1/me").status_code for c in clients for _ in range(2)]
    assert statuses == [200] * 5 + [429]


# ---- every route, every way a token fails --------------------------------------------

PUBLIC = {"/api/v1/openapi.json", "/api/v1/docs"}


def _api_routes(app: Flask) -> list[tuple[str, str]]:
    """Every (method, path) under /api/v1 but the public document, ids and references filled."""
    routes = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1") or rule.rule in PUBLIC:
            continue
        path = re.sub(r"<api_id:[a-z_]+>", "1", rule.rule)
        path = re.sub(r"<case_reference:[a-z_]+>", "QM-2026-000001", path)
        assert "<" not in path, path
        routes += [(method, path) for method in sorted(rule.methods - {"HEAD", "OPTIONS"})]
    return routes


@pytest.mark.parametrize("failure", ["none", "expired", "revoked", "deactivated"])
def test_every_api_route_refuses_a_request_without_a_working_token(
        app: Flask, consultant: User, admin: User, failure: str, db) -> None:
    case = open_case(consultant)
    assert case.reference == "QM-2026-000001"
    issued = tokens.create_token(consultant, consultant, "Refused", clock.today())
    headers = {"Authorization": f"Bearer {issued.secret}"}
    if failure == "none":
        headers = {}
    elif failure == "expired":
        issued.token.expires_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
    elif failure == "revoked":
        tokens.revoke_token(consultant, issued.token)
    else:
        users.set_active(consultant, False, actor=admin)
    routes = _api_routes(app)
    assert len(routes) > 40
    client = app.test_client()
    for method, path in routes:
        response = client.open(path, method=method, headers=headers, json={})
        assert response.status_code == 401, (method, path, response.status_code)
        assert "Authorization" in response.json["errors"], (method, path)
