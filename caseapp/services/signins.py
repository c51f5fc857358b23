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
    (unknown email, wrong password, deactivated user alike). The attempt is recorded.

    The attempt is written (as a failure) and committed before the lock is counted and the
    password read, and the lock counts only the attempts written before it: requests racing
    each other see each other, so parallel guesses get no more tries than serial ones.
    """
    address = (address or "unknown")[:MAX_ADDRESS]
    known = users.find_by_email(email)
    row = _record(email_digest(email), known, address, user_agent, reason="password")
    until = locked_until(row.email_digest, address, row.at, known=known, before_id=row.id)
    if until is not None:
        row.reason = "throttled"
        db.session.commit()
        return Throttled(until)
    user = users.check_password(known, password)
    if user is not None:
        row.succeeded, row.reason = True, ""
        db.session.commit()
        return user
    row.reason = "unknown" if known is None else ("inactive" if not known.active else "password")
    db.session.commit()
    return None


def password_check_locked(user: User, address: str | None) -> Throttled | None:
    """Before a signed-in user's current password is checked (changing it): the same lock
    as at the sign-in, so an open session is no way round it."""
    address = (address or "unknown")[:MAX_ADDRESS]
    until = locked_until(email_digest(user.email), address, utcnow(), known=user)
    return Throttled(until) if until is not None else None


def record_wrong_current_password(user: User, address: str | None,
                                  user_agent: str | None) -> None:
    """A wrong current password on the password change page: a failure like a sign-in's."""
    _record(email_digest(user.email), user, (address or "unknown")[:MAX_ADDRESS], user_agent,
            reason="password_change")


def locked_until(digest: str, address: str, now: datetime, *, known: User | None = None,
                 before_id: int | None = None) -> datetime | None:
    """When the account's or the address's lock ends, or None when neither is locked.

    The account's failures count from its last successful sign-in, or from the last time its
    password was set (an admin's reset lifts the lock), whichever is later.
    """
    config = current_app.config
    last_success = select(func.max(SignIn.at)).where(
        SignIn.email_digest == digest, SignIn.succeeded.is_(True)).scalar_subquery()
    password_set = known.password_changed_at if known is not None else None
    account = _lock_end(SignIn.email_digest == digest, int(config["LOGIN_ACCOUNT_MAX_FAILURES"]),
                        now, before_id, since=last_success, password_set=password_set)
    by_address = _lock_end(SignIn.address == address,
                           int(config["LOGIN_ADDRESS_MAX_FAILURES"]), now, before_id)
    ends = [end for end in (account, by_address) if end is not None]
    return max(ends) if ends else None


def _lock_end(which: ColumnElement[bool], max_failures: int, now: datetime,
              before_id: int | None, since: ColumnElement[datetime] | None = None,
              password_set: datetime | None = None) -> datetime | None:
    if max_failures <= 0:
        return None
    config = current_app.config
    window = timedelta(minutes=int(config["LOGIN_FAILURE_WINDOW_MINUTES"]))
    lock = timedelta(minutes=int(config["LOGIN_LOCK_MINUTES"]))
    query = select(SignIn.at).where(
        which, SignIn.succeeded.is_(False), SignIn.reason != "throttled",
        SignIn.at >= now - window - lock)
    if before_id is not None:
        query = query.where(SignIn.id < before_id)
    if since is not None:
        query = query.where(or_(since.is_(None), SignIn.at > since))
    if password_set is not None:
        query = query.where(SignIn.at > password_set)
    recent = db.session.scalars(query.order_by(SignIn.at.desc()).limit(max_failures)).all()
    if len(recent) < max_failures:
        return None
    newest, oldest = recent[0], recent[-1]
    if newest - oldest > window or now >= newest + lock:
        return None
    return newest + lock


def _record(digest: str, user: User | None, address: str, user_agent: str | None, *,
            reason: str) -> SignIn:
    row = SignIn(email_digest=digest, user_id=user.id if user else None, address=address,
                 succeeded=False, reason=reason,
                 user_agent=_printable(user_agent or "")[:MAX_USER_AGENT], at=utcnow())
    db.session.add(row)
    db.session.commit()
    return row


def _printable(text: str) -> str:
    return "".join(c if c.isprintable() else "?" for c in text)
