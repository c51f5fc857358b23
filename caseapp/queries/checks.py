"""Check runs for the case page and the run page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from caseapp.extensions import db
from caseapp.models import Case, CheckRun
from caseapp.queries import cursors
from caseapp.queries.case_list import keyset_condition
from caseapp.services.checks import stored_result

EARLIER_RUNS_SHOWN = 20  # on the case page; one more run fetched tells there are older ones
MAX_RUNS_PER_PAGE = 100


def check_runs(case: Case, limit: int = EARLIER_RUNS_SHOWN + 2) -> list[CheckRun]:
    return list(
        db.session.scalars(
            select(CheckRun)
            .where(CheckRun.case_id == case.id)
            .options(selectinload(CheckRun.run_by))
            .order_by(CheckRun.run_at.desc(), CheckRun.id.desc())
            .limit(limit)
        )
    )


# ---- newest first, a page at a time (the API): runs accumulate, so keyset, never offset ----

RunKey = tuple[datetime, int]


@dataclass(frozen=True)
class RunPage:
    items: list[CheckRun]
    has_next: bool

    @property
    def next_cursor(self) -> str | None:
        return encode_run_cursor(self.items[-1]) if self.has_next and self.items else None


def encode_run_cursor(run: CheckRun) -> str:
    return cursors.encode_cursor([run.run_at, run.id])


def decode_run_cursor(token: str) -> RunKey | None:
    """The (run_at, id) a cursor carries, or None when it is not one of ours."""
    values = cursors.decode_cursor(token, (datetime, int))
    return None if values is None else (values[0], values[1])


def check_runs_page(case: Case, after: RunKey | None, per_page: int) -> RunPage:
    """The case's runs newest first, those older than ``after`` (the last run of the page
    before): two statements whatever the page or the number of runs."""
    per_page = max(1, min(per_page, MAX_RUNS_PER_PAGE))
    columns = [CheckRun.run_at, CheckRun.id]
    query = (
        select(CheckRun)
        .where(CheckRun.case_id == case.id)
        .options(selectinload(CheckRun.run_by))
        .order_by(CheckRun.run_at.desc(), CheckRun.id.desc())
        .limit(per_page + 1)
    )
    if after is not None:
        query = query.where(keyset_condition(columns, list(after), [c.type for c in columns],
                                             forward=False))
    rows = list(db.session.scalars(query))
    return RunPage(items=rows[:per_page], has_next=len(rows) > per_page)


def get_check_run(case: Case, run_id: int) -> CheckRun | None:
    return db.session.scalars(
        select(CheckRun)
        .where(CheckRun.case_id == case.id, CheckRun.id == run_id)
        .options(selectinload(CheckRun.run_by))
    ).one_or_none()


def checks_panel_context(case: Case) -> dict[str, Any]:
    runs = check_runs(case)
    latest = runs[0] if runs else None
    from caseapp.services.checks import rule_set_for_case

    return {
        # What the next run uses: the set in force on the case's lodging date.
        "rule_set_now": rule_set_for_case(case),
        "latest_run": latest,
        "latest_result": stored_result(latest) if latest else None,
        "earlier_runs": runs[1:],
    }
