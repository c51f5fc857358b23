"""Reading API tokens: a user's own list (bounded: working ones are capped, old ones trimmed)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from caseapp.extensions import db
from caseapp.models import ApiToken, User, utcnow

TOKENS_SHOWN = 50  # working tokens are capped at 20; the rest is recent history


def tokens_of(user: User, limit: int = TOKENS_SHOWN) -> list[ApiToken]:
    """``user``'s tokens, newest first, in one statement."""
    return list(db.session.scalars(
        select(ApiToken).where(ApiToken.user_id == user.id)
        .order_by(ApiToken.created_at.desc(), ApiToken.id.desc()).limit(limit)))


def get_token(user: User, token_id: int) -> ApiToken | None:
    """``user``'s token ``token_id``; None for anyone else's (a 404, like another's case)."""
    return db.session.scalar(
        select(ApiToken).where(ApiToken.id == token_id, ApiToken.user_id == user.id))


def working_token_named(user: User, name: str) -> ApiToken | None:
    """``user``'s working token called ``name`` (any case): there is at most one."""
    return db.session.scalar(
        select(ApiToken).where(ApiToken.user_id == user.id,
                               func.lower(ApiToken.name) == name.strip().lower(),
                               ApiToken.revoked_at.is_(None), ApiToken.expires_at > utcnow())
        .order_by(ApiToken.id.desc()).limit(1))


def token_status(token: ApiToken, now: datetime | None = None) -> str:
    """"revoked", "expired" or "working", as the profile page and the CLI list it."""
    if token.revoked_at is not None:
        return "revoked"
    if token.is_expired(now or utcnow()):
        return "expired"
    return "working"
