"""Deposit evidence for the case page and the deposit pages."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from caseapp.extensions import db
from caseapp.models import Case, DepositEvidence


def get_deposit(case: Case, evidence_id: int) -> DepositEvidence | None:
    """The evidence with ``evidence_id`` if it belongs to ``case``: another case's is None."""
    return db.session.scalars(
        select(DepositEvidence).where(
            DepositEvidence.id == evidence_id, DepositEvidence.case_id == case.id
        )
    ).one_or_none()


def deposit_panel_context(case: Case) -> dict[str, Any]:
    """The case's evidence, newest statement first, with the people who recorded and reviewed
    it: at most four statements however many rows there are."""
    deposits = db.session.scalars(
        select(DepositEvidence)
        .where(DepositEvidence.case_id == case.id)
        .options(
            selectinload(DepositEvidence.recorded_by),
            selectinload(DepositEvidence.verified_by),
            selectinload(DepositEvidence.rejected_by),
        )
        .order_by(DepositEvidence.statement_date.desc(), DepositEvidence.id.desc())
    ).all()
    return {"deposits": deposits}
