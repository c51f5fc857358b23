"""The profile page's personal API tokens: created on the page (the secret shown once, in that
response only), used with the API, listed, revoked. Both databases."""

from __future__ import annotations

import hashlib
import html
import logging
import re
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from caseapp import clock
from caseapp.models import ApiToken, AuditEntry, utcnow
from caseapp.services import tokens
from caseapp.services import users as user_service

TODAY = clock.today()
SECRET = re.compile(r"cap_[A-Za-z0-9_-]{43}")
ONCE = "you will not see it again"


def create_on_page(client, name="CRM sync", expires_on=None):
    return client.post("/profile/tokens", data={
        "name": name, "expires_on": (expires_on or TODAY + timedelta(days=30)).isoformat()})


def secret_in(response) -> str:
    found = SECRET.findall(response.get_data(as_text=True))
    assert len(set(found)) == 1, found
    return found[0]


def bearer(secret):
    return {"Authorization": f"Bearer {secret}"}


def field_errors(response, field):
    """The messages shown beside ``field`` (its ``<p class="error" id="FIELD-error">``)."""
    text = response.get_data(as_text=True)
    return [html.unescape(m) for m in re.findall(
        rf'<p class="error" id="{field}-error">(.*?)</p>', text)]


def input_value(response, field):
    match = re.search(rf'<input[^>]*\bid="{field}"[^>]*>', response.get_data(as_text=True))
    assert match, field
    value = re.search(r'value="([^"]*)"', match.group(0))
    return html.unescape(value.group(1)) if value else None


def row_of(response, token_id):
    match = re.search(rf'<tr id="token-{token_id}">(.*?)</tr>', response.get_data(as_text=True),
                      re.S)
    assert match, token_id
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html.unescape(match.group(1)))).strip()


def test_a_token_made_on_the_page_works_with_the_api_and_is_shown_once(
        app, db, consultant, consultant_client):
    page = consultant_client.get("/profile/")
    assert page.status_code == 200
    assert "You have no API tokens." in page.get_data(as_text=True)
    default = (TODAY + timedelta(days=tokens.DEFAULT_DAYS)).isoformat()
    assert input_value(page, "expires_on") == default

    created = create_on_page(consultant_client, "CRM sync")
    assert created.status_code == 200 and "Location" not in created.headers
    secret = secret_in(created)
    text = created.get_data(as_text=True)
    assert ONCE in text.lower()
    assert f'id="new-token-secret" type="text" value="{secret}" readonly' in text
    assert "no-store" in created.headers["Cache-Control"]

    me = app.test_client().get("/api/v1/me", headers=bearer(secret))
    assert me.status_code == 200, me.json
    assert me.json["id"] == consultant.id and me.json["token"]["name"] == "CRM sync"

    again = consultant_client.get("/profile/")
    assert secret not in again.get_data(as_text=True)
    assert SECRET.search(again.get_data(as_text=True)) is None
    assert ONCE not in again.get_data(as_text=True).lower()
    with consultant_client.session_transaction() as session:
        assert secret not in repr(dict(session))


def test_the_database_holds_only_the_hash(app, db, consultant, consultant_client):
    secret = secret_in(create_on_page(consultant_client))
    row = db.session.execute(select(ApiToken.__table__)).one()
    assert row.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert row.prefix == secret[:12]
    assert all(secret not in str(value) for value in row)
    assert all(secret not in str(e.changes) for e in db.session.scalars(select(AuditEntry)))


def test_the_secret_is_not_logged(app, consultant_client, caplog):
    caplog.set_level(logging.DEBUG)
    secret = secret_in(create_on_page(consultant_client))
    app.test_client().get("/api/v1/me", headers=bearer(secret))
    assert secret not in caplog.text


def test_the_list_shows_each_token_with_its_days_use_and_status(
        app, db, consultant, consultant_client):
    working = tokens.create_token(consultant, consultant, "Working one",
                                  TODAY + timedelta(days=7))
    revoked = tokens.create_token(consultant, consultant, "Revoked one", TODAY)
    expired = tokens.create_token(consultant, consultant, "Expired one", TODAY)
    tokens.revoke_token(consultant, revoked.token)
    db.session.execute(update(ApiToken).where(ApiToken.id == expired.token.id)
                       .values(expires_at=utcnow() - timedelta(minutes=1)))
    db.session.commit()
    page = consultant_client.get("/profile/")
    created_day = clock.today().isoformat()
    row = row_of(page, working.token.id)
    assert row.startswith(f"Working one {working.token.prefix}… {created_day}")
    assert f"{(TODAY + timedelta(days=7)).isoformat()} never working Revoke…" in row
    assert "revoked" in row_of(page, revoked.token.id)
    assert "Revoke…" not in row_of(page, revoked.token.id)
    assert "expired" in row_of(page, expired.token.id)
    # The API refuses the expired one, and says why.
    refused = app.test_client().get("/api/v1/me", headers=bearer(expired.secret))
    assert refused.status_code == 401
    assert "expired" in refused.json["errors"]["Authorization"][0]


def test_last_used_is_set_once_the_token_is_used(app, db, consultant, consultant_client):
    secret = secret_in(create_on_page(consultant_client))
    token = db.session.scalars(select(ApiToken)).one()
    assert "never" in row_of(consultant_client.get("/profile/"), token.id)
    assert app.test_client().get("/api/v1/cases", headers=bearer(secret)).status_code == 200
    db.session.expire_all()
    used = db.session.get(ApiToken, token.id).last_used_at
    assert used is not None and utcnow() - used < timedelta(minutes=1)
    row = row_of(consultant_client.get("/profile/"), token.id)
    assert "never" not in row
    assert used.astimezone(clock.business_timezone()).strftime("%Y-%m-%d %H:%M") in row


