"""Check runs for the case page and the run page."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from caseapp.extensions import db
from caseapp.models import Case, CheckRun
from caseapp.services.checks import stored_result

EARLIER_RUNS_SHOWN = 20  # on the case page; one more run fetched tells there are older ones


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
