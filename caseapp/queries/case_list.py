"""The case list: filtered, searched, sorted, keyset-paged, with a bounded count.

Every sort is a tuple of columns ending in the case id, so the order is total and stable and a
page boundary is a row value: the next page is ``WHERE (keys) > (last row's keys)``, as fast on
the ten-thousandth page as on the first. A cursor carries those values (not an offset), so a
case that moves while someone pages does not shift every later page. The last page is the first
page of the reversed order. A page costs two statements whatever its size: the rows (with the
applicant and consultant joined) and the count, which stops at ``COUNT_LIMIT``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from flask import current_app
from sqlalchemy import (
    ColumnElement,
    Date,
    DateTime,
    Integer,
    Select,
    String,
    and_,
    func,
    literal,
    select,
    tuple_,
)
from sqlalchemy.orm import contains_eager, load_only
from sqlalchemy.types import TypeEngine

from caseapp import clock
from caseapp.extensions import db
from caseapp.models import Applicant, Case, User, utcnow
from caseapp.models.base import UTCDateTime
from caseapp.models.case import PLANNED_SORT_KEY
from caseapp.queries import cursors
from caseapp.queries.case_filters import (
    CaseFilters,
    filter_conditions,
    fts_matches,
    needs_applicant,
    visible_to,
)
from caseapp.textsearch import SearchTerm

MAX_PER_PAGE = 200
COUNT_LIMIT = 10_000
NO_PLANNED_DATE = date(9999, 12, 31)


@dataclass(frozen=True)
class SortKey:
    label: str
    columns: Callable[[], list[Any]]
    types: tuple[TypeEngine[Any], ...]
    values: Callable[[Case], list[Any]]


SORT_KEYS: dict[str, SortKey] = {
    "reference": SortKey("Reference", lambda: [Case.reference, Case.id],
                         (String(), Integer()), lambda c: [c.reference, c.id]),
    "name": SortKey("Applicant", lambda: [Applicant.family_name, Applicant.given_name,
                                          Applicant.case_id],
                    (String(), String(), Integer()),
                    lambda c: [c.applicant.family_name, c.applicant.given_name, c.id]),
    "status": SortKey("Status", lambda: [Case.status, Case.id], (String(), Integer()),
                      lambda c: [c.status.value, c.id]),
    "consultant": SortKey("Consultant", lambda: [User.name, User.id, Case.id],
                          (String(), Integer(), Integer()),
                          lambda c: [c.consultant.name, c.consultant.id, c.id]),
    "opened": SortKey("Opened", lambda: [Case.opened_at, Case.id], (UTCDateTime(), Integer()),
                      lambda c: [c.opened_at, c.id]),
    "updated": SortKey("Updated", lambda: [Case.updated_at, Case.id],
                       (UTCDateTime(), Integer()), lambda c: [c.updated_at, c.id]),
    "planned": SortKey("Planned submission", lambda: [PLANNED_SORT_KEY, Case.id],
                       (Date(), Integer()),
                       lambda c: [c.planned_submission_date or NO_PLANNED_DATE, c.id]),
    "verdict": SortKey("Latest check", lambda: [Case.latest_verdict, Case.id],
                       (String(), Integer()), lambda c: [c.latest_verdict, c.id]),
}
DEFAULT_SORT = "-updated"
# What a list row shows and its cursor needs (never a passport number or a password hash).
LIST_CASE_COLUMNS = (Case.id, Case.reference, Case.consultant_id, Case.status,
                     Case.planned_submission_date, Case.opened_at, Case.updated_at,
                     Case.latest_verdict, Case.version)
LIST_APPLICANT_COLUMNS = (Applicant.id, Applicant.case_id, Applicant.given_name,
                          Applicant.family_name, Applicant.chinese_name, Applicant.nationality)


def sort_options() -> list[tuple[str, str]]:
    """(value, label) for the sort menu: each key ascending and descending."""
    options = []
    for name, key in SORT_KEYS.items():
        options.append((name, f"{key.label} ↑"))
        options.append((f"-{name}", f"{key.label} ↓"))
    return options


def parse_sort(raw: str | None) -> str:
    raw = (raw or "").strip()
    return raw if raw.removeprefix("-") in SORT_KEYS else DEFAULT_SORT


# ---- cursors --------------------------------------------------------------------------------

def _kind(type_: TypeEngine[Any]) -> type:
    if isinstance(type_, UTCDateTime | DateTime):
        return datetime
    if isinstance(type_, Date):
        return date
    if isinstance(type_, Integer):
        return int
    return str


def encode_cursor(sort: str, case: Case) -> str:
    return cursors.encode_cursor(SORT_KEYS[sort.removeprefix("-")].values(case))


def decode_cursor(sort: str, token: str | None) -> list[Any] | None:
    """The key values in ``token``, or None when it is missing or not one of ours."""
    key = SORT_KEYS[sort.removeprefix("-")]
    return cursors.decode_cursor(token, tuple(_kind(t) for t in key.types))


# ---- the page -------------------------------------------------------------------------------

@dataclass(frozen=True)
class PageRequest:
    sort: str = DEFAULT_SORT
    after: str | None = None
    before: str | None = None
    last: bool = False
    per_page: int = 50


@dataclass
class CasePage:
    items: list[Case]
    total: int
    total_is_exact: bool
    sort: str
    has_prev: bool
    has_next: bool
    prev_cursor: str | None
    next_cursor: str | None

    @property
    def total_label(self) -> str:
        return f"{self.total:,}" if self.total_is_exact else f"{self.total:,}+"


def keyset_condition(columns: list[Any], values: list[Any], types: Sequence[TypeEngine[Any]],
            forward: bool) -> ColumnElement[bool]:
    """Rows after (``forward``) or before the boundary ``values`` in ascending key order.

    The first column's own range is stated too: it lets either database start the index walk
    at the boundary instead of filtering from the beginning.
    """
    bound = [literal(v, type_=t) for v, t in zip(values, types, strict=True)]
    if forward:
        return and_(columns[0] >= bound[0], tuple_(*columns) > tuple_(*bound))
    return and_(columns[0] <= bound[0], tuple_(*columns) < tuple_(*bound))


def _dialect() -> str:
    return db.session.get_bind().dialect.name


def filtered_ids(user: User, filters: CaseFilters) -> Select[tuple[int]]:
    """The ids of the cases ``user`` may see that match ``filters`` (for counts, exports and
    reassignment)."""
    query = select(Case.id).where(visible_to(user), *_conditions(filters.for_user(user)))
    if needs_applicant(filters):
        query = query.join(Case.applicant)
    return query


def _conditions(filters: CaseFilters) -> list[ColumnElement[bool]]:
    config = current_app.config
    return filter_conditions(
        filters, dialect=_dialect(), today=clock.today(), now=utcnow(),
        check_max_age_days=int(config["SUBMISSION_CHECK_MAX_AGE_DAYS"]))


def count_cases(user: User, filters: CaseFilters, limit: int | None = None) -> tuple[int, bool]:
    """How many cases match, counted up to ``limit`` (COUNT_LIMIT): (count, exact)."""
    limit = COUNT_LIMIT if limit is None else limit
    ids = filtered_ids(user, filters)
    if (_dialect() == "sqlite" and user.sees_all_cases
            and filters == CaseFilters(search=filters.search) and filters.search):
        # A manager's plain search: the FTS table holds one row per case, so its matches
        # are the count, without looking up each matching case.
        ids = fts_matches(SearchTerm(filters.search))
    capped = ids.limit(limit + 1).subquery()
    total = db.session.scalar(select(func.count()).select_from(capped)) or 0
    return min(total, limit), total <= limit


def case_page(user: User, filters: CaseFilters, request: PageRequest) -> CasePage:
    """One page of the cases ``user`` may see: two statements whatever the page size."""
    sort = parse_sort(request.sort)
    descending = sort.startswith("-")
    key = SORT_KEYS[sort.removeprefix("-")]
    per_page = max(1, min(request.per_page, MAX_PER_PAGE))
    columns = key.columns()

    after = decode_cursor(sort, request.after)
    before = None if after is not None else decode_cursor(sort, request.before)
    last = request.last and after is None and before is None
    # Walking backwards (a previous page, the last page) reads the reversed order.
    backwards = before is not None or last
    ascending = descending == backwards
    # The page's ids first, joining only what the filter and sort need; then those rows
    # with the applicant and consultant: the joins run for a page, not for every match.
    ids = select(Case.id).where(visible_to(user), *_conditions(filters.for_user(user)))
    if needs_applicant(filters) or sort.removeprefix("-") == "name":
        ids = ids.join(Case.applicant)
    if sort.removeprefix("-") == "consultant":
        ids = ids.join(Case.consultant)
    boundary = after if after is not None else before
    if boundary is not None:
        ids = ids.where(keyset_condition(columns, boundary, key.types, forward=ascending))
    order = [c.asc() if ascending else c.desc() for c in columns]
    page_ids = ids.order_by(*order).limit(per_page + 1).correlate(None)
    query = (
        select(Case)
        .join(Case.applicant)
        .join(Case.consultant)
        .where(Case.id.in_(page_ids))
        .options(load_only(*LIST_CASE_COLUMNS),
                 contains_eager(Case.applicant).load_only(*LIST_APPLICANT_COLUMNS),
                 contains_eager(Case.consultant).load_only(User.id, User.name))
        .order_by(*order)
    )
    rows = list(db.session.scalars(query))
    more = len(rows) > per_page
    items = rows[:per_page]
    if backwards:
        items.reverse()
    total, exact = count_cases(user, filters)

    has_prev = more if backwards else after is not None
    has_next = (before is not None) or (more and not backwards)
    return CasePage(
        items=items, total=total, total_is_exact=exact, sort=sort,
        has_prev=bool(items) and has_prev, has_next=bool(items) and has_next,
        prev_cursor=encode_cursor(sort, items[0]) if items else None,
        next_cursor=encode_cursor(sort, items[-1]) if items else None,
    )
