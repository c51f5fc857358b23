"""Personal API tokens through the service: what is stored, who may create and revoke, and
when a presented secret stops working. Both databases."""

from __future__ import annotations

import hashlib
from datetime import datetime, time, timedelta

import pytest
from sqlalchemy import select, update

from caseapp import clock
from caseapp.models import ApiToken, AuditEntry, Role, utcnow
from caseapp.queries.tokens import token_status, tokens_of, working_token_named
from caseapp.services import tokens
from caseapp.services import users as user_service
from caseapp.services.errors import NotAllowed, ValidationFailed

TODAY = clock.today()


def issue(user, name="CRM sync", days=30, actor=None):
    return tokens.create_token(actor or user, user, name, TODAY + timedelta(days=days))


def stored_row(db, token_id):
    return db.session.execute(
        select(ApiToken.__table__).where(ApiToken.__table__.c.id == token_id)).one()


def test_only_the_hash_of_the_secret_is_stored(db, consultant):
    issued = issue(consultant)
    assert issued.secret.startswith("cap_") and len(issued.secret) == 4 + 43
    row = stored_row(db, issued.token.id)
    assert row.token_hash == hashlib.sha256(issued.secret.encode()).hexdigest()
    assert row.prefix == issued.secret[:12]
    assert all(issued.secret not in str(value) for value in row)
    assert tokens.authenticate(issued.secret).user.id == consultant.id


def test_two_tokens_never_share_a_secret(db, consultant):
    assert issue(consultant, "One").secret != issue(consultant, "Two").secret


def test_creating_and_revoking_are_on_the_audit_trail(db, consultant):
    issued = issue(consultant)
    tokens.revoke_token(consultant, issued.token)
    entries = db.session.scalars(select(AuditEntry).where(
        AuditEntry.entity == f"api_token:{issued.token.id}").order_by(AuditEntry.id)).all()
    assert [(e.action, e.user_id) for e in entries] == [
        ("token_created", consultant.id), ("token_revoked", consultant.id)]
    assert entries[0].changes["prefix"] == [None, issued.token.prefix]
    assert all(issued.secret not in str(e.changes) for e in entries)


def test_the_token_works_through_its_last_day_in_business_time(app, db, consultant):
    issued = issue(consultant, days=10)
    last_day = TODAY + timedelta(days=10)
    assert tokens.last_valid_day(issued.token) == last_day
    midnight = datetime.combine(last_day + timedelta(days=1), time.min,
                                tzinfo=clock.business_timezone())
    assert issued.token.expires_at == midnight
    assert issued.token.is_usable(midnight - timedelta(seconds=1))
    assert not issued.token.is_usable(midnight)


@pytest.mark.parametrize("name,message", [
    ("", "Name the token"),
    ("   ", "Name the token"),
    ("x" * 81, "Keep the name to 80 characters."),
    ("CRM\u202esync", "invisible control or text-direction characters"),
])
def test_a_bad_name_is_refused_beside_the_name(db, consultant, name, message):
    with pytest.raises(ValidationFailed) as refused:
        issue(consultant, name=name)
    assert list(refused.value.errors) == ["name"]
    assert message in refused.value.errors["name"][0]
    assert tokens_of(consultant) == []


def test_a_second_working_token_of_the_same_name_is_refused_until_the_first_is_revoked(
        db, consultant, other_consultant):
    first = issue(consultant, name="CRM sync")
    with pytest.raises(ValidationFailed) as refused:
        issue(consultant, name="crm SYNC ")
    assert refused.value.errors == {"name": ["You already have a working token called "
                                             "\"crm SYNC\"."]}
    issue(other_consultant, name="CRM sync")  # another user's names are theirs
    tokens.revoke_token(consultant, first.token)
    assert issue(consultant, name="CRM sync").token.name == "CRM sync"


@pytest.mark.parametrize("days,message", [
    (-1, "Choose today or a later day."),
    (366, "A token works for at most 365 days"),
])
def test_an_expiry_out_of_range_is_refused(db, consultant, days, message):
    with pytest.raises(ValidationFailed) as refused:
        issue(consultant, days=days)
    assert message in refused.value.errors["expires_on"][0]


