"""Passwords through the service: a user changes their own (the current one required), an
admin resets someone else's to a temporary one; both, and a deactivation, move the session
epoch on (every older session ends), and the audit trail never holds password material.
Both databases."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import select

from caseapp.models import AuditEntry, Role, User
from caseapp.services import users as user_service
from caseapp.services.errors import NotAllowed, ValidationFailed

OLD = "password-123"  # the make_user fixture's
NEW = "a-new-passphrase"


def _entries(db, action: str) -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def _audit_text(db) -> str:
    return json.dumps([e.changes for e in db.session.scalars(select(AuditEntry))])


def test_a_changed_password_signs_in_and_the_old_one_no_longer_does(db, consultant):
    epoch = consultant.session_epoch
    user_service.change_password(consultant, OLD, NEW, NEW)
    assert user_service.authenticate(consultant.email, NEW) == consultant
    assert user_service.authenticate(consultant.email, OLD) is None
    db.session.expire_all()
    assert consultant.session_epoch == epoch + 1
    assert consultant.password_changed_at is not None
    assert not consultant.must_change_password


def test_the_change_is_audited_without_the_password_or_its_hash(db, consultant):
    user_service.change_password(consultant, OLD, NEW, NEW)
    entry = _entries(db, "password_changed")[0]
    assert (entry.user_id, entry.entity) == (consultant.id, f"user:{consultant.id}")
    assert entry.changes == {"password": ["(set)", "(changed)"]}
    text = _audit_text(db)
    assert NEW not in text and OLD not in text and "argon2" not in text


@pytest.mark.parametrize("current,new,confirm,field", [
    ("wrong-password", NEW, NEW, "current_password"),
    ("", NEW, NEW, "current_password"),
    (OLD, "short", "short", "new_password"),
    (OLD, OLD, OLD, "new_password"),
    (OLD, "new\u202epassword", "new\u202epassword", "new_password"),
    (OLD, "x" * 1001, "x" * 1001, "new_password"),
    (OLD, NEW, NEW + "!", "confirm"),
    ("\ud800" * 12, NEW, NEW, "current_password"),
])
def test_a_refused_change_says_which_field_and_changes_nothing(db, consultant, current, new,
                                                               confirm, field):
    before = (consultant.password_hash, consultant.session_epoch)
    with pytest.raises(ValidationFailed) as refused:
        user_service.change_password(consultant, current, new, confirm)
    assert field in refused.value.errors
    db.session.expire_all()
    assert (consultant.password_hash, consultant.session_epoch) == before
    assert _entries(db, "password_changed") == []


def test_a_reset_gives_a_readable_temporary_password_that_must_be_changed(db, admin,
                                                                          consultant):
    epoch = consultant.session_epoch
    temporary = user_service.reset_password(admin, consultant)
    assert re.fullmatch(r"[a-z2-9]{4}(-[a-z2-9]{4}){3}", temporary)
    assert not set(temporary) & set("01ilo")
    db.session.expire_all()
    assert consultant.must_change_password
    assert consultant.session_epoch == epoch + 1
    assert user_service.authenticate(consultant.email, temporary) == consultant
    assert user_service.authenticate(consultant.email, OLD) is None
    entry = _entries(db, "password_reset")[0]
    assert (entry.user_id, entry.entity) == (admin.id, f"user:{consultant.id}")
    assert entry.changes == {"password": ["(set)", "(reset)"],
                             "must_change_password": ["no", "yes"]}
    assert temporary not in _audit_text(db)


def test_two_resets_give_two_different_passwords(db, admin, consultant):
    assert user_service.reset_password(admin, consultant) != user_service.reset_password(
        admin, consultant)


def test_changing_the_temporary_password_lifts_the_obligation(db, admin, consultant):
    temporary = user_service.reset_password(admin, consultant)
    user_service.change_password(consultant, temporary, NEW, NEW)
    db.session.expire_all()
    assert not consultant.must_change_password
    assert _entries(db, "password_changed")[0].changes == {
        "password": ["(set)", "(changed)"], "must_change_password": ["yes", "no"]}


def test_an_admin_does_not_reset_their_own_password(db, admin):
    before = admin.password_hash
    with pytest.raises(NotAllowed):
        user_service.reset_password(admin, admin)
    db.session.expire_all()
    assert admin.password_hash == before and not admin.must_change_password


def test_a_user_created_with_a_temporary_password_must_change_it(db, admin):
    user, temporary = user_service.create_user_with_temporary_password(
        admin, "new.person@example.test", "New Person", Role.MANAGER)
    assert user.must_change_password
    assert user_service.authenticate("new.person@example.test", temporary) == user
    entry = db.session.scalars(select(AuditEntry).where(
        AuditEntry.entity == f"user:{user.id}")).one()
    assert (entry.action, entry.user_id) == ("user_created", admin.id)
    assert entry.changes == {"email": [None, "new.person@example.test"],
                             "role": [None, "manager"], "must_change_password": [None, "yes"]}
    assert temporary not in _audit_text(db)


@pytest.mark.parametrize("deactivate", [
    lambda admin, user: user_service.set_active(user, False, admin),
    lambda admin, user: user_service.update_user(admin, user, active=False),
], ids=["set_active", "update_user"])
def test_deactivating_moves_the_session_epoch_on(db, admin, consultant, deactivate):
    epoch = consultant.session_epoch
    deactivate(admin, consultant)
    db.session.expire_all()
    assert consultant.session_epoch == epoch + 1
    user_service.set_active(consultant, True, admin)
    user_service.update_user(admin, consultant, name="Connie Chan")
    db.session.expire_all()
    assert consultant.session_epoch == epoch + 1  # reactivating or renaming signs nobody out


def test_the_last_active_admin_is_not_deactivated_and_keeps_their_sessions(db, admin):
    epoch = admin.session_epoch
    with pytest.raises(NotAllowed):
        user_service.set_active(admin, False, admin)
    with pytest.raises(NotAllowed):
        user_service.update_user(admin, admin, active=False)
    db.session.expire_all()
    assert (admin.active, admin.session_epoch) == (True, epoch)


def test_an_edit_of_values_changed_meanwhile_is_refused(db, admin, consultant):
    seen = user_service.shown_values(consultant)
    user_service.update_user(admin, consultant, role=Role.MANAGER)
    with pytest.raises(user_service.ChangedMeanwhile) as refused:
        user_service.update_user(admin, consultant, name="Connie Chan", seen=seen)
    assert "the role Manager" in refused.value.message
    db.session.expire_all()
    assert consultant.name == "Connie Consultant"
    user_service.update_user(admin, consultant, name="Connie Chan",
                             seen=user_service.shown_values(consultant))
    db.session.expire_all()
    assert db.session.get(User, consultant.id).name == "Connie Chan"
