"""Users: creating, authenticating, changing (name, role, active), deactivating.

There is always an active admin: a change that would leave none (the last one demoted or
deactivated) is refused. The admins' rows are locked for the check on PostgreSQL, and the
count is taken after the change is written (SQLite then holds its write lock), so two admins
demoting each other at the same moment cannot both succeed.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from email_validator import EmailNotValidError, validate_email
from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from caseapp.extensions import db
from caseapp.models import Role, User
from caseapp.services import audit
from caseapp.services.errors import NotAllowed, ValidationFailed
from caseapp.services.people import has_unsafe_characters

MIN_PASSWORD_LENGTH = 10
MAX_NAME_LENGTH = 120
EMAIL_TAKEN = "A user with this email exists already."


@cache
def _hasher_for(time_cost: int, memory_cost: int) -> PasswordHasher:
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_cost)


def _hasher() -> PasswordHasher:
    """Argon2id with the configured cost (the defaults of argon2-cffi unless tests lower it)."""
    config = current_app.config
    return _hasher_for(config["ARGON2_TIME_COST"], config["ARGON2_MEMORY_COST"])


@cache
def _dummy_hash(hasher: PasswordHasher) -> str:
    # Verifying against this when the email is unknown keeps the response time the same.
    return hasher.hash("not-a-real-password")


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def find_by_email(email: str) -> User | None:
    return db.session.scalars(
        select(User).where(func.lower(User.email) == email.strip().lower())
    ).one_or_none()


def authenticate(email: str, password: str) -> User | None:
    """The active user with these credentials, or None (same answer for every failure)."""
    user = find_by_email(email)
    hasher = _hasher()
    try:
        hasher.verify(user.password_hash if user else _dummy_hash(hasher), password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None or not user.active:
        return None
    if hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
        db.session.commit()
    return user


def create_user(
    email: str, name: str, role: Role, password: str, actor: User | None = None
) -> User:
    errors: dict[str, list[str]] = {}
    email = email.strip().lower()
    if not _is_email_address(email):
        errors["email"] = ["Enter a valid email address."]
    elif find_by_email(email) is not None:
        errors["email"] = [EMAIL_TAKEN]
    if name_errors := _name_errors(name):
        errors["name"] = name_errors
    if len(password) < MIN_PASSWORD_LENGTH:
        errors["password"] = [f"Use at least {MIN_PASSWORD_LENGTH} characters."]
    elif has_unsafe_characters(password):
        errors["password"] = ["The password contains control characters or characters that "
                              "are not text: choose another."]
    if errors:
        raise ValidationFailed(errors)
    user = User(email=email, name=name.strip(), role=role, password_hash=hash_password(password))
    try:
        db.session.add(user)
        db.session.flush()
    except IntegrityError:  # the same email, created a moment ago by someone else
        db.session.rollback()
        raise ValidationFailed({"email": [EMAIL_TAKEN]}) from None
    audit.record(actor, "user_created", f"user:{user.id}",
                 {"email": [None, email], "role": [None, role.value]})
    db.session.commit()
    return user


def _is_email_address(email: str) -> bool:
    """An address as the applicant form checks one (email-validator's syntax rules; no DNS),
    with nothing invisible in it (a text-direction character can make it display as another)."""
    if len(email) > 254 or has_unsafe_characters(email):
        return False
    try:
        # test_environment: the demo's and the tests' accounts are at *.test addresses.
        validate_email(email, check_deliverability=False, test_environment=True)
    except EmailNotValidError:
        return False
    return True


def _name_errors(name: str) -> list[str]:
    if not name.strip() or len(name) > MAX_NAME_LENGTH:
        return [f"Enter a name of at most {MAX_NAME_LENGTH} characters."]
    if has_unsafe_characters(name):
        return ["The name contains invisible control or text-direction characters: retype it."]
    return []


def _is_active_admin(role: Role, active: bool) -> bool:
    return role is Role.ADMIN and active


def _active_admins(lock: bool = False) -> int:
    query = select(User.id).where(User.role == Role.ADMIN, User.active.is_(True))
    if lock:  # PostgreSQL: until the commit; SQLite ignores it (see the module's note)
        query = query.order_by(User.id).with_for_update()
    return len(db.session.scalars(query).all())


def update_user(actor: User | None, user: User, *, name: str | None = None,
                role: Role | None = None, active: bool | None = None) -> dict[str, Any]:
    """Change ``user``'s name, role or active state (None leaves one as it is), on the audit
    trail as one entry of what changed. Refused when no active admin would be left.

    Returns the changes (``{field: [old, new]}``), empty when nothing changed. A deactivated
    user is signed out on their next request and their API tokens stop working at once.
    """
    values: dict[str, Any] = {}
    if name is not None:
        if name_errors := _name_errors(name):
            raise ValidationFailed({"name": name_errors})
        values["name"] = name.strip()
    if role is not None:
        values["role"] = role
    if active is not None:
        values["active"] = active
    removes_an_admin = _is_active_admin(user.role, user.active) and not _is_active_admin(
        values.get("role", user.role), values.get("active", user.active))
    try:
        if removes_an_admin:
            _active_admins(lock=True)
        changes = audit.apply_changes(user, values)
        if not changes:
            return changes
        db.session.flush()
        if removes_an_admin and _active_admins() == 0:
            raise NotAllowed(f"{user.name} is the last active admin: make another user an "
                             "admin first.")
        audit.record(actor, "user_updated", f"user:{user.id}", changes)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return changes


def set_active(user: User, active: bool, actor: User | None = None) -> None:
    """Let ``user`` sign in (and use their tokens) again, or stop them; the last active admin
    is not deactivated."""
    if user.active == active:
        return
    removes_an_admin = not active and _is_active_admin(user.role, user.active)
    try:
        if removes_an_admin:
            _active_admins(lock=True)
        audit.record(actor, "user_activated" if active else "user_deactivated",
                     f"user:{user.id}", {"active": [audit.display_value(user.active),
                                                    audit.display_value(active)]})
        user.active = active
        db.session.flush()
        if removes_an_admin and _active_admins() == 0:
            raise NotAllowed(f"{user.name} is the last active admin: make another user an "
                             "admin first.")
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
