"""Users: creating, authenticating, deactivating."""

from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from sqlalchemy import func, select

from caseapp.extensions import db
from caseapp.models import Role, User
from caseapp.services import audit
from caseapp.services.errors import ValidationFailed

MIN_PASSWORD_LENGTH = 10


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
    if "@" not in email or len(email) > 254:
        errors["email"] = ["Enter a valid email address."]
    elif find_by_email(email) is not None:
        errors["email"] = ["A user with this email exists already."]
    if not name.strip() or len(name) > 120:
        errors["name"] = ["Enter a name of at most 120 characters."]
    if len(password) < MIN_PASSWORD_LENGTH:
        errors["password"] = [f"Use at least {MIN_PASSWORD_LENGTH} characters."]
    if errors:
        raise ValidationFailed(errors)
    user = User(email=email, name=name.strip(), role=role, password_hash=hash_password(password))
    db.session.add(user)
    db.session.flush()
    audit.record(actor, "user_created", f"user:{user.id}",
                 {"email": [None, email], "role": [None, role.value]})
    db.session.commit()
    return user


def set_active(user: User, active: bool, actor: User | None = None) -> None:
    if user.active == active:
        return
    audit.record(actor, "user_activated" if active else "user_deactivated", f"user:{user.id}",
                 {"active": [audit.display_value(user.active), audit.display_value(active)]})
    user.active = active
    db.session.commit()
