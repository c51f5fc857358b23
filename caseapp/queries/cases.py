"""Which cases a user may see, and one case with what its page shows."""

from __future__ import annotations

from sqlalchemy import Select, select
from sqlalchemy.orm import selectinload

from caseapp.extensions import db
from caseapp.models import Case, Dependant, User


def visible_cases(user: User) -> Select[tuple[Case]]:
    """Cases ``user`` may see: their own for a consultant, every case for managers and admins."""
    query = select(Case)
    if not user.sees_all_cases:
        query = query.where(Case.consultant_id == user.id)
    return query


def get_case(user: User, reference: str) -> Case | None:
    """The case with ``reference`` and everything its page shows, or None if not visible."""
    query = (
        visible_cases(user)
        .where(Case.reference == reference)
        .options(
            selectinload(Case.applicant),
            selectinload(Case.consultant),
            selectinload(Case.updated_by),
            selectinload(Case.dependants),
        )
    )
    return db.session.scalars(query).one_or_none()


def get_dependant(case: Case, dependant_id: int) -> Dependant | None:
    return next((d for d in case.dependants if d.id == dependant_id), None)
