"""Signing in: throttled per account and per address, one message for every refusal, a new
session at sign-in, idle sessions ending, and sign-out everywhere through the session epoch."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from caseapp.models import Role, SignIn
from caseapp.services import tokens as token_service
from caseapp.web.auth import LAST_SEEN, REFUSED

OFFICE = "203.0.113.10"  # documentation addresses (RFC 5737): only strings in the WSGI environ
ELSEWHERE = "198.51.100.20"


def sign_in(client, email, password, address=OFFICE):
    return client.post("/login", data={"email": email, "password": password},
                       environ_base={"REMOTE_ADDR": address})


def refusal_text(response):
    body = response.get_data(as_text=True)
    assert response.status_code == 200, response.status_code
    return body


def test_unknown_email_wrong_password_and_deactivated_get_the_same_message(app, db, make_user):
    make_user(Role.CONSULTANT, email="known@example.test")
    gone = make_user(Role.CONSULTANT, email="gone@example.test")
    gone.active = False
    db.session.commit()

    answers = [
        refusal_text(sign_in(app.test_client(), "nobody@example.test", "password-123")),
        refusal_text(sign_in(app.test_client(), "known@example.test", "wrong-password")),
        refusal_text(sign_in(app.test_client(), "gone@example.test", "password-123")),
    ]
    for body in answers:
        assert REFUSED in body
    # The pages differ in nothing but the CSRF-free form echo of the email typed.
    stripped = {body.replace("nobody@", "X@").replace("known@", "X@").replace("gone@", "X@")
                for body in answers}
    assert len(stripped) == 1


def test_an_account_is_locked_after_repeated_failures_even_for_the_right_password(
        app, db, make_user):
    app.config.update(LOGIN_ACCOUNT_MAX_FAILURES=3, LOGIN_LOCK_MINUTES=15)
    make_user(Role.CONSULTANT, email="target@example.test")
    make_user(Role.CONSULTANT, email="colleague@example.test")
    for address in (OFFICE, ELSEWHERE, "192.0.2.30"):  # spread out: the account counts
        sign_in(app.test_client(), "target@example.test", "guess", address)

    locked = sign_in(app.test_client(), "target@example.test", "password-123", ELSEWHERE)
    assert "Too many failed sign-ins" in locked.get_data(as_text=True)
    assert "_user_id" not in _session_of(locked, app)

    # A colleague behind the same office address is not locked out by it.
    assert sign_in(app.test_client(), "colleague@example.test", "password-123").status_code == 302

    # Once the lock has run out, the right password works again.
    for row in db.session.scalars(select(SignIn)):
        row.at -= timedelta(minutes=16)
    db.session.commit()
    assert sign_in(app.test_client(), "target@example.test", "password-123").status_code == 302


def test_an_unknown_email_is_locked_the_same_way(app, make_user):
    """Otherwise the lock would tell an attacker which addresses are accounts."""
    app.config.update(LOGIN_ACCOUNT_MAX_FAILURES=2)
    for _ in range(2):
        sign_in(app.test_client(), "nobody@example.test", "guess")
    assert "Too many failed sign-ins" in sign_in(
        app.test_client(), "nobody@example.test", "guess").get_data(as_text=True)


def test_a_successful_sign_in_clears_the_account_s_failures(app, make_user):
    app.config.update(LOGIN_ACCOUNT_MAX_FAILURES=3)
    make_user(Role.CONSULTANT, email="typo@example.test")
    for _ in range(2):
        sign_in(app.test_client(), "typo@example.test", "typo")
    assert sign_in(app.test_client(), "typo@example.test", "password-123").status_code == 302
    for _ in range(2):
        sign_in(app.test_client(), "typo@example.test", "typo")
    assert sign_in(app.test_client(), "typo@example.test", "password-123").status_code == 302


def test_an_address_is_locked_after_failures_across_accounts(app, make_user):
    app.config.update(LOGIN_ADDRESS_MAX_FAILURES=4, LOGIN_ACCOUNT_MAX_FAILURES=0)
    make_user(Role.CONSULTANT, email="real@example.test")
    for n in range(4):
        sign_in(app.test_client(), f"spray{n}@example.test", "guess", OFFICE)
    locked = sign_in(app.test_client(), "real@example.test", "password-123", OFFICE)
    assert "Too many failed sign-ins" in locked.get_data(as_text=True)
    # The same account from another address is fine.
    assert sign_in(app.test_client(), "real@example.test", "password-123",
                   ELSEWHERE).status_code == 302


def test_throttles_can_be_turned_off(app, make_user):
    app.config.update(LOGIN_ACCOUNT_MAX_FAILURES=0, LOGIN_ADDRESS_MAX_FAILURES=0)
    make_user(Role.CONSULTANT, email="free@example.test")
    for _ in range(8):
        sign_in(app.test_client(), "free@example.test", "guess")
    assert sign_in(app.test_client(), "free@example.test", "password-123").status_code == 302


def test_every_attempt_is_recorded_without_the_text_typed(app, db, make_user):
    user = make_user(Role.CONSULTANT, email="rec@example.test")
    sign_in(app.test_client(), "rec@example.test", "wrong", OFFICE)
    sign_in(app.test_client(), "rec@example.test", "password-123", ELSEWHERE)
    sign_in(app.test_client(), "my-password-typed-here", "x", OFFICE)

    rows = db.session.scalars(select(SignIn).order_by(SignIn.id)).all()
    assert [(r.user_id, r.address, r.succeeded, r.reason) for r in rows] == [
        (user.id, OFFICE, False, "password"),
        (user.id, ELSEWHERE, True, ""),
        (None, OFFICE, False, "unknown"),
    ]
    assert all("my-password" not in r.email_digest and len(r.email_digest) == 64 for r in rows)
    assert rows[0].email_digest == rows[1].email_digest


def _session_of(response, app):
    """The session a response's cookie carries (empty without one)."""
    cookie = next((h for h in response.headers.getlist("Set-Cookie")
                   if h.startswith(app.config.get("SESSION_COOKIE_NAME", "session") + "=")), None)
    if cookie is None:
        return {}
    value = cookie.split(";", 1)[0].split("=", 1)[1]
    serializer = app.session_interface.get_signing_serializer(app)
    return serializer.loads(value) if value else {}


