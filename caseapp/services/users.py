"""Users: creating, authenticating, changing (name, role, active), deactivating, and
passwords (a user changes their own; an admin resets someone else's to a temporary one).

There is always an active admin: a change that would leave none (the last one demoted or
deactivated) is refused. The admins' rows are locked for the check on PostgreSQL, and the
count is taken after the change is written (SQLite then holds its write lock), so two admins
demoting each other at the same moment cannot both succeed.

A password change, a reset and a deactivation add one to the user's session epoch: every
session signed in before it carries the old value and loads no user (``User.get_id``), so
the user is signed out everywhere. No password, hash or temporary password ever goes into
the audit trail: the entries say only that one was set.
"""

from __future__ import annotations

import secrets
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
from caseapp.models.base import utcnow
from caseapp.services import audit
from caseapp.services.errors import NotAllowed, ValidationFailed
from caseapp.services.people import has_unsafe_characters

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 1000  # argon2 hashes whatever it is given: no megabyte passwords
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
    return check_password(find_by_email(email), password)


def check_password(user: User | None, password: str) -> User | None:
    """``user`` (looked up by the caller, or None for an unknown email) if active and this is
    their password, else None. An unknown email costs the same hashing as a known one."""
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
    email: str, name: str, role: Role, password: str, actor: User | None = None,
    must_change_password: bool = False,
) -> User:
    """A new user who signs in with ``password``; with ``must_change_password`` they choose
    their own before anything else (a temporary password an admin hands over)."""
    errors: dict[str, list[str]] = {}
    email = email.strip().lower()
    if not _is_email_address(email):
        errors["email"] = ["Enter a valid email address."]
    elif find_by_email(email) is not None:
        errors["email"] = [EMAIL_TAKEN]
    if name_errors := _name_errors(name):
        errors["name"] = name_errors
    if password_errors := _password_errors(password):
        errors["password"] = password_errors
    if errors:
        raise ValidationFailed(errors)
    user = User(email=email, name=name.strip(), role=role, password_hash=hash_password(password),
                must_change_password=must_change_password)
    try:
        db.session.add(user)
        db.session.flush()
    except IntegrityError:  # the same email, created a moment ago by someone else
        db.session.rollback()
        raise ValidationFailed({"email": [EMAIL_TAKEN]}) from None
    created: dict[str, list[str | None]] = {"email": [None, email], "role": [None, role.value]}
    if must_change_password:
        created["must_change_password"] = [None, audit.display_value(True)]
    audit.record(actor, "user_created", f"user:{user.id}", created)
    db.session.commit()
    return user


def create_user_with_temporary_password(actor: User | None, email: str, name: str,
                                        role: Role) -> tuple[User, str]:
    """A new user with a generated temporary password, which they must change at their first
    sign-in. Returns the user and the password, for the admin to hand over (shown once)."""
    temporary = temporary_password()
    user = create_user(email, name, role, temporary, actor=actor, must_change_password=True)
    return user, temporary


