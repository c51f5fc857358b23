"""Personal API tokens: create (the secret is shown once), revoke, and recognise on a request.

The secret is ``cap_`` and 43 URL-safe characters (256 random bits). Only its SHA-256 is
stored: with that much randomness there is no password to guess, so a fast hash is enough
and each API request finds its token by index. A token works until its expiry (the end of
the chosen business day), until it is revoked, and only while its owner is active.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import Enum

from flask import current_app
from sqlalchemy import func, or_, select, update
from sqlalchemy.orm.attributes import set_committed_value

from caseapp import clock
from caseapp.extensions import db
from caseapp.models import ApiToken, Role, User, utcnow
from caseapp.services import audit
from caseapp.services.errors import NotAllowed, ValidationFailed
from caseapp.services.people import has_unsafe_characters

SECRET_PREFIX = "cap_"
SHOWN_PREFIX_LENGTH = 12  # "cap_" and 8 characters: enough to tell one's tokens apart
MAX_NAME_LENGTH = 80
MAX_ACTIVE_TOKENS = 20  # per user: more is not a set of integrations anyone keeps track of
DEFAULT_DAYS = 90
# Touching last_used_at on every request would make every read a write: once a minute is
# as precise as "last used" needs to be.
LAST_USED_PRECISION = timedelta(minutes=1)


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    secret: str  # shown to the user once, never stored


class Refusal(Enum):
    """Why a presented secret does not authenticate (the API says which, in words)."""

    UNKNOWN = "This API token is not valid."
    EXPIRED = "This API token has expired: create a new one on your profile page."
    REVOKED = "This API token was revoked."
    INACTIVE = "The account this API token belongs to is deactivated."


@dataclass(frozen=True)
class Authenticated:
    user: User
    token: ApiToken


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def max_days() -> int:
    return int(current_app.config.get("API_TOKEN_MAX_DAYS", 365))


def expiry_instant(last_day: date) -> datetime:
    """The token works through ``last_day`` (business time zone) and stops at the next midnight."""
    midnight = datetime.combine(last_day + timedelta(days=1), time.min,
                                tzinfo=clock.business_timezone())
    return midnight.astimezone(UTC)


def last_valid_day(token: ApiToken) -> date:
    return (token.expires_at.astimezone(clock.business_timezone()) - timedelta(seconds=1)).date()


def default_expiry() -> date:
    return clock.today() + timedelta(days=DEFAULT_DAYS)


def _checked_name(owner: User, name: str | None) -> str:
    name = (name or "").strip()
    if not name:
        raise ValidationFailed({"name": ["Name the token after what will use it, for example "
                                         "\"CRM sync\"."]})
    if len(name) > MAX_NAME_LENGTH:
        raise ValidationFailed({"name": [f"Keep the name to {MAX_NAME_LENGTH} characters."]})
    if has_unsafe_characters(name):
        raise ValidationFailed({"name": ["The name contains invisible control or "
                                         "text-direction characters: retype it."]})
    clash = db.session.scalar(select(ApiToken.id).where(
        ApiToken.user_id == owner.id, func.lower(ApiToken.name) == name.lower(),
        ApiToken.revoked_at.is_(None), ApiToken.expires_at > utcnow()))
    if clash is not None:
        raise ValidationFailed({"name": [f"You already have a working token called \"{name}\"."]})
    return name


def _checked_expiry(expires_on: date | None) -> date:
    if expires_on is None:
        raise ValidationFailed({"expires_on": ["Choose the last day the token works."]})
    today = clock.today()
    if expires_on < today:
        raise ValidationFailed({"expires_on": ["Choose today or a later day."]})
    if expires_on > today + timedelta(days=max_days()):
        raise ValidationFailed({"expires_on": [
            f"A token works for at most {max_days()} days: choose "
            f"{(today + timedelta(days=max_days())).isoformat()} or earlier."]})
    return expires_on


def create_token(actor: User, owner: User, name: str | None,
                 expires_on: date | None) -> IssuedToken:
    """A new token for ``owner``, made by ``actor`` (the owner, or an admin for them)."""
    if actor.id != owner.id and actor.role is not Role.ADMIN:
        raise NotAllowed("Only an admin creates tokens for someone else.")
    if not owner.active:
        raise NotAllowed(f"{owner.name}'s account is deactivated: it cannot have tokens.")
    name = _checked_name(owner, name)
    last_day = _checked_expiry(expires_on)
    working = db.session.scalar(select(func.count()).select_from(ApiToken).where(
        ApiToken.user_id == owner.id, ApiToken.revoked_at.is_(None),
        ApiToken.expires_at > utcnow())) or 0
    if working >= MAX_ACTIVE_TOKENS:
        raise ValidationFailed({"name": [f"{owner.name} already has {MAX_ACTIVE_TOKENS} working "
                                         "tokens: revoke one first."]})
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user_id=owner.id, name=name, token_hash=hash_secret(secret),
                     prefix=secret[:SHOWN_PREFIX_LENGTH], created_at=utcnow(),
                     created_by_id=actor.id, expires_at=expiry_instant(last_day))
    try:
        db.session.add(token)
        db.session.flush()
        audit.record(actor, "token_created", f"api_token:{token.id}", {
            "owner": [None, owner.name], "name": [None, name],
            "expires_on": [None, last_day.isoformat()], "prefix": [None, token.prefix]})
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return IssuedToken(token=token, secret=secret)


def revoke_token(actor: User, token: ApiToken) -> None:
    """Stop ``token`` at once. Its owner or an admin may; revoking twice is refused."""
    if actor.id != token.user_id and actor.role is not Role.ADMIN:
        raise NotAllowed("Only the token's owner or an admin revokes it.")
    if token.revoked_at is not None:
        raise NotAllowed(f"The token \"{token.name}\" is already revoked.")
    try:
        token.revoked_at = utcnow()
        token.revoked_by_id = actor.id
        audit.record(actor, "token_revoked", f"api_token:{token.id}",
                     {"name": [token.name, token.name],
                      "revoked": [None, audit.display_value(token.revoked_at)]})
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise


def authenticate(secret: str) -> Authenticated | Refusal:
    """The user and token a presented secret stands for, checked afresh on every request:
    a token revoked, expired or of a user deactivated a moment ago no longer works."""
    if not secret.startswith(SECRET_PREFIX) or len(secret) > 200 or not secret.isascii():
        return Refusal.UNKNOWN
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_secret(secret)))
    if token is None:
        return Refusal.UNKNOWN
    now = utcnow()
    if token.revoked_at is not None:
        return Refusal.REVOKED
    if token.is_expired(now):
        return Refusal.EXPIRED
    user = token.user
    if not user.active:
        return Refusal.INACTIVE
    _touch(token, now)
    return Authenticated(user=user, token=token)


def _touch(token: ApiToken, now: datetime) -> None:
    """Record the use, at most once a minute, in its own short transaction."""
    if token.last_used_at is not None and now - token.last_used_at < LAST_USED_PRECISION:
        return
    db.session.execute(
        update(ApiToken)
        .where(ApiToken.id == token.id,
               or_(ApiToken.last_used_at.is_(None),
                   ApiToken.last_used_at < now - LAST_USED_PRECISION))
        .values(last_used_at=now)
        .execution_options(synchronize_session=False))
    db.session.commit()
    # What the row holds now, without marking the token changed (no second UPDATE at flush).
    set_committed_value(token, "last_used_at", now)
