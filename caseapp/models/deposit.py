"""Deposit evidence: a bank statement that shows the client's financial capability."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, Index, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from caseapp.models.base import Base, utcnow
from caseapp.models.types import enum_type
from caseapp.rules.vocab import EvidenceStatus

if TYPE_CHECKING:
    from caseapp.models.case import Case
    from caseapp.models.user import User


class DepositEvidence(Base):
    __tablename__ = "deposit_evidence"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("rate_to_hkd > 0", name="rate_positive"),
        Index("ix_deposit_evidence_case_id_status", "case_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    amount: Mapped[Decimal] = mapped_column(Numeric(16, 2))
    currency: Mapped[str] = mapped_column(String(3))
    rate_to_hkd: Mapped[Decimal] = mapped_column(Numeric(18, 8))
    amount_hkd: Mapped[Decimal] = mapped_column(Numeric(16, 2))
    statement_date: Mapped[date]
    bank: Mapped[str] = mapped_column(String(120))
    account_holder: Mapped[str] = mapped_column(String(120))
    status: Mapped[EvidenceStatus] = mapped_column(
        enum_type(EvidenceStatus, "status"), default=EvidenceStatus.PENDING
    )
    verified_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    verified_at: Mapped[datetime | None]
    rejected_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    rejected_at: Mapped[datetime | None]
    rejection_reason: Mapped[str] = mapped_column(Text, default="", server_default="")
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)

    case: Mapped[Case] = relationship(back_populates="deposits")
    verified_by: Mapped[User | None] = relationship(foreign_keys=[verified_by_id])
    rejected_by: Mapped[User | None] = relationship(foreign_keys=[rejected_by_id])
    recorded_by: Mapped[User] = relationship(foreign_keys=[recorded_by_id])