def _password_errors(password: str) -> list[str]:
    """What is wrong with ``password`` as a new password (empty when nothing is)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return [f"Use at least {MIN_PASSWORD_LENGTH} characters."]
    if len(password) > MAX_PASSWORD_LENGTH:
        return [f"Use at most {MAX_PASSWORD_LENGTH} characters."]
    if has_unsafe_characters(password):
        return ["The password contains control characters or characters that are not text: "
                "choose another."]
    return []


# Lower-case letters and digits that cannot be misread for each other (no 0/o, 1/l/i): a
# temporary password is read off a screen and typed by someone else.
_TEMPORARY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
_TEMPORARY_GROUPS = 4
_TEMPORARY_GROUP_LENGTH = 4


def temporary_password() -> str:
    """Four groups of four, such as ``k7mq-xr4t-9hbn-w2fa``: about 79 random bits."""
    return "-".join(
        "".join(secrets.choice(_TEMPORARY_ALPHABET) for _ in range(_TEMPORARY_GROUP_LENGTH))
        for _ in range(_TEMPORARY_GROUPS))


def _password_matches(user: User, password: str) -> bool:
    try:
        return _hasher().verify(user.password_hash, password)
    except (VerificationError, InvalidHashError, UnicodeError):
        return False


def _set_password(actor: User, user: User, password: str, *, must_change: bool,
                  action: str, how: str) -> None:
    """The new hash, one more on the epoch (every session signed in before ends), on the
    audit trail as ``action``: that the password was set, and ``how``, never which."""
    was_forced = user.must_change_password
    try:
        user.password_hash = hash_password(password)
        user.password_changed_at = utcnow()
        user.must_change_password = must_change
        user.session_epoch += 1
        changes: dict[str, list[str | None]] = {"password": ["(set)", how]}
        if was_forced != must_change:
            changes["must_change_password"] = [audit.display_value(was_forced),
                                               audit.display_value(must_change)]
        audit.record(actor, action, f"user:{user.id}", changes)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise


def change_password(user: User, current_password: str, new_password: str,
                    confirm: str) -> None:
    """``user`` replaces their password: the current one is required, the new one follows
    the rules of a new user's and is typed twice. Every other session of theirs ends (the
    caller signs the current one in again with the new epoch)."""
    errors: dict[str, list[str]] = {}
    current_is_right = _password_matches(user, current_password)
    if not current_is_right:
        errors["current_password"] = ["This is not your current password."]
    if new_errors := _password_errors(new_password):
        errors["new_password"] = new_errors
    elif current_is_right and new_password == current_password:
        errors["new_password"] = ["Choose a password different from the current one."]
    if confirm != new_password:
        errors["confirm"] = ["The two new passwords differ: type the same one twice."]
    if errors:
        raise ValidationFailed(errors)
    _set_password(user, user, new_password, must_change=False, action="password_changed",
                  how="(changed)")


def reset_password(actor: User, user: User) -> str:
    """An admin gives ``user`` a temporary password, which they must change at their next
    sign-in; every session of theirs ends. Returns it, to be shown once to the admin.

    Not for one's own password: that is changed on the profile page, with the current one.
    """
    if actor.id == user.id:
        raise NotAllowed("Change your own password on your profile page: it asks for your "
                         "current one.")
    temporary = temporary_password()
    _set_password(actor, user, temporary, must_change=True, action="password_reset",
                  how="(reset)")
    return temporary


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


class ChangedMeanwhile(NotAllowed):
    """The user's details changed since the form was shown: nothing was saved."""


def _refuse_if_changed(user: User, seen: dict[str, str]) -> None:
    now = shown_values(user)
    if any(now[field] != value for field, value in seen.items() if field in now):
        raise ChangedMeanwhile(
            f"Someone changed this user while you were editing: the name is now "
            f"\"{user.name}\" and the role {user.role.label}. Nothing was saved: check your "
            "changes against these and save again.")


def shown_values(user: User) -> dict[str, str]:
    """What an edit form shows of ``user``, to send back as ``seen`` with the edit."""
    return {"name": user.name, "role": user.role.value}


def update_user(actor: User | None, user: User, *, name: str | None = None,
                role: Role | None = None, active: bool | None = None,
                seen: dict[str, str] | None = None) -> dict[str, Any]:
    """Change ``user``'s name, role or active state (None leaves one as it is), on the audit
    trail as one entry of what changed. Refused when no active admin would be left.

    ``seen`` is what the editing form showed (``shown_values``): users carry no version, so
    an edit whose shown name or role changed meanwhile is refused (ChangedMeanwhile) rather
    than silently undoing the other change.

    Returns the changes (``{field: [old, new]}``), empty when nothing changed. A deactivated
    user is signed out everywhere (their session epoch moves on) and their API tokens stop
    working at once.
    """
    if seen is not None:
        _refuse_if_changed(user, seen)
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
        if "active" in changes and not user.active:
            user.session_epoch += 1
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
    """Let ``user`` sign in (and use their tokens) again, or stop them (signed out
    everywhere); the last active admin is not deactivated."""
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
        if not active:
            user.session_epoch += 1
        db.session.flush()
        if removes_an_admin and _active_admins() == 0:
            raise NotAllowed(f"{user.name} is the last active admin: make another user an "
                             "admin first.")
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
