"""Private calendar feeds: a user's deadlines as an iCalendar (RFC 5545) file that Outlook or
Google Calendar subscribe to by URL.

A calendar client cannot sign in, so the URL is the key: it carries a token of 256 random
bits, of which only the SHA-256 is stored (as for API tokens: with that much randomness a fast
hash is enough, and the feed is found by index, never by comparing secrets). A user has at
most one working feed: turning it on again revokes the old URL; turning it off stops it at
once. The token is shown once, on the page that turned the feed on.

What the feed says is read by calendar providers and sits on phones: each event carries the
case reference, what kind of deadline it is, the principal applicant's initials and a neutral
line on what to do, built here from the kind. Never ``Deadline.action`` (it names the person
and may quote dates of birth), never a note's text, no passport number, date of birth, name,
e-mail or phone.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from icalendar import Calendar, Event
from sqlalchemy import or_, update
from sqlalchemy.orm.attributes import set_committed_value

from caseapp import clock
from caseapp.extensions import db
from caseapp.models import CalendarFeed, DeadlineKind, User, utcnow
from caseapp.queries.calendar import FeedDeadline, feed_deadlines, feed_with_hash, working_feed
from caseapp.services import audit
from caseapp.services.deadlines import outside_date
from caseapp.services.errors import NotAllowed

PRODID = "-//caseapp//deadlines//EN"
CALENDAR_NAME = "caseapp deadlines"
# A hint to clients that honour it (Apple, some Outlooks); Google polls on its own schedule.
REFRESH_INTERVAL = timedelta(hours=1)
# Recording every poll would make every read a write: the profile says "last fetched" to
# within a few minutes, which is all anyone needs to know whether a calendar still polls.
LAST_USED_PRECISION = timedelta(minutes=5)
MAX_TOKEN_LENGTH = 100  # token_urlsafe(32) is 43 characters; anything much longer is not ours

WHAT_TO_DO = {
    DeadlineKind.PASSPORT_EXPIRY:
        "A passport in this case enters the warning window: have it renewed before the "
        "application goes in.",
    DeadlineKind.STATEMENT_STALE:
        "A bank statement in this case goes stale: obtain a fresh one before submission.",
    DeadlineKind.CHILD_TURNS_ADULT:
        "A child in this case comes of age: submit before then or review the dependants.",
    DeadlineKind.CHECK_TOO_OLD:
        "The eligible check becomes too old to submit on: submit, or run the checks again.",
    DeadlineKind.PLANNED_SUBMISSION:
        "The planned submission date: have the application submitted.",
    DeadlineKind.IMMD_REPLY_DUE:
        "A reply to ImmD's request for further information is due: send it.",
    DeadlineKind.FOLLOW_UP:
        "Follow up on the case note (its text is on the case page).",
}


@dataclass(frozen=True)
class IssuedFeed:
    feed: CalendarFeed
    token: str  # shown to the user once, never stored


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def turn_on(user: User) -> IssuedFeed:
    """A new feed URL for ``user``; a working one they had stops at once (one transaction)."""
    if not user.active:
        raise NotAllowed(f"{user.name}'s account is deactivated: it cannot have a calendar feed.")
    token = secrets.token_urlsafe(32)
    now = utcnow()
    try:
        previous = working_feed(user)
        if previous is not None:
            _revoke(user, previous, now, "calendar_feed_replaced")
        feed = CalendarFeed(user_id=user.id, token_hash=hash_token(token), created_at=now)
        db.session.add(feed)
        db.session.flush()
        audit.record(user, "calendar_feed_on", f"calendar_feed:{feed.id}",
                     {"owner": [None, user.name],
                      "created": [None, audit.display_value(now)]})
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return IssuedFeed(feed=feed, token=token)


def turn_off(user: User) -> CalendarFeed:
    """Revoke ``user``'s working feed: its URL answers 404 from now on."""
    feed = working_feed(user)
    if feed is None:
        raise NotAllowed("Your calendar feed is already off.")
    try:
        _revoke(user, feed, utcnow(), "calendar_feed_off")
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return feed


def _revoke(actor: User, feed: CalendarFeed, now: datetime, action: str) -> None:
    feed.revoked_at = now
    audit.record(actor, action, f"calendar_feed:{feed.id}",
                 {"revoked": [None, audit.display_value(now)]})


def authenticate(token: str) -> CalendarFeed | None:
    """The working feed ``token`` opens, of an active user; None otherwise, whichever the
    reason (unknown, revoked, deactivated: the URL tells nobody which). The use is recorded."""
    if not token or len(token) > MAX_TOKEN_LENGTH or not token.isascii():
        return None
    feed = feed_with_hash(hash_token(token))
    if feed is None or feed.revoked_at is not None or not feed.user.active:
        return None
    _touch(feed, utcnow())
    return feed


def _touch(feed: CalendarFeed, now: datetime) -> None:
    """Record the fetch, at most once per ``LAST_USED_PRECISION``, in its own transaction."""
    if feed.last_used_at is not None and now - feed.last_used_at < LAST_USED_PRECISION:
        return
    db.session.execute(
        update(CalendarFeed)
        .where(CalendarFeed.id == feed.id,
               or_(CalendarFeed.last_used_at.is_(None),
                   CalendarFeed.last_used_at < now - LAST_USED_PRECISION))
        .values(last_used_at=now)
        .execution_options(synchronize_session=False))
    db.session.commit()
    set_committed_value(feed, "last_used_at", now)


def summary(deadline: FeedDeadline) -> str:
    """"QM-2026-000123 · Passport expiry · M.L.T."."""
    parts = [deadline.reference, deadline.kind.label]
    if deadline.initials:
        parts.append(deadline.initials)
    return " · ".join(parts)


def description(deadline: FeedDeadline, case_url: str) -> str:
    """What to do, whom it concerns by role (never by name), and where the case is."""
    lines = [WHAT_TO_DO[deadline.kind]]
    if deadline.person == "applicant":
        lines.append("It concerns the principal applicant.")
    elif deadline.person.startswith("dependant:"):
        lines.append("It concerns a dependant.")
    # Google Calendar shows no URL property: the address goes in the text too.
    lines.append(f"Open the case: {case_url}")
    return " ".join(lines)


def build_ics(user: User, case_url: Callable[[str], str], today: date | None = None) -> bytes:
    """``user``'s feed: an all-day event per open deadline of the cases the feed covers
    (``queries.calendar.feed_deadlines``). ``case_url`` gives a case page's full address
    from its reference."""
    today = today or clock.today()
    stamp = utcnow().replace(microsecond=0)
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", CALENDAR_NAME)
    calendar.add("refresh-interval", REFRESH_INTERVAL, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", REFRESH_INTERVAL)
    for deadline in feed_deadlines(user, today):
        url = case_url(deadline.reference)
        event = Event()
        event.add("uid", f"deadline-{deadline.id}@caseapp")
        event.add("dtstamp", stamp)
        day = outside_date(deadline.kind, deadline.due_on)  # a child's: by the month only
        event.add("dtstart", day)
        event.add("dtend", day + timedelta(days=1))
        event.add("summary", summary(deadline))
        event.add("description", description(deadline, url))
        event.add("url", url)
        event.add("transp", "TRANSPARENT")  # a deadline does not make anyone busy
        calendar.add_component(event)
    return calendar.to_ical()
