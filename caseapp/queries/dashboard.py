"""The managers' dashboard: counts per status and per consultant, the month's submissions and
decisions, the cases needing attention and the monthly intake, in six statements whatever
the number of cases or consultants.

Every number is the count of a filter the case list understands (``caseapp.queries.
case_filters``), computed with the same SQL conditions, so following a number's link shows
exactly the cases counted. The statements:

1. one pass over a covering index of the cases grouped by (consultant, status, whether any
   deposit evidence is verified), counting the stale ones too: the status counts, each
   consultant's open, stale, waiting-on-documents and waiting-on-deposit cases;
2. the consultants (every consultant, and anyone else who holds cases);
3. how many cases need attention (the list's own condition);
4. the month's status changes into submitted, approved in principle and refused, per
   consultant, counting cases (a case counts once however often it entered);
5. the oldest cases needing attention, with applicant and consultant joined;
6. cases opened in each of the last twelve months, per current status: twelve range counts
   whose bounds are business-time-zone instants, the same on either database.

Conditional sums are kept out of the big passes on purpose: SQLite evaluates them row by row,
while a range or an index walk costs next to nothing per row.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import case, distinct, func, literal, or_, select, union_all
from sqlalchemy.orm import contains_eager

from caseapp import clock
from caseapp.extensions import db
from caseapp.models import Case, Role, StatusChange, User
from caseapp.queries.case_filters import (
    PRE_SUBMISSION,
    check_too_old_before,
    day_start,
    needs_attention,
)
from caseapp.rules.workflow import OPEN_STATUSES, CaseStatus
from caseapp.services.derived import due_reasons

ATTENTION_SHOWN = 20
CHART_MONTHS = 12
ELIGIBLE = "eligible"
DECISIONS = (CaseStatus.APPROVED_IN_PRINCIPLE, CaseStatus.REFUSED)
MONTH_MOVES = (CaseStatus.SUBMITTED, *DECISIONS)


@dataclass(frozen=True)
class MonthRange:
    """A business month: its first and last day (both inclusive, as the list's date filters)."""

    first: date
    last: date

    @classmethod
    def of(cls, day: date) -> MonthRange:
        first = day.replace(day=1)
        return cls(first, _next_month(first) - timedelta(days=1))

    def previous(self) -> MonthRange:
        return MonthRange.of(self.first - timedelta(days=1))


@dataclass
class ConsultantLoad:
    """One consultant's row; ``open_by_status`` feeds the workload chart."""

    id: int | None  # None: the totals row
    name: str
    active: bool = True
    open: int = 0
    stale: int = 0
    waiting_documents: int = 0
    waiting_deposit: int = 0
    submitted_this_month: int = 0
    open_by_status: dict[CaseStatus, int] = field(default_factory=dict)

    def add(self, other: ConsultantLoad) -> None:
        self.open += other.open
        self.stale += other.stale
        self.waiting_documents += other.waiting_documents
        self.waiting_deposit += other.waiting_deposit
        self.submitted_this_month += other.submitted_this_month
        for status, count in other.open_by_status.items():
            self.open_by_status[status] = self.open_by_status.get(status, 0) + count


@dataclass(frozen=True)
class AttentionItem:
    case: Case
    since: date  # the first day the case needed attention
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class MonthIntake:
    month: MonthRange
    by_status: dict[CaseStatus, int]

    @property
    def total(self) -> int:
        return sum(self.by_status.values())


@dataclass(frozen=True)
class Dashboard:
    today: date
    month: MonthRange
    stale_days: int
    check_max_age_days: int
    by_status: dict[CaseStatus, int]
    consultants: list[ConsultantLoad]
    totals: ConsultantLoad
    approved_this_month: int
    refused_this_month: int
    decided_this_month: int  # cases approved or refused (one that was both counts once)
    attention: list[AttentionItem]
    attention_total: int
    intake: list[MonthIntake]

    @property
    def total_cases(self) -> int:
        return sum(self.by_status.values())

    @property
    def approval_rate(self) -> Decimal | None:
        """Approvals as a percentage of approvals and refusals; None with no decision."""
        decided = self.approved_this_month + self.refused_this_month
        if not decided:
            return None
        rate = Decimal(100 * self.approved_this_month) / Decimal(decided)
        return rate.quantize(Decimal("1"), rounding=ROUND_HALF_UP)


def _next_month(first: date) -> date:
    return (first + timedelta(days=32)).replace(day=1)


def _business_date(moment: datetime) -> date:
    return moment.astimezone(clock.business_timezone()).date()


def dashboard(*, today: date, now: datetime, stale_days: int,
              check_max_age_days: int) -> Dashboard:
    """Everything the dashboard shows, as of the business day ``today`` and the instant
    ``now`` (the stale cut-off)."""
    month = MonthRange.of(today)
    by_status, loads = _case_counts(now - timedelta(days=stale_days))
    users = _consultants(set(loads))
    attention_total = _attention_count(today, check_max_age_days)
    moves = _month_moves(month)
    rows = []
    for user in users:
        load = loads.get(user.id) or ConsultantLoad(user.id, user.name)
        load.name, load.active = user.name, user.active
        load.submitted_this_month = moves.submitted.get(user.id, 0)
        if user.active or user.id in loads:
            rows.append(load)
    totals = ConsultantLoad(None, "All consultants")
    for load in rows:
        totals.add(load)
    return Dashboard(
        today=today, month=month, stale_days=stale_days, check_max_age_days=check_max_age_days,
        by_status=by_status, consultants=rows, totals=totals,
        approved_this_month=moves.approved, refused_this_month=moves.refused,
        decided_this_month=moves.decided,
        attention=_attention_items(today, check_max_age_days),
        attention_total=attention_total,
        intake=_monthly_intake(month),
    )


def _case_counts(stale_before: datetime
                 ) -> tuple[dict[CaseStatus, int], dict[int, ConsultantLoad]]:
    """Statement 1: cases per (consultant, status, any deposit verified) and how many of them
    were last changed before ``stale_before``. "Open", "waiting on documents" and "waiting on
    deposit evidence" are a choice of groups (the list's ``waiting_condition``), "stale" the
    open groups' stale counts (the list's ``stale_condition``)."""
    is_stale = case((Case.updated_at < stale_before, 1), else_=0)
    query = (
        select(Case.consultant_id, Case.status, Case.has_verified_deposit, func.count(),
               func.sum(is_stale))
        .group_by(Case.consultant_id, Case.status, Case.has_verified_deposit)
    )
    by_status = dict.fromkeys(CaseStatus, 0)
    loads: dict[int, ConsultantLoad] = {}
    for consultant_id, status, verified, count, stale in db.session.execute(query):
        by_status[status] += count
        load = loads.setdefault(consultant_id, ConsultantLoad(consultant_id, ""))
        if status in OPEN_STATUSES:
            load.open += count
            load.stale += stale or 0
            load.open_by_status[status] = load.open_by_status.get(status, 0) + count
        if status is CaseStatus.COLLECTING_DOCUMENTS:
            load.waiting_documents += count
        if status in PRE_SUBMISSION and not verified:
            load.waiting_deposit += count
    return by_status, loads


def _consultants(holding_cases: set[int]) -> list[User]:
    """Statement 2: every consultant and whoever else holds cases (a user whose role changed),
    active ones first, then by name."""
    condition = User.role == Role.CONSULTANT
    if holding_cases:
        condition = or_(condition, User.id.in_(sorted(holding_cases)))
    return list(db.session.scalars(
        select(User).where(condition).order_by(User.active.desc(), User.name, User.id)))


def _attention_count(today: date, check_max_age_days: int) -> int:
    """Statement 4: how many cases need attention (the list's ``attention=1``)."""
    query = select(func.count()).select_from(Case).where(
        needs_attention(today, check_max_age_days))
    return db.session.scalar(query) or 0


@dataclass(frozen=True)
class _MonthMoves:
    submitted: dict[int, int]
    approved: int
    refused: int
    decided: int


def _month_moves(month: MonthRange) -> _MonthMoves:
    """Statement 5: cases that entered submitted, approved or refused this business month."""
    moved = StatusChange.case_id

    def cases_entering(*statuses: CaseStatus) -> Any:
        return func.count(distinct(case((StatusChange.to_status.in_(statuses), moved))))

    query = (
        select(
            Case.consultant_id,
            cases_entering(CaseStatus.SUBMITTED),
            cases_entering(CaseStatus.APPROVED_IN_PRINCIPLE),
            cases_entering(CaseStatus.REFUSED),
            cases_entering(*DECISIONS),
        )
        .join(Case, Case.id == StatusChange.case_id)
        .where(
            StatusChange.to_status.in_(MONTH_MOVES),
            StatusChange.changed_at >= day_start(month.first),
            StatusChange.changed_at < day_start(month.last + timedelta(days=1)),
        )
        .group_by(Case.consultant_id)
    )
    submitted: dict[int, int] = {}
    approved = refused = decided = 0
    # A case has one consultant, so cases counted per consultant add up to distinct cases.
    for consultant_id, n_submitted, n_approved, n_refused, n_decided in db.session.execute(
            query):
        submitted[consultant_id] = n_submitted
        approved += n_approved
        refused += n_refused
        decided += n_decided
    return _MonthMoves(submitted, approved, refused, decided)


def _attention_items(today: date, check_max_age_days: int) -> list[AttentionItem]:
    """Statement 6: the cases needing attention the longest, oldest first.

    A case needs attention from its ``attention_on`` date or from the day its eligible check
    became too old, whichever came first; neither order is an index, so each branch's oldest
    ``ATTENTION_SHOWN`` cases are read in its own index order and merged here.
    """
    condition = needs_attention(today, check_max_age_days)
    too_old = check_too_old_before(today, check_max_age_days)
    by_date = (select(Case.id).where(condition, Case.attention_on <= today)
               .order_by(Case.attention_on, Case.id).limit(ATTENTION_SHOWN))
    by_check = (select(Case.id)
                .where(condition, Case.latest_verdict == ELIGIBLE, Case.latest_check_at < too_old)
                .order_by(Case.latest_check_at, Case.id).limit(ATTENTION_SHOWN))
    # Each limited branch as a derived table: SQLite takes no ORDER BY inside a UNION member.
    branches = [branch.subquery() for branch in (by_date, by_check)]
    ids = union_all(*(select(branch.c.id) for branch in branches))
    cases = db.session.scalars(
        select(Case)
        .join(Case.applicant)
        .join(Case.consultant)
        .where(Case.id.in_(ids))
        .options(contains_eager(Case.applicant), contains_eager(Case.consultant))
    ).unique()
    items = [_attention_item(c, today, check_max_age_days, too_old) for c in cases]
    items.sort(key=lambda item: (item.since, item.case.id))
    return items[:ATTENTION_SHOWN]


def _attention_item(case_: Case, today: date, check_max_age_days: int,
                    too_old: datetime) -> AttentionItem:
    since: list[date] = []
    reasons = list(due_reasons(case_.attention_reasons, today))
    if case_.attention_on is not None and case_.attention_on <= today:
        since.append(case_.attention_on)
    checked = case_.latest_check_at
    if case_.latest_verdict == ELIGIBLE and checked is not None and checked < too_old:
        checked_on = _business_date(checked)
        since.append(checked_on + timedelta(days=check_max_age_days + 1))
        reasons.append(f"Latest eligible check is from {checked_on.isoformat()}, older than "
                       f"{check_max_age_days} days: run the checks again before submitting.")
    return AttentionItem(case_, min(since, default=today), tuple(reasons))


def chart_months(month: MonthRange, count: int = CHART_MONTHS) -> list[MonthRange]:
    """The ``count`` business months ending with ``month``, oldest first."""
    months = [month]
    while len(months) < count:
        months.append(months[-1].previous())
    return months[::-1]


def _monthly_intake(month: MonthRange) -> list[MonthIntake]:
    """Statement 7: cases opened in each of the last twelve months, per current status: one
    range of ``opened_at`` per month (an index range each), grouped by status."""
    months = chart_months(month)
    parts = [
        select(literal(index).label("month"), Case.status, func.count())
        .where(Case.opened_at >= day_start(m.first),
               Case.opened_at < day_start(m.last + timedelta(days=1)))
        .group_by(Case.status)
        for index, m in enumerate(months)
    ]
    counts: dict[int, dict[CaseStatus, int]] = defaultdict(dict)
    for index, status, count in db.session.execute(union_all(*parts)):
        counts[index][CaseStatus(status)] = count
    return [MonthIntake(m, counts[index]) for index, m in enumerate(months)]
