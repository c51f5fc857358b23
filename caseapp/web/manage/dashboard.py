"""The managers' dashboard: where the cases stand, who carries what, what needs attention.

Every number links to the case list filtered to exactly the cases it counts; the links are
built from ``CaseFilters`` so they are what the list parses.
"""

from __future__ import annotations

from flask import current_app, render_template, url_for

from caseapp import clock
from caseapp.models import utcnow
from caseapp.queries.case_filters import CaseFilters
from caseapp.queries.dashboard import DECISIONS, Dashboard, MonthRange, dashboard
from caseapp.rules.workflow import OPEN_STATUSES, CaseStatus
from caseapp.web.access import roles_required
from caseapp.web.charts import Chart, Group, bar_chart, column_chart
from caseapp.web.manage.routes import MANAGERS, bp

MONTH_ABBREVIATIONS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct",
                       "Nov", "Dec")
MONTH_NAMES = ("January", "February", "March", "April", "May", "June", "July", "August",
               "September", "October", "November", "December")


def month_name(month: MonthRange) -> str:
    return f"{MONTH_NAMES[month.first.month - 1]} {month.first.year}"


class DashboardLinks:
    """The case-list URL behind each number of the dashboard."""

    def __init__(self, month: MonthRange, stale_days: int) -> None:
        self.month = month
        self.stale_days = stale_days
        self.base = url_for("cases.index")

    def to_list(self, filters: CaseFilters) -> str:
        query = filters.query_string()
        return f"{self.base}?{query}" if query else self.base

    @staticmethod
    def _mine(consultant_id: int | None) -> tuple[int, ...]:
        return () if consultant_id is None else (consultant_id,)

    def all_cases(self) -> str:
        return self.to_list(CaseFilters())

    def status(self, status: CaseStatus) -> str:
        return self.to_list(CaseFilters(statuses=(status,)))

    def open(self, consultant_id: int | None = None) -> str:
        return self.to_list(CaseFilters(statuses=OPEN_STATUSES,
                                        consultant_ids=self._mine(consultant_id)))

    def stale(self, consultant_id: int | None = None) -> str:
        return self.to_list(CaseFilters(stale_days=self.stale_days,
                                        consultant_ids=self._mine(consultant_id)))

    def waiting(self, what: str, consultant_id: int | None = None) -> str:
        return self.to_list(CaseFilters(waiting=what, consultant_ids=self._mine(consultant_id)))

    def _entered(self, statuses: tuple[CaseStatus, ...],
                 consultant_id: int | None = None) -> str:
        return self.to_list(CaseFilters(
            entered=statuses, entered_from=self.month.first, entered_to=self.month.last,
            consultant_ids=self._mine(consultant_id)))

    def submitted(self, consultant_id: int | None = None) -> str:
        return self._entered((CaseStatus.SUBMITTED,), consultant_id)

    def decisions(self) -> str:
        return self._entered(DECISIONS)

    def approvals(self) -> str:
        return self._entered((CaseStatus.APPROVED_IN_PRINCIPLE,))

    def refusals(self) -> str:
        return self._entered((CaseStatus.REFUSED,))

    def attention(self) -> str:
        return self.to_list(CaseFilters(attention=True))

    def opened(self, month: MonthRange) -> str:
        return self.to_list(CaseFilters(opened_from=month.first, opened_to=month.last))


def intake_chart(board: Dashboard, links: DashboardLinks) -> Chart:
    """Cases opened per month, stacked by where they stand now."""
    groups = []
    for index, intake in enumerate(board.intake):
        first = intake.month.first
        # The year under each January, and under the first month unless January follows it
        # (two years side by side collide at phone width).
        second_is_january = len(board.intake) > 1 and board.intake[1].month.first.month == 1
        show_year = first.month == 1 or (index == 0 and not second_is_january)
        groups.append(Group(
            label=MONTH_ABBREVIATIONS[first.month - 1],
            sublabel=str(first.year) if show_year else "",
            title=month_name(intake.month),
            values={status.value: count for status, count in intake.by_status.items()},
            link=links.opened(intake.month),
        ))
    return column_chart(groups, [s.value for s in CaseStatus])


def workload_chart(board: Dashboard, links: DashboardLinks) -> Chart:
    """Open cases per consultant, stacked by status, the busiest first."""
    rows = sorted((load for load in board.consultants if load.open or load.active),
                  key=lambda load: (-load.open, load.name))
    groups = [Group(
        label=load.name + ("" if load.active else " (inactive)"),
        title=load.name + ("" if load.active else " (inactive)"),
        values={status.value: count for status, count in load.open_by_status.items()},
        link=links.open(load.id),
    ) for load in rows]
    return bar_chart(groups, [s.value for s in OPEN_STATUSES])


@bp.route("/", endpoint="dashboard")
@roles_required(*MANAGERS)
def dashboard_page() -> str:
    config = current_app.config
    stale_days = int(config["STALE_CASE_DAYS"])
    board = dashboard(today=clock.today(), now=utcnow(), stale_days=stale_days,
                      check_max_age_days=int(config["SUBMISSION_CHECK_MAX_AGE_DAYS"]))
    links = DashboardLinks(board.month, stale_days)
    return render_template(
        "manage/dashboard.html", board=board, links=links, month_name=month_name(board.month),
        intake=intake_chart(board, links), workload=workload_chart(board, links),
        statuses=list(CaseStatus), open_statuses=OPEN_STATUSES,
    )
