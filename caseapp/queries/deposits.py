"""Deposit evidence for the case page and the deposit pages."""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from caseapp.extensions import db
from caseapp.models import Case, DepositEvidence, Document, DocumentKind


def get_deposit(case: Case, evidence_id: int) -> DepositEvidence | None:
    """The evidence with ``evidence_id`` if it belongs to ``case``: another case's is None."""
    return db.session.scalars(
        select(DepositEvidence).where(
            DepositEvidence.id == evidence_id, DepositEvidence.case_id == case.id
        )
    ).one_or_none()


def deposit_panel_context(case: Case) -> dict[str, Any]:
    """The case's evidence, newest statement first, with the people who recorded, edited,
    reviewed and confirmed it and the linked statement: a fixed number of statements however
    many rows there are."""
    deposits = db.session.scalars(
        select(DepositEvidence)
        .where(DepositEvidence.case_id == case.id)
        .options(
            selectinload(DepositEvidence.recorded_by),
            selectinload(DepositEvidence.edited_by),
            selectinload(DepositEvidence.verified_by),
            selectinload(DepositEvidence.rejected_by),
            selectinload(DepositEvidence.rate_confirmed_by),
            selectinload(DepositEvidence.document),
        )
        .order_by(DepositEvidence.statement_date.desc(), DepositEvidence.id.desc())
    ).all()
    return {"deposits": deposits}


def bank_statement_choices(case: Case, evidence: DepositEvidence | None = None) -> list[Document]:
    """The documents a deposit may link to: the case's current bank statements, newest first,
    and the one ``evidence`` links to already even if it has been replaced since (so that
    editing other figures keeps the link)."""
    current = (Document.replaced_by_id.is_(None)) & (Document.detached_note == "")
    linked = evidence.document_id if evidence is not None else None
    condition = current if linked is None else or_(current, Document.id == linked)
    return list(db.session.scalars(
        select(Document)
        .where(Document.case_id == case.id, Document.kind == DocumentKind.BANK_STATEMENT,
               condition)
        .options(selectinload(Document.uploaded_by))
        .order_by(Document.uploaded_at.desc(), Document.id.desc())
    ))
