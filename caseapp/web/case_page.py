"""What the case page shows besides the case itself: each area adds its own panel's data."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from caseapp.extensions import db
from caseapp.models import Case, StatusChange, User
from caseapp.queries.checks import checks_panel_context
from caseapp.queries.deposits import deposit_panel_context
from caseapp.queries.documents import document_panel_context
from caseapp.queries.history import audit_page
from caseapp.queries.submission import submission_panel_context

HISTORY_LIMIT = 50


def history_context(case: Case) -> dict[str, Any]:
    status_changes = db.session.scalars(
        select(StatusChange)
        .where(StatusChange.case_id == case.id)
        .options(selectinload(StatusChange.changed_by))
        .order_by(StatusChange.changed_at.desc(), StatusChange.id.desc())
        .limit(HISTORY_LIMIT)
    ).all()
    audit = audit_page(case, 1, HISTORY_LIMIT)
    return {"status_changes": status_changes, "audit_entries": audit.items,
            "more_history": audit.has_next}


def case_page_context(user: User, case: Case) -> dict[str, Any]:
    from caseapp.web.workflow import workflow_panel_context

    context: dict[str, Any] = workflow_panel_context(user, case)
    context.update(submission_panel_context(user, case))
    for part in (checks_panel_context, deposit_panel_context, document_panel_context,
                 history_context):
        context.update(part(case))
    return context