def test_signing_in_starts_a_new_session(app, make_user):
    make_user(Role.CONSULTANT, email="fix@example.test")
    client = app.test_client()
    with client.session_transaction() as session:
        session["csrf_token"] = "planted-before-sign-in"
        session["planted"] = "by someone else"
    assert sign_in(client, "fix@example.test", "password-123").status_code == 302
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session.get("csrf_token") != "planted-before-sign-in"
        assert session["_user_id"].endswith(":0")


def test_an_idle_session_ends_and_sends_the_user_to_sign_in(app, consultant_client):
    with consultant_client.session_transaction() as session:
        session[LAST_SEEN] = int(time.time()) - 8 * 3600 - 5
    response = consultant_client.get("/?status=draft")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")
    page = consultant_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "signed out after 8 hours without activity" in page
    assert consultant_client.get("/").status_code == 302  # still signed out


def test_a_session_in_use_stays(app, consultant_client):
    with consultant_client.session_transaction() as session:
        session[LAST_SEEN] = int(time.time()) - 7 * 3600
    assert consultant_client.get("/").status_code == 200
    with consultant_client.session_transaction() as session:
        assert session[LAST_SEEN] >= int(time.time()) - 5  # refreshed by that request


def test_the_idle_limit_is_configurable(app, consultant_client):
    app.config["SESSION_IDLE_MINUTES"] = 30
    with consultant_client.session_transaction() as session:
        session[LAST_SEEN] = int(time.time()) - 31 * 60
    assert consultant_client.get("/").status_code == 302


def test_an_idle_session_gets_401_from_the_api(app, consultant_client):
    with consultant_client.session_transaction() as session:
        session[LAST_SEEN] = int(time.time()) - 9 * 3600
    response = consultant_client.get("/api/v1/me")
    assert response.status_code == 401
    assert response.is_json


def test_moving_the_epoch_on_signs_out_every_session(app, db, consultant, client_for):
    laptop, phone = client_for(consultant), client_for(consultant)
    assert laptop.get("/").status_code == 200
    consultant.session_epoch += 1
    db.session.commit()
    for client in (laptop, phone):
        response = client.get("/")
        assert response.status_code == 302 and response.headers["Location"].startswith("/login")


@pytest.mark.parametrize("forged", ["{id}", "{id}:1", "{id}:x", "{id}:0:0", "x:0",
                                    "99999999999:0", "\u0661:0", "{id}:\u0660"])
