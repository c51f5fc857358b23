"""Reading deadlines: what is open (not done, not snoozed past today) up to a date, for one
consultant's cases or the consultancy's."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import contains_eager

from caseapp.extensions import db
from caseapp.models import Case, Deadline
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
