"""``flask --app caseapp tokens create|list|revoke``: the secret printed once on stdout,
every change attributed to a user, refusals on stderr with a non-zero exit. Both databases."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from caseapp import clock
from caseapp.models import ApiToken, AuditEntry, Role, User
from caseapp.services import tokens

TODAY = clock.today()
SECRET = re.compile(r"cap_[A-Za-z0-9_-]{43}")


def cli(app, *args):
    return app.test_cli_runner().invoke(args=list(args))


def me(app, secret):
    return app.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})


def test_create_prints_the_secret_alone_on_stdout_and_it_works(app, db, consultant):
    result = cli(app, "tokens", "create", "--user", consultant.email, "--name", "CRM sync",
                 "--expires", (TODAY + timedelta(days=10)).isoformat())
    assert result.exit_code == 0, result.stderr
    secret = result.stdout.strip()
    assert SECRET.fullmatch(secret)
    assert "shown only this once" in result.stderr and secret not in result.stderr
    assert "CRM sync" in result.stderr and (TODAY + timedelta(days=10)).isoformat() in (
        result.stderr)
    response = me(app, secret)
    assert response.status_code == 200 and response.json["id"] == consultant.id
    token = db.session.scalars(select(ApiToken)).one()
    assert token.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert tokens.last_valid_day(token) == TODAY + timedelta(days=10)
    entry = db.session.scalars(select(AuditEntry).where(
        AuditEntry.action == "token_created")).one()
    assert entry.user_id == consultant.id and token.created_by_id == consultant.id


def test_create_defaults_to_ninety_days(app, db, consultant):
    result = cli(app, "tokens", "create", "--user", consultant.email, "--name", "Default")
    assert result.exit_code == 0, result.stderr
    token = db.session.scalars(select(ApiToken)).one()
    assert tokens.last_valid_day(token) == tokens.default_expiry()


def test_an_admin_creates_and_revokes_for_a_user_with_as(app, db, consultant, admin):
    result = cli(app, "tokens", "create", "--user", consultant.email, "--name", "Sync",
                 "--as", admin.email)
    assert result.exit_code == 0, result.stderr
    token = db.session.scalars(select(ApiToken)).one()
    assert (token.user_id, token.created_by_id) == (consultant.id, admin.id)
    assert me(app, result.stdout.strip()).json["id"] == consultant.id

    revoked = cli(app, "tokens", "revoke", "--user", consultant.email, "--name", "Sync",
                  "--as", admin.email)
    assert revoked.exit_code == 0, revoked.stderr
    entries = db.session.scalars(select(AuditEntry).where(
        AuditEntry.entity == f"api_token:{token.id}").order_by(AuditEntry.id)).all()
    assert [(e.action, e.user_id) for e in entries] == [("token_created", admin.id),
                                                        ("token_revoked", admin.id)]


def test_as_someone_who_is_not_an_admin_is_refused(app, db, consultant, manager):
    result = cli(app, "tokens", "create", "--user", consultant.email, "--name", "Sync",
                 "--as", manager.email)
    assert result.exit_code == 1
    assert "error: Only an admin creates tokens for someone else." in result.stderr
    assert SECRET.search(result.stdout) is None
    assert db.session.scalars(select(ApiToken)).all() == []


@pytest.mark.parametrize("args,message", [
    (["--name", "  "], "error: name: Name the token"),
    (["--name", "Sync", "--expires", "2001-01-01"], "error: expires_on: Choose today or a "
                                                    "later day."),
])
def test_refusals_are_printed_and_exit_non_zero(app, db, consultant, args, message):
    result = cli(app, "tokens", "create", "--user", consultant.email, *args)
    assert result.exit_code == 1
    assert message in result.stderr
    assert result.stdout == ""
    assert db.session.scalars(select(ApiToken)).all() == []


def test_a_duplicate_name_and_an_unknown_user_are_refused(app, db, consultant):
    assert cli(app, "tokens", "create", "--user", consultant.email, "--name", "Sync"
               ).exit_code == 0
    again = cli(app, "tokens", "create", "--user", consultant.email, "--name", "sync")
    assert again.exit_code == 1
    assert "error: name: You already have a working token called \"sync\"." in again.stderr
    unknown = cli(app, "tokens", "create", "--user", "nobody@example.test", "--name", "X")
    assert unknown.exit_code == 1 and "No user with email nobody@example.test" in (
        unknown.stderr)
    assert len(db.session.scalars(select(ApiToken)).all()) == 1


def test_list_shows_each_token_without_its_secret(app, db, consultant, other_consultant,
                                                  admin):
    working = tokens.create_token(consultant, consultant, "Working one",
                                  TODAY + timedelta(days=3))
    revoked = tokens.create_token(consultant, consultant, "Revoked one", TODAY)
    tokens.revoke_token(consultant, revoked.token)
    tokens.create_token(other_consultant, other_consultant, "Not theirs", TODAY)
    result = cli(app, "tokens", "list", "--user", consultant.email)
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 2
    first = next(line for line in lines if "Working one" in line)
    assert first.split()[0] == str(working.token.id)
    assert working.token.prefix in first and "last used never" in first
    assert f"through {(TODAY + timedelta(days=3)).isoformat()}" in first
    assert first.rstrip().endswith("working")
    assert next(line for line in lines if "Revoked one" in line).rstrip().endswith("revoked")
    assert working.secret not in result.stdout and "Not theirs" not in result.stdout
    theirs = cli(app, "tokens", "list", "--user", other_consultant.email.upper())
    assert "Not theirs" in theirs.stdout
    assert cli(app, "tokens", "list", "--user", admin.email).stdout == (
        f"{admin.email} has no API tokens.\n")


def test_revoke_by_name_or_id_stops_the_token_at_once(app, db, consultant, other_consultant):
    by_name = tokens.create_token(consultant, consultant, "By name", TODAY)
    by_id = tokens.create_token(consultant, consultant, "By id", TODAY)
    theirs = tokens.create_token(other_consultant, other_consultant, "Theirs", TODAY)
    assert me(app, by_name.secret).status_code == 200

    result = cli(app, "tokens", "revoke", "--user", consultant.email, "--name", "by NAME")
    assert result.exit_code == 0, result.stderr
    assert "Revoked the token \"By name\"" in result.stdout
    assert me(app, by_name.secret).status_code == 401
    assert me(app, by_id.secret).status_code == 200

    result = cli(app, "tokens", "revoke", "--user", consultant.email, "--id", str(by_id.token.id))
    assert result.exit_code == 0, result.stderr
    assert me(app, by_id.secret).status_code == 401

    twice = cli(app, "tokens", "revoke", "--user", consultant.email, "--id", str(by_id.token.id))
    assert twice.exit_code == 1 and "is already revoked" in twice.stderr
    gone = cli(app, "tokens", "revoke", "--user", consultant.email, "--name", "By name")
    assert gone.exit_code == 1 and "no working token called 'By name'" in gone.stderr
    # Another user's token id is not this user's to revoke.
    other = cli(app, "tokens", "revoke", "--user", consultant.email,
                "--id", str(theirs.token.id))
    assert other.exit_code == 1 and f"has no token {theirs.token.id}" in other.stderr
    assert me(app, theirs.secret).status_code == 200


def test_revoke_needs_exactly_one_of_name_and_id(app, db, consultant):
    assert cli(app, "tokens", "revoke", "--user", consultant.email).exit_code == 2
    assert cli(app, "tokens", "revoke", "--user", consultant.email, "--name", "X", "--id", "1"
               ).exit_code == 2


def test_the_last_active_admin_is_not_deactivated(app, db, admin, make_user):
    result = cli(app, "users", "deactivate", admin.email)
    assert result.exit_code == 1
    assert "last active admin" in result.stderr
    db.session.expire_all()
    assert db.session.get(User, admin.id).active
    make_user(Role.ADMIN)
    assert cli(app, "users", "deactivate", admin.email).exit_code == 0
    db.session.expire_all()
    assert not db.session.get(User, admin.id).active
