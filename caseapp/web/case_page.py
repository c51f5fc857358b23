"""What the case page shows besides the case itself: history and audit trail."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from caseapp.extensions import db
from caseapp.models import AuditEntry, Case, DepositEvidence, StatusChange

HISTORY_LIMIT = 50


def case_page_context(case: Case) -> dict[str, Any]:
    deposits = db.session.scalars(
        select(DepositEvidence)
        .where(DepositEvidence.case_id == case.id)
        .options(selectinload(DepositEvidence.verified_by))
        .order_by(DepositEvidence.statement_date.desc(), DepositEvidence.id.desc())
    ).all()
    status_changes = db.session.scalars(
        select(StatusChange)
        .where(StatusChange.case_id == case.id)
        .options(selectinload(StatusChange.changed_by))
        .order_by(StatusChange.changed_at.desc(), StatusChange.id.desc())
        .limit(HISTORY_LIMIT)
    ).all()
    audit_entries = db.session.scalars(
        select(AuditEntry)
        .where(AuditEntry.case_id == case.id)
        .options(selectinload(AuditEntry.user))
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        .limit(HISTORY_LIMIT)
    ).all()
    return {
        "deposits": deposits,
        "status_changes": status_changes,
        "audit_entries": audit_entries,
    }
