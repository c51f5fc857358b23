"""Changing one's own password on the profile: the current one required, errors beside the
field, this session stays signed in while every other one ends; a user whose password was
reset (or who was created with a temporary one) is told why they are here."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from caseapp.models import AuditEntry, Role, SignIn
from caseapp.queries.signins import REASON_LABELS
from caseapp.services import users as user_service

OLD = "password-123"  # the make_user fixture's
NEW = "a-new-passphrase"


def change(current=OLD, new=NEW, confirm=None):
    return {"current_password": current, "new_password": new,
            "confirm": new if confirm is None else confirm}


def _text(response) -> str:
    return response.get_data(as_text=True)


def _is_sent_to_login(response) -> bool:
    return response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize("role", list(Role))
def test_everyone_has_the_page_and_the_profile_links_to_it(app, db, make_user, client_for,
                                                           role):
    client = client_for(make_user(role))
    assert 'href="/profile/password"' in _text(client.get("/profile/"))
    page = client.get("/profile/password")
    assert page.status_code == 200
    assert 'autocomplete="current-password"' in _text(page)
    assert "An admin reset your password" not in _text(page)


@pytest.mark.parametrize("method", ["get", "post"])
def test_signing_in_is_required(app, db, method):
    assert _is_sent_to_login(getattr(app.test_client(), method)("/profile/password",
                                                                data=change()))


def test_a_change_keeps_this_session_and_ends_the_others(app, db, consultant, client_for):
    here, elsewhere = client_for(consultant), client_for(consultant)
    response = here.post("/profile/password", data=change())
    assert response.status_code == 302 and response.headers["Location"].endswith("/profile/")
    page = here.get(response.headers["Location"])
    assert page.status_code == 200 and "Your password is changed." in _text(page)
    assert here.get("/").status_code == 200
    assert _is_sent_to_login(elsewhere.get("/"))
    assert user_service.authenticate(consultant.email, NEW) is not None


def test_the_new_password_signs_in_and_the_old_one_does_not(app, db, consultant, client_for):
    client_for(consultant).post("/profile/password", data=change())
    signed_in = app.test_client().post("/login", data={"email": consultant.email,
                                                        "password": NEW})
    assert signed_in.status_code == 302 and "/login" not in signed_in.headers["Location"]
    refused = app.test_client().post("/login", data={"email": consultant.email,
                                                     "password": OLD})
    assert refused.status_code == 200  # the form again, with the refusal


@pytest.mark.parametrize("form,field,message", [
    (change(current="not-my-password"), "current_password", "not your current password"),
    (change(current=""), "current_password", "Enter your current password."),
    (change(new="short", confirm="short"), "new_password", "at least 10 characters"),
    (change(new=OLD), "new_password", "different from the current one"),
    (change(confirm="something-else"), "confirm", "type the same one twice"),
    (change(new="new\u202epassword!"), "new_password", "Invisible control"),
    (change(new="x" * 1001), "new_password", "at most 1000 characters"),
])
def test_a_refused_change_says_why_beside_the_field(app, db, consultant, client_for, form,
                                                     field, message):
    client = client_for(consultant)
    response = client.post("/profile/password", data=form)
    assert response.status_code == 200
    page = _text(response)
    error = page[page.index(f'id="{field}-error"'):]
    assert message in error[:300]
    assert client.get("/").status_code == 200  # still signed in
    db.session.expire_all()
    assert user_service.authenticate(consultant.email, OLD) is not None
    assert db.session.scalars(select(AuditEntry).where(
        AuditEntry.action == "password_changed")).all() == []


def test_the_typed_passwords_are_not_sent_back(app, db, consultant, client_for):
    page = _text(client_for(consultant).post(
        "/profile/password", data=change(current="typed-current-pw", confirm="other-value!")))
    assert "typed-current-pw" not in page and NEW not in page and "other-value!" not in page


def test_the_audit_entry_holds_no_password(app, db, consultant, client_for):
    client_for(consultant).post("/profile/password", data=change())
    entry = db.session.scalars(select(AuditEntry).where(
        AuditEntry.action == "password_changed")).one()
    text = json.dumps(entry.changes)
    assert OLD not in text and NEW not in text and "$argon2" not in text
    assert entry.user_id == consultant.id


def test_after_a_reset_the_page_says_why_and_a_change_lifts_it(app, db, admin, consultant,
                                                                client_for):
    temporary = user_service.reset_password(admin, consultant)
    client = client_for(consultant)  # signed in after the reset (with the temporary one)
    page = _text(client.get("/profile/password"))
    assert "An admin reset your password: choose a new one to continue" in page
    response = client.post("/profile/password", data=change(current=temporary))
    assert response.status_code == 302
    db.session.expire_all()
    assert not consultant.must_change_password
    assert "An admin reset your password" not in _text(client.get("/profile/password"))


def test_a_new_user_is_told_their_password_is_temporary(app, db, admin, client_for):
    user, _temporary = user_service.create_user_with_temporary_password(
        admin, "new.person@example.test", "New Person", Role.CONSULTANT)
    page = _text(client_for(user).get("/profile/password"))
    assert "Your account was made with a temporary password" in page


def test_bytes_that_are_no_text_are_no_server_error(app, db, consultant, client_for):
    # A lone surrogate encoded as UTF-8 (what a forged request can send): never a 500.
    client = client_for(consultant)
    body = "current_password=%ED%A0%80&new_password=%ED%A0%80%00x&confirm=%ED%A0%80"
    response = client.post("/profile/password", data=body,
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200
    assert user_service.authenticate(consultant.email, OLD) is not None



def test_wrong_current_passwords_count_towards_the_sign_in_lock(app, db, make_user,
                                                                 client_for):
    """A session left open is no way to guess the password: the same lock as at sign-in."""
    app.config.update(LOGIN_ACCOUNT_MAX_FAILURES=3)
    user = make_user(Role.CONSULTANT, email="open-session@example.test")
    client = client_for(user)
    form = {"current_password": "guess", "new_password": "a-new-password-1",
            "confirm": "a-new-password-1"}
    for _ in range(3):
        assert "This is not your current password." in client.post(
            "/profile/password", data=form).get_data(as_text=True)
    right = client.post("/profile/password", data={**form, "current_password": "password-123"})
    assert "Too many failed sign-ins" in right.get_data(as_text=True)
    assert user_service.authenticate("open-session@example.test", "password-123") is not None
    reasons = db.session.scalars(select(SignIn.reason).where(SignIn.user_id == user.id)).all()
    assert reasons == ["password_change"] * 3
    assert REASON_LABELS["password_change"] == "wrong current password when changing it"
