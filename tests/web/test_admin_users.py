"""The admins' user pages: the list (filtered, keyset-paged), a new user with a temporary
password shown once, one user with their sign-in history, editing the name and role,
deactivating, reactivating and resetting a password. Admins only; every change audited with
no password in it; the last active admin stays; old sessions end."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from caseapp import clock
from caseapp.models import AuditEntry, Role, SignIn, User
from caseapp.models.base import utcnow
from caseapp.services import users as user_service

TEMPORARY = re.compile(r'id="temporary-password" type="text" value="([a-z2-9-]{19})"')


@pytest.fixture
def admin_client(admin, client_for):
    return client_for(admin)


def _text(response) -> str:
    return response.get_data(as_text=True)


def _is_sent_to_login(response) -> bool:
    return response.status_code == 302 and "/login" in response.headers["Location"]


def _error_of(page: str, field: str) -> str:
    start = page.index(f'id="{field}-error"')
    return page[start:start + 300]


def _audit(db, action: str) -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def _all_audit_text(db) -> str:
    return json.dumps([e.changes for e in db.session.scalars(select(AuditEntry))])


def new_user_form(**overrides):
    form = {"email": "Nina.New@Example.test", "name": "Nina New", "role": "consultant"}
    form.update(overrides)
    return form


ROUTES = [("get", "/admin/users"), ("get", "/admin/users/new"), ("post", "/admin/users/new"),
          ("get", "/admin/users/{id}"), ("get", "/admin/users/{id}/edit"),
          ("post", "/admin/users/{id}/edit"), ("post", "/admin/users/{id}/deactivate"),
          ("post", "/admin/users/{id}/reactivate"), ("get", "/admin/users/{id}/reset-password"),
          ("post", "/admin/users/{id}/reset-password")]


@pytest.mark.parametrize("role", [Role.CONSULTANT, Role.MANAGER])
@pytest.mark.parametrize("method,path", ROUTES)
def test_only_admins_may_open_the_user_pages(app, db, make_user, client_for, consultant, role,
                                             method, path):
    client = client_for(make_user(role))
    before = consultant.password_hash
    response = getattr(client, method)(path.format(id=consultant.id),
                                       data={**new_user_form(), "name": "Changed"})
    assert response.status_code == 403
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(User)) == 2
    assert (consultant.name, consultant.active, consultant.password_hash) == (
        "Connie Consultant", True, before)


@pytest.mark.parametrize("method,path", ROUTES)
def test_signing_in_is_required(app, db, consultant, method, path):
    response = getattr(app.test_client(), method)(path.format(id=consultant.id))
    assert _is_sent_to_login(response)


@pytest.mark.parametrize("method,path", [r for r in ROUTES if "{id}" in r[1]])
def test_a_user_that_does_not_exist_is_404(app, db, admin_client, method, path):
    assert getattr(admin_client, method)(path.format(id=999999)).status_code == 404
    assert getattr(admin_client, method)(path.format(id=2**31)).status_code == 404


# ---- the list ---------------------------------------------------------------------------------

def test_the_list_shows_every_user_with_a_link_and_the_filters_narrow_it(
        app, db, admin, admin_client, consultant, manager):
    user_service.set_active(consultant, False, admin)
    page = _text(admin_client.get("/admin/users"))
    assert "<strong>3</strong> users match" in page
    for user in (admin, consultant, manager):
        assert f'href="/admin/users/{user.id}"' in page
    row = page[page.index(f'id="user-{consultant.id}"'):]
    assert "deactivated" in row[:800]
    managers = _text(admin_client.get("/admin/users?role=manager"))
    assert "Mona Manager" in managers and "Connie Consultant" not in managers
    assert "<strong>1</strong> user matches" in managers
    gone = _text(admin_client.get("/admin/users?active=no"))
    assert "Connie Consultant" in gone and "Mona Manager" not in gone
    active = _text(admin_client.get("/admin/users?active=yes&role=consultant"))
    assert "Connie Consultant" not in active and "<strong>0</strong> users match" in active


@pytest.mark.parametrize("query", ["role=superuser", "role=%ED%A0%80", "active=maybe",
                                   "after=not-a-cursor", "before=WyJcdTAwMDAiLDFd",
                                   "after=" + "A" * 5000])
def test_odd_filters_and_cursors_show_the_first_page_not_an_error(app, db, admin_client,
                                                                  query):
    response = admin_client.get(f"/admin/users?{query}")
    assert response.status_code == 200
    assert "Ada Admin" in _text(response)


def test_the_list_pages_by_name(app, db, admin, admin_client, make_user, monkeypatch):
    monkeypatch.setattr("caseapp.web.admin.users.USERS_PER_PAGE", 2)
    for name in ["Bea", "Cai", "Dee", "Eve"]:
        make_user(name=name)
    first = _text(admin_client.get("/admin/users"))
    assert "Ada Admin" in first and "Bea" in first and "Cai" not in first
    after = re.search(r'rel="next" href="([^"]+)"', first).group(1).replace("&amp;", "&")
    second = _text(admin_client.get(after))
    assert "Cai" in second and "Dee" in second and "Bea" not in second
    before = re.search(r'rel="prev" href="([^"]+)"', second).group(1).replace("&amp;", "&")
    assert "Bea" in _text(admin_client.get(before))


def test_the_list_costs_the_same_statements_for_more_users(app, db, admin_client, make_user,
                                                           count_statements):
    def statements() -> int:
        count_statements.reset()
        assert admin_client.get("/admin/users").status_code == 200
        return count_statements.count

    make_user()
    few = statements()
    for _ in range(12):
        make_user(Role.MANAGER)
    assert statements() == few


# ---- a new user ---------------------------------------------------------------------------------

def test_a_new_user_gets_a_temporary_password_shown_once_and_must_change_it(
        app, db, admin, admin_client):
    response = admin_client.post("/admin/users/new", data=new_user_form(role="manager"))
    assert response.status_code == 200  # the page itself: no redirect carries the password
    temporary = TEMPORARY.search(_text(response)).group(1)
    user = user_service.find_by_email("nina.new@example.test")
    assert (user.name, user.role, user.must_change_password) == ("Nina New", Role.MANAGER,
                                                                 True)
    entry = db.session.scalars(select(AuditEntry).where(
        AuditEntry.entity == f"user:{user.id}")).one()
    assert (entry.action, entry.user_id) == ("user_created", admin.id)
    assert temporary not in _all_audit_text(db)
    with admin_client.session_transaction() as session:
        assert temporary not in json.dumps(session.get("_flashes", []))
    assert temporary not in _text(admin_client.get(f"/admin/users/{user.id}"))

    # Signing in with it leads to the password page, and nowhere else until it changes.
    visitor = app.test_client()
    signed_in = visitor.post("/login", data={"email": "nina.new@example.test",
                                             "password": temporary}, follow_redirects=True)
    assert signed_in.request.path == "/profile/password"
    assert "temporary password" in _text(signed_in)
    changed = visitor.post("/profile/password", data={
        "current_password": temporary, "new_password": "ninas-own-password",
        "confirm": "ninas-own-password"})
    assert changed.status_code == 302
    assert visitor.get("/").status_code == 200


@pytest.mark.parametrize("form,field,message", [
    (new_user_form(email="not an address"), "email", "valid email address"),
    (new_user_form(email="connie@example.test\u202e"), "email", "Invisible control"),
    (new_user_form(name=""), "name", "Enter the user&#39;s name."),
    (new_user_form(name="Nina\u202eNew"), "name", "Invisible control"),
    (new_user_form(name="N" * 121), "name", "120 characters"),
    (new_user_form(role="superuser"), "role", "Choose one of the roles listed."),
    (new_user_form(role=""), "role", "Choose one of the roles listed."),
])
def test_a_refused_new_user_is_an_error_beside_the_field_keeping_the_input(
        app, db, admin_client, form, field, message):
    response = admin_client.post("/admin/users/new", data=form)
    assert response.status_code == 200
    page = _text(response)
    assert message in _error_of(page, field)
    if field != "email":
        assert 'value="Nina.New@Example.test"' in page
    assert db.session.scalar(select(func.count()).select_from(User)) == 1


def test_an_email_in_use_is_refused_beside_the_email(app, db, admin_client, consultant):
    page = _text(admin_client.post("/admin/users/new", data=new_user_form(
        email=consultant.email.upper())))
    assert "exists already" in _error_of(page, "email")
    assert 'value="Nina New"' in page


def test_bytes_that_are_no_text_are_no_server_error(app, db, admin_client, consultant):
    body = "email=%ED%A0%80%00&name=%ED%A0%80&role=%ED%A0%80&seen_name=%ED%A0%80"
    for path in ("/admin/users/new", f"/admin/users/{consultant.id}/edit"):
        response = admin_client.post(path, data=body,
                                     content_type="application/x-www-form-urlencoded")
        assert response.status_code == 200


# ---- one user and their sign-ins ----------------------------------------------------------------

def _sign_ins(db, user: User, count: int) -> list[SignIn]:
    start = utcnow() - timedelta(days=1)
    rows = [SignIn(at=start + timedelta(minutes=n), email_digest="0" * 64, user_id=user.id,
                   address=f"10.0.0.{n % 250}", succeeded=n % 3 != 0,
                   reason="" if n % 3 else "password", user_agent="Firefox")
            for n in range(count)]
    db.session.add_all(rows)
    db.session.commit()
    return rows


def test_the_user_page_shows_the_details_and_the_sign_ins_newest_first(
        app, db, admin_client, consultant):
    rows = _sign_ins(db, consultant, 3)
    page = _text(admin_client.get(f"/admin/users/{consultant.id}"))
    assert "Connie Consultant" in page and consultant.email in page
    ids = [int(i) for i in re.findall(r'id="sign-in-(\d+)"', page)]
    assert ids == [r.id for r in reversed(rows)]
    newest = page[page.index(f'id="sign-in-{rows[1].id}"'):]
    assert "10.0.0.1" in newest[:600] and "signed in" in newest[:600]
    oldest = page[page.index(f'id="sign-in-{rows[0].id}"'):]
    assert "refused" in oldest[:600] and "wrong password" in oldest[:600]
    local = rows[2].at.astimezone(clock.business_timezone())
    assert local.strftime("%Y-%m-%d %H:%M") in page


def test_the_sign_ins_page_by_keyset(app, db, admin_client, consultant, monkeypatch):
    rows = _sign_ins(db, consultant, 30)
    first = _text(admin_client.get(f"/admin/users/{consultant.id}"))
    shown = re.findall(r'id="sign-in-(\d+)"', first)
    assert len(shown) == 25 and int(shown[0]) == rows[-1].id
    older = re.search(r'rel="next" href="([^"]+)"', first).group(1).replace("&amp;", "&")
    second = _text(admin_client.get(older))
    assert [int(i) for i in re.findall(r'id="sign-in-(\d+)"', second)] == [
        r.id for r in reversed(rows[:5])]
    assert 'rel="next"' not in second


@pytest.mark.parametrize("after", ["nonsense", "WyJ4IiwxXQ", "A" * 3000])
def test_a_forged_sign_in_cursor_shows_the_newest(app, db, admin_client, consultant, after):
    _sign_ins(db, consultant, 2)
    response = admin_client.get(f"/admin/users/{consultant.id}?after={after}")
    assert response.status_code == 200
    assert "not one this page gave" in _text(response)
    assert len(re.findall(r'id="sign-in-\d+"', _text(response))) == 2


def test_every_table_cell_has_a_label_and_no_inline_script_or_style(app, db, admin,
                                                                    admin_client, consultant):
    _sign_ins(db, consultant, 2)
    for path in ["/admin/users", f"/admin/users/{consultant.id}", "/admin/users/new",
                 f"/admin/users/{consultant.id}/edit",
                 f"/admin/users/{consultant.id}/reset-password"]:
        page = _text(admin_client.get(path))
        assert "<td>" not in page and not re.search(r"<td(?![^>]*data-label=)", page), path
        assert not re.search(r"<script(?![^>]*src=)|<style|\sstyle=|\son[a-z]+=", page), path


# ---- editing ---------------------------------------------------------------------------

def test_an_admin_changes_a_name_and_role_audited(app, db, admin, admin_client, consultant):
    form = _text(admin_client.get(f"/admin/users/{consultant.id}/edit"))
    assert 'value="Connie Consultant"' in form
    response = admin_client.post(f"/admin/users/{consultant.id}/edit", data={
        "name": "Connie Chan", "role": "manager", "seen_name": "Connie Consultant",
        "seen_role": "consultant"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/admin/users/{consultant.id}")
    db.session.expire_all()
    assert (consultant.name, consultant.role) == ("Connie Chan", Role.MANAGER)
    entry = _audit(db, "user_updated")[0]
    assert (entry.user_id, entry.changes) == (admin.id, {
        "name": ["Connie Consultant", "Connie Chan"], "role": ["consultant", "manager"]})
    assert "Saved: Connie Chan, Manager." in _text(admin_client.get(response.headers[
        "Location"]))


def test_an_edit_of_a_user_changed_meanwhile_is_refused_then_goes_through(
        app, db, admin, admin_client, consultant):
    seen = {"seen_name": "Connie Consultant", "seen_role": "consultant"}
    user_service.update_user(admin, consultant, role=Role.MANAGER)  # someone else, meanwhile
    response = admin_client.post(f"/admin/users/{consultant.id}/edit",
                                 data={"name": "Connie Chan", "role": "consultant", **seen})
    page = _text(response)
    assert response.status_code == 200
    assert "Someone changed this user while you were editing" in page
    assert 'value="Connie Chan"' in page  # what was typed stays
    assert 'name="seen_role" type="hidden" value="manager"' in page
    db.session.expire_all()
    assert (consultant.name, consultant.role) == ("Connie Consultant", Role.MANAGER)
    again = admin_client.post(f"/admin/users/{consultant.id}/edit", data={
        "name": "Connie Chan", "role": "consultant", "seen_name": "Connie Consultant",
        "seen_role": "manager"})
    assert again.status_code == 302
    db.session.expire_all()
    assert (consultant.name, consultant.role) == ("Connie Chan", Role.CONSULTANT)


@pytest.mark.parametrize("form,field,message", [
    ({"name": "", "role": "consultant"}, "name", "Enter the user&#39;s name."),
    ({"name": "C" * 500, "role": "consultant"}, "name", "120 characters"),
    ({"name": "Connie\u2066Chan", "role": "consultant"}, "name", "Invisible control"),
    ({"name": "Connie Chan", "role": "root"}, "role", "Choose one of the roles listed."),
])
def test_a_refused_edit_is_an_error_beside_the_field(app, db, admin_client, consultant, form,
                                                     field, message):
    response = admin_client.post(f"/admin/users/{consultant.id}/edit", data={
        **form, "seen_name": "Connie Consultant", "seen_role": "consultant"})
    assert response.status_code == 200
    assert message in _error_of(_text(response), field)
    db.session.expire_all()
    assert (consultant.name, consultant.role) == ("Connie Consultant", Role.CONSULTANT)


def test_the_last_active_admin_is_not_demoted_or_deactivated(app, db, admin, admin_client):
    demoted = admin_client.post(f"/admin/users/{admin.id}/edit", data={
        "name": "Ada Admin", "role": "manager", "seen_name": "Ada Admin", "seen_role": "admin"})
    assert demoted.status_code == 200
    assert "is the last active admin" in _text(demoted)
    deactivated = admin_client.post(f"/admin/users/{admin.id}/deactivate",
                                    follow_redirects=True)
    assert deactivated.status_code == 200
    assert "is the last active admin" in _text(deactivated)
    db.session.expire_all()
    assert (admin.role, admin.active) == (Role.ADMIN, True)
    assert _audit(db, "user_updated") == [] and _audit(db, "user_deactivated") == []


def test_an_admin_who_makes_themselves_a_manager_lands_on_their_profile(
        app, db, admin, admin_client, make_user):
    make_user(Role.ADMIN)
    response = admin_client.post(f"/admin/users/{admin.id}/edit", data={
        "name": "Ada Admin", "role": "manager", "seen_name": "Ada Admin", "seen_role": "admin"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/profile/")


# ---- deactivating, reactivating, resetting -------------------------------------------

def test_deactivating_signs_the_user_out_everywhere_and_reactivating_lets_them_in(
        app, db, admin, admin_client, consultant, client_for):
    theirs = client_for(consultant)
    assert theirs.get("/").status_code == 200
    response = admin_client.post(f"/admin/users/{consultant.id}/deactivate")
    assert response.status_code == 302
    assert "is deactivated" in _text(admin_client.get(response.headers["Location"]))
    assert _is_sent_to_login(theirs.get("/"))
    assert _audit(db, "user_deactivated")[0].user_id == admin.id
    admin_client.post(f"/admin/users/{consultant.id}/reactivate")
    db.session.expire_all()
    assert consultant.active
    assert _is_sent_to_login(theirs.get("/"))  # the old session stays ended
    assert client_for(consultant).get("/").status_code == 200


def test_a_reset_asks_first_then_shows_the_password_once_and_ends_their_sessions(
        app, db, admin, admin_client, consultant, client_for):
    theirs = client_for(consultant)
    confirm = admin_client.get(f"/admin/users/{consultant.id}/reset-password")
    assert confirm.status_code == 200 and "Reset the password" in _text(confirm)
    db.session.expire_all()
    assert not consultant.must_change_password  # asking changed nothing
    response = admin_client.post(f"/admin/users/{consultant.id}/reset-password")
    assert response.status_code == 200
    temporary = TEMPORARY.search(_text(response)).group(1)
    assert _is_sent_to_login(theirs.get("/"))
    assert user_service.authenticate(consultant.email, temporary) is not None
    assert user_service.authenticate(consultant.email, "password-123") is None
    db.session.expire_all()
    assert consultant.must_change_password
    entry = _audit(db, "password_reset")[0]
    assert entry.user_id == admin.id and entry.entity == f"user:{consultant.id}"
    audit_text = _all_audit_text(db)
    assert temporary not in audit_text and "$argon2" not in audit_text
    assert "temporary: must choose a new one" in _text(admin_client.get(
        f"/admin/users/{consultant.id}"))


def test_an_admin_resets_their_own_password_on_the_profile_instead(app, db, admin,
                                                                   admin_client):
    page = _text(admin_client.get(f"/admin/users/{admin.id}/reset-password"))
    assert 'href="/profile/password"' in page and 'type="submit"' not in page.split(
        "<main>")[1]
    response = admin_client.post(f"/admin/users/{admin.id}/reset-password",
                                 follow_redirects=True)
    assert "Change your own password on your profile page" in _text(response)
    db.session.expire_all()
    assert not admin.must_change_password
    assert admin_client.get("/admin/users").status_code == 200  # still signed in