def test_revoking_on_the_page_stops_the_token_at_once(app, db, consultant, consultant_client):
    secret = secret_in(create_on_page(consultant_client, "Nightly report"))
    api = app.test_client()
    assert api.get("/api/v1/me", headers=bearer(secret)).status_code == 200
    token = db.session.scalars(select(ApiToken)).one()

    confirm = consultant_client.get(f"/profile/tokens/{token.id}/revoke")
    assert confirm.status_code == 200
    text = confirm.get_data(as_text=True)
    assert "Revoke the token “Nightly report”" in text and "cannot be undone" in text
    assert db.session.get(ApiToken, token.id).revoked_at is None  # asking is not revoking

    done = consultant_client.post(f"/profile/tokens/{token.id}/revoke")
    assert done.status_code == 302 and done.headers["Location"].endswith("/profile/")
    refused = api.get("/api/v1/me", headers=bearer(secret))
    assert refused.status_code == 401
    assert refused.json["errors"]["Authorization"] == ["This API token was revoked."]
    page = consultant_client.get("/profile/")
    assert "is revoked" in page.get_data(as_text=True)
    assert "revoked" in row_of(page, token.id)

    twice = consultant_client.post(f"/profile/tokens/{token.id}/revoke", follow_redirects=True)
    assert "already revoked" in twice.get_data(as_text=True)


def test_a_deactivated_users_token_is_refused_at_once(app, db, consultant, consultant_client,
                                                      admin):
    secret = secret_in(create_on_page(consultant_client))
    api = app.test_client()
    assert api.get("/api/v1/me", headers=bearer(secret)).status_code == 200
    user_service.set_active(consultant, False, admin)
    refused = api.get("/api/v1/me", headers=bearer(secret))
    assert refused.status_code == 401
    assert "deactivated" in refused.json["errors"]["Authorization"][0]


def test_another_users_token_is_404_and_keeps_working(app, db, consultant, other_consultant,
                                                       consultant_client, client_for):
    theirs = tokens.create_token(other_consultant, other_consultant, "Theirs",
                                 TODAY + timedelta(days=5))
    path = f"/profile/tokens/{theirs.token.id}/revoke"
    assert consultant_client.get(path).status_code == 404
    assert consultant_client.post(path).status_code == 404
    assert "Theirs" not in consultant_client.get("/profile/").get_data(as_text=True)
    assert app.test_client().get("/api/v1/me", headers=bearer(theirs.secret)).status_code == 200
    assert consultant_client.get("/profile/tokens/999999/revoke").status_code == 404
    # Their own page lists it and revokes it.
    assert "Theirs" in client_for(other_consultant).get("/profile/").get_data(as_text=True)


@pytest.mark.parametrize("name,expected", [
    ("", "Name the token after what will use it"),
    ("x" * 81, "Keep the name to 80 characters."),
    ("CRM\u202esync", "Invisible control or text-direction characters"),
])
def test_a_bad_name_is_shown_beside_the_name_with_the_input_kept(
        app, db, consultant_client, name, expected):
    day = TODAY + timedelta(days=12)
    response = create_on_page(consultant_client, name, day)
    assert response.status_code == 200
    errors = field_errors(response, "name")
    assert len(errors) == 1 and errors[0].startswith(expected)
    assert input_value(response, "expires_on") == day.isoformat()
    assert SECRET.search(response.get_data(as_text=True)) is None
    assert db.session.scalars(select(ApiToken)).all() == []


def test_the_services_refusals_are_beside_their_fields_too(app, db, consultant,
                                                           consultant_client):
    tokens.create_token(consultant, consultant, "CRM sync", TODAY)
    clash = create_on_page(consultant_client, "crm sync")
    assert field_errors(clash, "name") == [
        "You already have a working token called \"crm sync\"."]
    assert input_value(clash, "name") == "crm sync"

    past = create_on_page(consultant_client, "Reports", TODAY - timedelta(days=1))
    assert field_errors(past, "expires_on") == ["Choose today or a later day."]
    assert input_value(past, "name") == "Reports"
    unreadable = consultant_client.post("/profile/tokens", data={"name": "Reports",
                                                                 "expires_on": "31/12/2030"})
    assert field_errors(unreadable, "expires_on") == ["Enter a real date as YYYY-MM-DD."]
    assert len(db.session.scalars(select(ApiToken)).all()) == 1


def test_every_role_has_the_page_in_the_nav(app, consultant_client, manager_client, admin,
                                            client_for):
    for client in (consultant_client, manager_client, client_for(admin)):
        page = client.get("/")
        assert '<a href="/profile/">Profile</a>' in page.get_data(as_text=True)
        assert client.get("/profile/").status_code == 200


@pytest.mark.parametrize("method,path", [("get", "/profile/"), ("post", "/profile/tokens"),
                                         ("get", "/profile/tokens/1/revoke")])
def test_signed_out_visitors_are_sent_to_sign_in(app, method, path):
    response = getattr(app.test_client(), method)(path)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_the_forms_need_the_csrf_token_when_it_is_on(app, db, consultant, client_for):
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        client = client_for(consultant)
        refused = create_on_page(client)
        assert SECRET.search(refused.get_data(as_text=True)) is None
        issued = tokens.create_token(consultant, consultant, "Kept", TODAY)
        client.post(f"/profile/tokens/{issued.token.id}/revoke")
        db.session.expire_all()
        assert db.session.get(ApiToken, issued.token.id).revoked_at is None
        assert [t.name for t in db.session.scalars(select(ApiToken))] == ["Kept"]
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
