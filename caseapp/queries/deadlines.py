"""Reading deadlines: what is open (not done, not snoozed past today) up to a date, for one
consultant's cases or the consultancy's."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import contains_eager

from caseapp.extensions import db
from caseapp.models import Case, Deadline, User
from caseapp.rules.workflow import OPEN_STATUSES


def open_deadlines_query(today: date, until: date,
                         consultant_id: int | None = None) -> Select[tuple[Deadline]]:
    """Open deadlines due on or before ``until`` (overdue ones included), of open cases,
    optionally of one consultant's cases, by date then id; the case is joined (eager)."""
    query = (
        select(Deadline)
        .join(Deadline.case)
        .options(contains_eager(Deadline.case))
        .where(
            Deadline.due_on <= until,
            Deadline.done_at.is_(None),
            or_(Deadline.snoozed_until.is_(None), Deadline.snoozed_until <= today),
            Case.status.in_(OPEN_STATUSES),
        )
        .order_by(Deadline.due_on, Deadline.id)
    )
    if consultant_id is not None:
        query = query.where(Case.consultant_id == consultant_id)
    return query


def open_deadlines(today: date, until: date, consultant_id: int | None = None,
                   limit: int = 1000) -> list[Deadline]:
    """At most ``limit`` of ``open_deadlines_query``'s rows (one statement)."""
    return list(db.session.scalars(
        open_deadlines_query(today, until, consultant_id).limit(limit)))


# ---- the "This week" page ---------------------------------------------------------------------

THIS_WEEK_LIMIT = 500
SOON_DAYS = 7
LATER_DAYS = 30


def visible_deadline(user: User, deadline_id: int) -> Deadline | None:
    """The deadline if ``user`` may act on it (a consultant: on their own cases only), with
    its case; None otherwise, so that another consultant's deadline is a 404."""
    query = (select(Deadline).join(Deadline.case).options(contains_eager(Deadline.case))
             .where(Deadline.id == deadline_id))
    if not user.sees_all_cases:
        query = query.where(Case.consultant_id == user.id)
    return db.session.scalars(query).one_or_none()


@dataclass(frozen=True)
class DueDay:
    day: date
    deadlines: list[Deadline]


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    days: list[DueDay]

    @property
    def count(self) -> int:
        return sum(len(d.deadlines) for d in self.days)


@dataclass(frozen=True)
class ThisWeek:
    today: date
    sections: list[Section]
    shown: int
    capped: bool  # more open deadlines are due than ``shown``: the latest ones are left out
    limit: int


def this_week(today: date, consultant_id: int | None = None,
              limit: int = THIS_WEEK_LIMIT) -> ThisWeek:
    """What is open and due within ``LATER_DAYS`` days (overdue ones included), of one
    consultant's cases or all, at most ``limit`` lines by date, in one statement: each
    deadline with its case and the case's consultant."""
    query = (open_deadlines_query(today, today + timedelta(days=LATER_DAYS), consultant_id)
             .join(Case.consultant)
             .options(contains_eager(Deadline.case).contains_eager(Case.consultant))
             .limit(limit + 1))
    rows = list(db.session.scalars(query))
    capped = len(rows) > limit
    rows = rows[:limit]
    return ThisWeek(today=today, sections=sections_by_day(rows, today), shown=len(rows),
                    capped=capped, limit=limit)


def sections_by_day(deadlines: list[Deadline], today: date) -> list[Section]:
    """Overdue (before today), due within 7 days, due within 30 days; each grouped by day.
    ``deadlines`` come by date."""
    soon = today + timedelta(days=SOON_DAYS)
    buckets: dict[str, list[DueDay]] = {"overdue": [], "soon": [], "later": []}
    for deadline in deadlines:
        key = ("overdue" if deadline.due_on < today
               else "soon" if deadline.due_on <= soon else "later")
        days = buckets[key]
        if days and days[-1].day == deadline.due_on:
            days[-1].deadlines.append(deadline)
        else:
            days.append(DueDay(deadline.due_on, [deadline]))
    return [Section("overdue", "Overdue", buckets["overdue"]),
            Section("soon", f"Due within {SOON_DAYS} days", buckets["soon"]),
            Section("later", f"Due within {LATER_DAYS} days", buckets["later"])]
