"""Deposit evidence for the case page."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from caseapp.extensions import db
from caseapp.models import Case, DepositEvidence


def deposit_panel_context(case: Case) -> dict[str, Any]:
    deposits = db.session.scalars(
        select(DepositEvidence)
        .where(DepositEvidence.case_id == case.id)
        .options(selectinload(DepositEvidence.verified_by))
        .order_by(DepositEvidence.statement_date.desc(), DepositEvidence.id.desc())
    ).all()
    return {"deposits": deposits}
