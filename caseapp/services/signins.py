"""Signing in: every attempt recorded, and attempts throttled per account and per address.

An account (the email typed, whether or not a user has it, so the answer never tells which)
is locked for ``LOGIN_LOCK_MINUTES`` once it has ``LOGIN_ACCOUNT_MAX_FAILURES`` failed
attempts within ``LOGIN_FAILURE_WINDOW_MINUTES`` and no successful sign-in since; an address
the same with ``LOGIN_ADDRESS_MAX_FAILURES``, set higher because an office signs in from
behind one address. While locked, an attempt is refused before its password is looked at and
recorded as "throttled"; those do not extend the lock. A setting of 0 turns that throttle off.

The counts come from ``sign_ins`` rows, so they hold across the server's worker processes
and restarts (Flask-Limiter's per-address limit on the login route stays as the burst guard).
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import ColumnElement, func, or_, select

from caseapp.extensions import db
from caseapp.models import SignIn, User, utcnow
from caseapp.services import users

MAX_USER_AGENT = 200
MAX_ADDRESS = 45


@dataclass(frozen=True)
class Throttled:
    """The sign-in was refused unread: too many failures; try again from ``until`` (UTC)."""

    until: datetime


def email_digest(email: str) -> str:
    """A keyed digest of the typed email: equal for equal addresses (throttling), never the text."""
    key = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(key, email.strip().lower().encode("utf-8", "replace"),
                    hashlib.sha256).hexdigest()


def attempt(email: str, password: str, address: str | None,
            user_agent: str | None) -> User | Throttled | None:
    """Sign in with these credentials: the user, ``Throttled``, or None for every other failure
    (unknown email, wrong password, deactivated user alike). The attempt is recorded."""
    digest = email_digest(email)
    address = (address or "unknown")[:MAX_ADDRESS]
    now = utcnow()
    until = locked_until(digest, address, now)
    if until is not None:
        _record(digest, None, address, user_agent, succeeded=False, reason="throttled")
        return Throttled(until)
    known = users.find_by_email(email)
    user = users.authenticate(email, password)
    if user is not None:
        _record(digest, user.id, address, user_agent, succeeded=True, reason="")
        return user
    reason = "unknown" if known is None else ("inactive" if not known.active else "password")
    _record(digest, known.id if known else None, address, user_agent, succeeded=False,
            reason=reason)
    return None


def locked_until(digest: str, address: str, now: datetime) -> datetime | None:
    """When the account's or the address's lock ends, or None when neither is locked."""
    config = current_app.config
    last_success = select(func.max(SignIn.at)).where(
        SignIn.email_digest == digest, SignIn.succeeded.is_(True)).scalar_subquery()
    account = _lock_end(SignIn.email_digest == digest, int(config["LOGIN_ACCOUNT_MAX_FAILURES"]),
                        now, since=last_success)
    by_address = _lock_end(SignIn.address == address,
                           int(config["LOGIN_ADDRESS_MAX_FAILURES"]), now)
    ends = [end for end in (account, by_address) if end is not None]
    return max(ends) if ends else None


def _lock_end(which: ColumnElement[bool], max_failures: int, now: datetime,
              since: ColumnElement[datetime] | None = None) -> datetime | None:
    if max_failures <= 0:
        return None
    config = current_app.config
    window = timedelta(minutes=int(config["LOGIN_FAILURE_WINDOW_MINUTES"]))
    lock = timedelta(minutes=int(config["LOGIN_LOCK_MINUTES"]))
    query = select(SignIn.at).where(
        which, SignIn.succeeded.is_(False), SignIn.reason != "throttled",
        SignIn.at >= now - window - lock)
    if since is not None:
        query = query.where(or_(since.is_(None), SignIn.at > since))
    recent = db.session.scalars(query.order_by(SignIn.at.desc()).limit(max_failures)).all()
    if len(recent) < max_failures:
        return None
    newest, oldest = recent[0], recent[-1]
    if newest - oldest > window or now >= newest + lock:
        return None
    return newest + lock


def _record(digest: str, user_id: int | None, address: str, user_agent: str | None, *,
            succeeded: bool, reason: str) -> None:
    db.session.add(SignIn(
        email_digest=digest, user_id=user_id, address=address, succeeded=succeeded,
        reason=reason, user_agent=_printable(user_agent or "")[:MAX_USER_AGENT]))
    db.session.commit()


def _printable(text: str) -> str:
    return "".join(c if c.isprintable() else "?" for c in text)
