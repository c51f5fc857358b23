from __future__ import annotations

import re

import pytest

from caseapp import create_app
from caseapp.models import Role
from caseapp.services import users as user_service


def _login(client, email, password, **query):
    return client.post("/login", data={"email": email, "password": password},
                       query_string=query)


def test_login_page_shows_the_form(app):
    response = app.test_client().get("/login")
    assert response.status_code == 200
    assert b'name="email"' in response.data and b'name="password"' in response.data


def test_pages_need_a_signed_in_user(app):
    response = app.test_client().get("/")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_right_password_signs_in_and_shows_my_cases(app, make_user):
    make_user(Role.CONSULTANT, email="conn@example.test", password="correct-horse")
    client = app.test_client()
    response = _login(client, "Conn@Example.test", "correct-horse")
    assert response.status_code == 302
    assert b"My cases" in client.get("/").data


def test_wrong_password_is_refused_with_a_message(app, make_user):
    make_user(Role.CONSULTANT, email="conn@example.test", password="correct-horse")
    client = app.test_client()
    response = _login(client, "conn@example.test", "wrong-horse")
    assert response.status_code == 200
    assert b"Wrong email or password" in response.data
    assert client.get("/").status_code == 302


def test_passwords_are_stored_as_argon2_hashes(db, make_user):
    user = make_user(password="correct-horse")
    assert user.password_hash.startswith("$argon2id$")
    assert "correct-horse" not in user.password_hash


def test_deactivated_user_cannot_sign_in_and_is_signed_out(app, db, make_user):
    user = make_user(Role.CONSULTANT, email="conn@example.test", password="correct-horse")
    client = app.test_client()
    _login(client, "conn@example.test", "correct-horse")
    assert client.get("/").status_code == 200
    user_service.set_active(user, False)
    assert client.get("/").status_code == 302  # the open session ends
    response = _login(client, "conn@example.test", "correct-horse")
    assert b"deactivated" in response.data
    assert client.get("/").status_code == 302


def test_next_parameter_only_redirects_within_the_site(app, make_user):
    make_user(email="conn@example.test", password="correct-horse")
    client = app.test_client()
    response = _login(client, "conn@example.test", "correct-horse", next="https://evil.test/")
    assert response.headers["Location"] == "/"


def test_sign_out(app, consultant_client):
    response = consultant_client.post("/logout")
    assert response.status_code == 302
    assert consultant_client.get("/").status_code == 302


def test_session_cookie_is_httponly_and_samesite(app, make_user):
    make_user(email="conn@example.test", password="correct-horse")
    client = app.test_client()
    response = _login(client, "conn@example.test", "correct-horse")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


@pytest.fixture
def csrf_app(database_url, app):
    """The real configuration: CSRF on, and the sign-in rate limit."""
    strict = create_app({"CASEAPP_ENV": "testing", "SQLALCHEMY_DATABASE_URI": database_url,
                         "WTF_CSRF_ENABLED": True, "RATELIMIT_ENABLED": True,
                         "LOGIN_RATE_LIMIT": "3 per minute"})
    with strict.app_context():
        yield strict
        from caseapp.extensions import db
        db.session.remove()
        db.engine.dispose()


def _csrf_token(client):
    page = client.get("/login").get_data(as_text=True)
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)


def test_forms_without_the_csrf_token_are_refused(csrf_app, make_user):
    make_user(email="conn@example.test", password="correct-horse")
    client = csrf_app.test_client()
    response = _login(client, "conn@example.test", "correct-horse")
    assert response.status_code == 400
    assert b"form expired" in response.data
    response = client.post("/login", data={"email": "conn@example.test",
                                           "password": "correct-horse",
                                           "csrf_token": _csrf_token(client)})
    assert response.status_code == 302


def test_repeated_sign_in_attempts_are_rate_limited(csrf_app):
    client = csrf_app.test_client()
    token = _csrf_token(client)
    form = {"email": "x@example.test", "password": "wrong", "csrf_token": token}
    codes = [client.post("/login", data=form).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    assert b"Too many attempts" in client.post("/login", data=form).data
