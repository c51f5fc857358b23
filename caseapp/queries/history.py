"""A case's whole history, page by page: audit entries and check runs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

from sqlalchemy import Select, select
from sqlalchemy.orm import selectinload

from caseapp.extensions import db
from caseapp.models import AuditEntry, Case, CheckRun

T = TypeVar("T")
HISTORY_PER_PAGE = 50


@dataclass
class Slice(Generic[T]):
    """One page of a newest-first list; ``has_next`` without counting the whole list."""

    items: list[T]
    page: int
    has_next: bool

    @property
    def has_prev(self) -> bool:
        return self.page > 1


def _page_of(query: Select[tuple[T]], page: int, per_page: int) -> Slice[T]:
    page = max(1, page)
    rows = list(db.session.scalars(query.limit(per_page + 1).offset((page - 1) * per_page)))
    return Slice(items=rows[:per_page], page=page, has_next=len(rows) > per_page)


def audit_page(case: Case, page: int = 1, per_page: int = HISTORY_PER_PAGE) -> Slice[AuditEntry]:
    query = (
        select(AuditEntry)
        .where(AuditEntry.case_id == case.id)
        .options(selectinload(AuditEntry.user))
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    )
    return _page_of(query, page, per_page)


def check_runs_page(case: Case, page: int = 1,
                    per_page: int = HISTORY_PER_PAGE) -> Slice[CheckRun]:
    query = (
        select(CheckRun)
        .where(CheckRun.case_id == case.id)
        .options(selectinload(CheckRun.run_by))
        .order_by(CheckRun.run_at.desc(), CheckRun.id.desc())
    )
    return _page_of(query, page, per_page)
