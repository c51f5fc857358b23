"""Changing users through the service: the last active admin stays, also when two admins
step down at the same moment. Both databases."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from caseapp.extensions import db as _db
from caseapp.models import AuditEntry, Role, User
from caseapp.services import users as user_service
from caseapp.services.errors import NotAllowed, ValidationFailed


def active_admins(db) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(User).where(
        User.role == Role.ADMIN, User.active.is_(True)))


STEP_DOWN = {
    "demoted": lambda user: user_service.update_user(user, user, role=Role.MANAGER),
    "deactivated": lambda user: user_service.set_active(user, False, user),
}


def _step_down_together(app, how: str, admin_ids: list[int]) -> list[str]:
    """Each admin steps down in a thread of their own, both let go at the same moment."""
    barrier = threading.Barrier(len(admin_ids))
    outcomes: list[str] = []

    def step_down(user_id: int) -> None:
        with app.app_context():
            user = _db.session.get(User, user_id)
            barrier.wait()
            try:
                STEP_DOWN[how](user)
                outcomes.append("done")
            except NotAllowed:
                outcomes.append("refused")
            finally:
                _db.session.remove()

    threads = [threading.Thread(target=step_down, args=(user_id,)) for user_id in admin_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(outcomes)


@pytest.mark.parametrize("how", list(STEP_DOWN))
def test_two_admins_stepping_down_at_once_leave_one(app, db, make_user, how):
    admins = [make_user(Role.ADMIN).id, make_user(Role.ADMIN).id]
    for _ in range(3):
        assert _step_down_together(app, how, admins) == ["done", "refused"]
        assert active_admins(db) == 1
        for user in db.session.scalars(select(User).where(User.id.in_(admins))):
            user.role, user.active = Role.ADMIN, True
        db.session.commit()


def test_a_change_is_one_audit_entry_of_what_changed(db, admin, consultant):
    changes = user_service.update_user(admin, consultant, name=" Connie Chan ",
                                       role=Role.CONSULTANT, active=False)
    assert changes == {"name": ["Connie Consultant", "Connie Chan"], "active": ["yes", "no"]}
    entry = db.session.scalars(select(AuditEntry).where(
        AuditEntry.action == "user_updated")).one()
    assert (entry.user_id, entry.entity, entry.changes) == (admin.id, f"user:{consultant.id}",
                                                            changes)
    assert user_service.update_user(admin, consultant, name="Connie Chan") == {}
    assert db.session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "user_updated")) == 1


def test_a_bad_name_changes_nothing(db, admin, consultant):
    with pytest.raises(ValidationFailed) as refused:
        user_service.update_user(admin, consultant, name="Connie\u202eChan", active=False)
    assert list(refused.value.errors) == ["name"]
    db.session.expire_all()
    assert (consultant.name, consultant.active) == ("Connie Consultant", True)
