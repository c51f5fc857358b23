"""Reading the calendar feeds: a user's working feed, a feed by its token's hash, and the
deadlines a feed shows (bounded, one statement, with no more of the client than initials)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select

from caseapp.extensions import db
from caseapp.models import Applicant, CalendarFeed, Case, Deadline, DeadlineKind, User
from caseapp.queries.deadlines import open_deadlines_query

# A calendar shows the last month too: an overdue deadline still open stays where it fell
# for 30 days (older ones are on the This week page); a year ahead covers every warning window.
FEED_DAYS_BACK = 30
FEED_DAYS_AHEAD = 365
# Far above what one consultant has in a year; a bound on the feed of the whole consultancy.
MAX_FEED_EVENTS = 2000


@dataclass(frozen=True)
class FeedDeadline:
    """What an event of the feed may carry: nothing that names or identifies the client
    beyond the initials of the principal applicant."""

    id: int
    kind: DeadlineKind
    due_on: date
    person: str  # "applicant", "dependant:<id>" or ""
    reference: str
    initials: str


def initials(given_name: str | None, family_name: str | None) -> str:
    """"Mei Ling" "Tan" -> "M.L.T.": the first letter of each part of the names, nothing else."""
    parts = f"{given_name or ''} {family_name or ''}".replace("-", " ").split()
    return "".join(f"{part[0].upper()}." for part in parts if part[0].isalnum())


def working_feed(user: User) -> CalendarFeed | None:
    """``user``'s feed that is not revoked (there is at most one), or None."""
    return db.session.scalar(
        select(CalendarFeed)
        .where(CalendarFeed.user_id == user.id, CalendarFeed.revoked_at.is_(None))
        .order_by(CalendarFeed.created_at.desc(), CalendarFeed.id.desc()).limit(1))


def latest_feed(user: User) -> CalendarFeed | None:
    """``user``'s newest feed, working or revoked (the profile says since when it is off)."""
    return db.session.scalar(
        select(CalendarFeed).where(CalendarFeed.user_id == user.id)
        .order_by(CalendarFeed.created_at.desc(), CalendarFeed.id.desc()).limit(1))


def feed_with_hash(token_hash: str) -> CalendarFeed | None:
    """The feed whose token hashes to ``token_hash`` (unique index), revoked or not."""
    return db.session.scalar(select(CalendarFeed).where(CalendarFeed.token_hash == token_hash))


def feed_deadlines(user: User, today: date,
                   limit: int = MAX_FEED_EVENTS) -> list[FeedDeadline]:
    """The open deadlines ``user``'s feed shows, by date: of their own cases for a
    consultant, of every case for managers and admins (as they see every case), from
    ``FEED_DAYS_BACK`` days ago to ``FEED_DAYS_AHEAD`` ahead. One statement, at most ``limit``
    rows. "Open" is the This week page's (``queries.deadlines``): not done, not snoozed."""
    consultant_id = None if user.sees_all_cases else user.id
    query = (
        open_deadlines_query(today, today + timedelta(days=FEED_DAYS_AHEAD), consultant_id)
        .where(Deadline.due_on >= today - timedelta(days=FEED_DAYS_BACK))
        .outerjoin(Applicant, Applicant.case_id == Case.id)
        .add_columns(Applicant.given_name, Applicant.family_name)
        .limit(limit)
    )
    return [
        FeedDeadline(id=deadline.id, kind=DeadlineKind(deadline.kind), due_on=deadline.due_on,
                     person=deadline.person, reference=deadline.case.reference,
                     initials=initials(given_name, family_name))
        for deadline, given_name, family_name in db.session.execute(query)
    ]
