"""Users over the API, for admins: list (keyset pages, filters), create, read, change; the last
active admin stays; audited as made through the API; 403 for everyone else. Both databases."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from caseapp.models import AuditEntry, Role, User
from caseapp.services import users as user_service
from tests.api.conftest import ApiClient

USER_KEYS = {"id", "email", "name", "role", "active", "created_at"}


def new_user(**overrides):
    body = {"email": "Nina.Ng@Example.test", "name": "Nina Ng", "role": "consultant",
            "password": "a-long-password"}
    body.update(overrides)
    return body


def user_count(db) -> int:
    return db.session.scalar(select(func.count()).select_from(User))


def test_an_admin_creates_a_user_who_can_sign_in(admin_api: ApiClient, admin, db) -> None:
    created = admin_api.post("/api/v1/users", json=new_user())
    assert created.status_code == 201, created.json
    assert set(created.json) == USER_KEYS
    assert created.json["email"] == "nina.ng@example.test"
    assert (created.json["name"], created.json["role"], created.json["active"]) == (
        "Nina Ng", "consultant", True)
    assert created.headers["Location"] == f"/api/v1/users/{created.json['id']}"
    assert user_service.authenticate("nina.ng@example.test", "a-long-password").id == (
        created.json["id"])

    entry = db.session.scalars(select(AuditEntry).where(
        AuditEntry.action == "user_created",
        AuditEntry.entity == f"user:{created.json['id']}")).one()
    assert entry.user_id == admin.id
    assert entry.via == "api" and entry.api_token_id is not None

    read = admin_api.get(created.headers["Location"])
    assert read.status_code == 200 and read.json == created.json


@pytest.mark.parametrize("body,field,message", [
    (new_user(email="{consultant}"), "email", "A user with this email exists already."),
    (new_user(email=" {CONSULTANT} "), "email", "A user with this email exists already."),
    (new_user(email="not-an-email"), "email", "Enter a valid email address."),
    (new_user(password="short"), "password", "Use at least 10 characters."),
    (new_user(name="  "), "name", "Enter a name of at most 120 characters."),
    (new_user(name="Nina\u202eNg"), "name", "Remove the invisible control"),
    (new_user(role="superuser"), "role", "Must be one of"),
    ({**new_user(), "password_hash": "x"}, "password_hash", "Unknown field."),
    ({"email": "a@example.test"}, "name", "Missing data for required field."),
])
def test_invalid_input_is_422_per_field_and_creates_nobody(
        admin_api: ApiClient, consultant, db, body, field, message) -> None:
    body = {**body, "email": body["email"].format(consultant=consultant.email,
                                                  CONSULTANT=consultant.email.upper())}
    before = user_count(db)
    response = admin_api.post("/api/v1/users", json=body)
    assert response.status_code == 422, response.json
    assert response.json["errors"][field][0].startswith(message)
    assert user_count(db) == before


def test_the_list_pages_by_name_and_filters(admin_api: ApiClient, admin, make_user, db) -> None:
    for name in ("Zoe", "Amy", "Bea", "Amy", "Cat"):
        make_user(Role.CONSULTANT, name=name)
    make_user(Role.MANAGER, name="Mo")
    gone = make_user(Role.CONSULTANT, name="Dee")
    user_service.set_active(gone, False, admin)
    everyone = sorted(db.session.scalars(select(User)), key=lambda u: (u.name, u.id))

    seen, cursor, pages = [], None, 0
    while True:
        response = admin_api.get("/api/v1/users?per_page=3" + (f"&after={cursor}"
                                                                if cursor else ""))
        assert response.status_code == 200, response.json
        assert response.json["total"] == len(everyone) and response.json["total_is_exact"]
        assert all(set(item) == USER_KEYS for item in response.json["items"])
        seen += [item["id"] for item in response.json["items"]]
        pages += 1
        if not response.json["has_next"]:
            break
        cursor = response.json["next_cursor"]
    assert seen == [u.id for u in everyone] and pages == 3

    # Back from the last page with prev_cursor.
    back = admin_api.get(f"/api/v1/users?per_page=3&before={response.json['prev_cursor']}")
    assert [i["id"] for i in back.json["items"]] == [u.id for u in everyone][3:6]
    assert back.json["has_prev"] and back.json["has_next"]

    consultants = admin_api.get("/api/v1/users?role=consultant&active=true").json
    assert [i["name"] for i in consultants["items"]] == ["Amy", "Amy", "Bea", "Cat", "Zoe"]
    inactive = admin_api.get("/api/v1/users?active=false").json
    assert [i["name"] for i in inactive["items"]] == ["Dee"] and inactive["total"] == 1


@pytest.mark.parametrize("query,field", [("per_page=0", "per_page"),
                                         ("per_page=201", "per_page"),
                                         ("role=owner", "role"),
                                         ("after=not-a-cursor", "after"),
                                         ("before=WyJ4Il0", "before"),
                                         ("sort=name", "sort")])
def test_bad_list_parameters_are_422(admin_api: ApiClient, query, field) -> None:
    response = admin_api.get(f"/api/v1/users?{query}")
    assert response.status_code == 422
    assert field in response.json["errors"]


def test_no_password_hash_ever_leaves(admin_api: ApiClient, admin, consultant) -> None:
    for path in ("/api/v1/users", f"/api/v1/users/{consultant.id}"):
        text = admin_api.get(path).get_data(as_text=True)
        assert "password" not in text and "$argon2" not in text
    created = admin_api.post("/api/v1/users", json=new_user())
    assert "a-long-password" not in created.get_data(as_text=True)
    assert "$argon2" not in created.get_data(as_text=True)


def test_an_admin_changes_name_role_and_active_audited(
        admin_api: ApiClient, admin, consultant, make_token, app, db) -> None:
    secret = make_token(consultant)
    path = f"/api/v1/users/{consultant.id}"
    changed = admin_api.patch(path, json={"name": "Connie Chan", "role": "manager"})
    assert changed.status_code == 200, changed.json
    assert (changed.json["name"], changed.json["role"]) == ("Connie Chan", "manager")
    entry = db.session.scalars(select(AuditEntry).where(
        AuditEntry.action == "user_updated")).one()
    assert entry.entity == f"user:{consultant.id}" and entry.user_id == admin.id
    assert entry.changes == {"name": ["Connie Consultant", "Connie Chan"],
                             "role": ["consultant", "manager"]}
    assert entry.via == "api"

    theirs = app.test_client()
    assert theirs.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}
                      ).json["role"] == "manager"
    off = admin_api.patch(path, json={"active": False})
    assert off.status_code == 200 and off.json["active"] is False
    # Their token stops at once.
    refused = theirs.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
    assert refused.status_code == 401
    assert "deactivated" in refused.json["errors"]["Authorization"][0]

    # Nothing sent is a 422; the same values again change nothing and record nothing.
    assert admin_api.patch(path, json={}).status_code == 422
    same = admin_api.patch(path, json={"active": False, "name": "Connie Chan"})
    assert same.status_code == 200
    assert db.session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "user_updated")) == 2


def test_unknown_users_are_404(admin_api: ApiClient) -> None:
    assert admin_api.get("/api/v1/users/999999").status_code == 404
    assert admin_api.patch("/api/v1/users/999999", json={"name": "X"}).status_code == 404


@pytest.mark.parametrize("change", [{"role": "manager"}, {"active": False},
                                    {"role": "consultant", "active": False}])
def test_the_last_active_admin_is_neither_demoted_nor_deactivated_409(
        admin_api: ApiClient, admin, make_user, db, change) -> None:
    # A deactivated admin does not count: they cannot act.
    dormant = make_user(Role.ADMIN, name="Dormant Admin")
    user_service.set_active(dormant, False, admin)
    response = admin_api.patch(f"/api/v1/users/{admin.id}", json=change)
    assert response.status_code == 409, response.json
    assert response.json["errors"]["request"] == [
        "Ada Admin is the last active admin: make another user an admin first."]
    db.session.expire_all()
    kept = db.session.get(User, admin.id)
    assert (kept.role, kept.active) == (Role.ADMIN, True)
    assert db.session.scalars(select(AuditEntry).where(
        AuditEntry.action == "user_updated")).all() == []
    # The name of the last admin may still change.
    assert admin_api.patch(f"/api/v1/users/{admin.id}", json={"name": "Ada Lee"}
                           ).status_code == 200


def test_with_a_second_admin_one_may_step_down(admin_api: ApiClient, admin, make_user,
                                               db) -> None:
    second = make_user(Role.ADMIN, name="Second Admin")
    demoted = admin_api.patch(f"/api/v1/users/{second.id}", json={"role": "manager"})
    assert demoted.status_code == 200 and demoted.json["role"] == "manager"
    promoted = admin_api.patch(f"/api/v1/users/{second.id}", json={"role": "admin"})
    assert promoted.status_code == 200
    itself = admin_api.patch(f"/api/v1/users/{admin.id}", json={"role": "manager"})
    assert itself.status_code == 200
    # The request's own user is no admin any more: the next one is refused.
    assert admin_api.get("/api/v1/users").status_code == 403


@pytest.mark.parametrize("role", [Role.MANAGER, Role.CONSULTANT])
def test_everyone_but_admins_gets_403_and_changes_nothing(api_for, make_user, consultant,
                                                          db, role) -> None:
    api = api_for(make_user(role))
    before = user_count(db)
    for method, path, body in [
        ("get", "/api/v1/users", None),
        ("get", f"/api/v1/users/{consultant.id}", None),
        ("post", "/api/v1/users", new_user()),
        ("post", "/api/v1/users", {"junk": True}),  # refused for the role, not the body
        ("patch", f"/api/v1/users/{consultant.id}", {"role": "admin"}),
    ]:
        response = getattr(api, method)(path, json=body) if body else getattr(api, method)(path)
        assert response.status_code == 403, (method, path, response.json)
        assert response.json == {"errors": {"request": ["Your role does not allow this."]}}
    assert user_count(db) == before
    db.session.expire_all()
    assert db.session.get(User, consultant.id).role is Role.CONSULTANT


def test_without_a_token_it_is_401(app, consultant) -> None:
    response = app.test_client().get("/api/v1/users")
    assert response.status_code == 401