def test_today_and_the_longest_allowed_day_are_accepted(db, consultant):
    assert tokens.last_valid_day(issue(consultant, "Today", days=0).token) == TODAY
    assert tokens.last_valid_day(issue(consultant, "Year", days=365).token) == (
        TODAY + timedelta(days=365))


def test_only_an_admin_creates_a_token_for_someone_else(db, consultant, manager, admin):
    with pytest.raises(NotAllowed):
        issue(consultant, actor=manager)
    issued = issue(consultant, actor=admin)
    assert issued.token.user_id == consultant.id and issued.token.created_by_id == admin.id
    assert tokens.authenticate(issued.secret).user.id == consultant.id


def test_a_deactivated_user_gets_no_new_token(db, consultant, admin):
    user_service.set_active(consultant, False, admin)
    with pytest.raises(NotAllowed, match="deactivated"):
        issue(consultant, actor=admin)


def test_only_the_owner_or_an_admin_revokes_and_only_once(db, consultant, other_consultant,
                                                          admin):
    issued = issue(consultant)
    with pytest.raises(NotAllowed):
        tokens.revoke_token(other_consultant, issued.token)
    assert tokens.authenticate(issued.secret).user.id == consultant.id
    tokens.revoke_token(admin, issued.token)
    assert issued.token.revoked_by_id == admin.id
    with pytest.raises(NotAllowed, match="already revoked"):
        tokens.revoke_token(consultant, issued.token)


def test_a_revoked_an_expired_or_a_deactivated_users_token_is_refused(db, consultant,
                                                                      other_consultant):
    revoked, expired, working = (issue(consultant, n) for n in ("A", "B", "C"))
    tokens.revoke_token(consultant, revoked.token)
    db.session.execute(update(ApiToken).where(ApiToken.id == expired.token.id)
                       .values(expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    assert tokens.authenticate(revoked.secret) is tokens.Refusal.REVOKED
    assert tokens.authenticate(expired.secret) is tokens.Refusal.EXPIRED
    assert tokens.authenticate(working.secret).token.id == working.token.id
    user_service.set_active(consultant, False)
    assert tokens.authenticate(working.secret) is tokens.Refusal.INACTIVE
    for secret in ("", "cap_", "cap_" + "x" * 43, working.secret[:-1], "Bearer " + working.secret,
                   working.secret + "\u00e9"):
        assert tokens.authenticate(secret) is tokens.Refusal.UNKNOWN


def test_use_is_recorded_at_most_once_a_minute(db, consultant, count_statements):
    issued = issue(consultant)
    assert issued.token.last_used_at is None
    tokens.authenticate(issued.secret)
    db.session.expire_all()
    first = db.session.get(ApiToken, issued.token.id).last_used_at
    assert first is not None and utcnow() - first < timedelta(minutes=1)
    count_statements.reset()
    tokens.authenticate(issued.secret)
    assert not any(s.lstrip().upper().startswith("UPDATE") for s in count_statements.statements)
    db.session.execute(update(ApiToken).where(ApiToken.id == issued.token.id)
                       .values(last_used_at=first - timedelta(minutes=5)))
    db.session.commit()
    tokens.authenticate(issued.secret)
    db.session.expire_all()
    assert db.session.get(ApiToken, issued.token.id).last_used_at > first - timedelta(minutes=5)


def test_status_and_lookup_by_name(db, consultant, make_user):
    working, revoked, expired = (issue(consultant, n) for n in ("Working", "Revoked", "Old"))
    tokens.revoke_token(consultant, revoked.token)
    db.session.execute(update(ApiToken).where(ApiToken.id == expired.token.id)
                       .values(expires_at=utcnow() - timedelta(days=1)))
    db.session.commit()
    db.session.expire_all()
    assert {t.name: token_status(t) for t in tokens_of(consultant)} == {
        "Working": "working", "Revoked": "revoked", "Old": "expired"}
    assert working_token_named(consultant, " working ").id == working.token.id
    assert working_token_named(consultant, "Revoked") is None
    assert working_token_named(consultant, "Old") is None
    assert working_token_named(make_user(Role.CONSULTANT), "Working") is None
