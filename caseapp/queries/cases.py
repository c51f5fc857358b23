"""Which cases a user may see, and the case lists."""

from __future__ import annotations

from dataclasses import dataclass, field
from math import ceil

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import contains_eager, selectinload

from caseapp.extensions import db
from caseapp.models import Applicant, Case, Dependant, User
from caseapp.rules.workflow import CaseStatus

MAX_PER_PAGE = 200


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


SORTS = {
    "updated": Case.updated_at.desc(),
    "-updated": Case.updated_at.asc(),
    "reference": Case.reference.asc(),
    "-reference": Case.reference.desc(),
    "name": Applicant.family_name.asc(),
    "-name": Applicant.family_name.desc(),
    "status": Case.status.asc(),
    "-status": Case.status.desc(),
}


@dataclass
class CaseListFilters:
    status: CaseStatus | None = None
    search: str = ""
    sort: str = "updated"


@dataclass
class CasePage:
    items: list[Case]
    total: int
    page: int
    per_page: int
    filters: CaseListFilters = field(default_factory=CaseListFilters)

    @property
    def pages(self) -> int:
        return max(1, ceil(self.total / self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def case_list(
    user: User, filters: CaseListFilters, page: int = 1, per_page: int = 50
) -> CasePage:
    """One page of the cases ``user`` may see: two statements whatever the page size."""
    per_page = max(1, min(per_page, MAX_PER_PAGE))
    page = max(1, page)
    query = visible_cases(user).join(Case.applicant).join(Case.consultant)
    if filters.status is not None:
        query = query.where(Case.status == filters.status)
    if filters.search.strip():
        term = f"%{filters.search.strip().lower()}%"
        query = query.where(
            or_(
                func.lower(Case.reference).like(term),
                func.lower(Applicant.family_name).like(term),
                func.lower(Applicant.given_name).like(term),
                func.lower(Applicant.chinese_name).like(term),
            )
        )
    total = db.session.scalar(query.with_only_columns(func.count(Case.id)).order_by(None)) or 0
    page = min(page, max(1, ceil(total / per_page)))  # past the end: the last page
    order = SORTS.get(filters.sort, SORTS["updated"])
    items = list(
        db.session.scalars(
            query.options(contains_eager(Case.applicant), contains_eager(Case.consultant))
            .order_by(order, Case.id.desc())
            .limit(per_page)
            .offset((page - 1) * per_page)
        )
    )
    return CasePage(items=items, total=total, page=page, per_page=per_page, filters=filters)