def test_a_forged_or_stale_session_id_signs_in_nobody(app, consultant, forged):
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = forged.format(id=consultant.id)
    assert client.get("/").status_code == 302
    with client.session_transaction() as session:
        session["_user_id"] = f"{consultant.id}:0"  # the real one, for contrast
    assert client.get("/").status_code == 200


def test_a_user_whose_password_was_reset_must_choose_one_before_anything_else(
        app, db, consultant, client_for):
    consultant.must_change_password = True
    db.session.commit()
    client = client_for(consultant)
    for path in ("/", "/profile/", "/manage/"):
        response = client.get(path)
        assert response.status_code == 302
        assert response.headers["Location"] == "/profile/password"
    page = client.get("/profile/password")
    assert page.status_code == 200
    assert client.get("/static/app.css").status_code == 200
    assert client.post("/logout").headers["Location"] == "/login"


def test_signing_in_with_a_temporary_password_leads_to_the_change_page(app, db, make_user):
    user = make_user(Role.CONSULTANT, email="temp@example.test")
    user.must_change_password = True
    db.session.commit()
    response = sign_in(app.test_client(), "temp@example.test", "password-123")
    assert response.headers["Location"] == "/profile/password"


def test_the_api_refuses_a_session_that_must_change_its_password(app, db, consultant,
                                                                 client_for):
    consultant.must_change_password = True
    db.session.commit()
    response = client_for(consultant).get("/api/v1/me")
    assert response.status_code == 403
    assert "choose a new one" in str(response.get_json()["errors"])
    # A token is its own credential: the reset moved the session epoch, not the tokens.
    secret = token_service.create_token(consultant, consultant, "script",
                                        token_service.default_expiry()).secret
    assert app.test_client().get(
        "/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 200


def test_an_attempt_is_on_record_before_its_password_is_read(app, db, make_user, monkeypatch):
    """Guesses sent in parallel each see the ones before them: the lock is not a race."""
    from caseapp.services import users as user_service

    make_user(Role.CONSULTANT, email="race@example.test")
    real = user_service.check_password
    seen_while_checking = []

    def checking(user, password):
        with db.engine.connect() as other:  # another connection: only what is committed
            seen_while_checking.append(other.execute(
                select(SignIn.reason).order_by(SignIn.id.desc())).first())
        return real(user, password)

    monkeypatch.setattr(user_service, "check_password", checking)
    sign_in(app.test_client(), "race@example.test", "guess")
    assert seen_while_checking == [("password",)]


def test_parallel_guesses_in_flight_count_against_the_lock(app, db, make_user):
    app.config.update(LOGIN_ACCOUNT_MAX_FAILURES=3)
    make_user(Role.CONSULTANT, email="flight@example.test")
    from caseapp.services.signins import email_digest

    for _ in range(3):  # three guesses written, their passwords still being checked
        db.session.add(SignIn(email_digest=email_digest("flight@example.test"), address=OFFICE,
                              succeeded=False, reason="password"))
    db.session.commit()
    assert "Too many failed sign-ins" in sign_in(
        app.test_client(), "flight@example.test", "password-123").get_data(as_text=True)


def test_locked_out_attempts_are_in_the_user_s_history(app, db, make_user):
    app.config.update(LOGIN_ACCOUNT_MAX_FAILURES=2)
    user = make_user(Role.CONSULTANT, email="hist@example.test")
    for _ in range(3):
        sign_in(app.test_client(), "hist@example.test", "guess")
    rows = db.session.scalars(select(SignIn).order_by(SignIn.id)).all()
    assert [(r.user_id, r.reason) for r in rows] == [
        (user.id, "password"), (user.id, "password"), (user.id, "throttled")]


def test_an_admin_s_password_reset_lifts_the_lock(app, db, make_user, admin):
    from caseapp.services import users as user_service

    app.config.update(LOGIN_ACCOUNT_MAX_FAILURES=3)
    user = make_user(Role.CONSULTANT, email="locked@example.test")
    for _ in range(3):
        sign_in(app.test_client(), "locked@example.test", "guess")
    temporary = user_service.reset_password(admin, user)
    response = sign_in(app.test_client(), "locked@example.test", temporary, ELSEWHERE)
    assert response.status_code == 302
    assert response.headers["Location"] == "/profile/password"
