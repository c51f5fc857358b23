"""Deposit evidence: a bank statement that shows the client's financial capability."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, Index, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from caseapp.models.base import Base, utcnow
from caseapp.models.types import enum_type
from caseapp.rules.vocab import EvidenceStatus

if TYPE_CHECKING:
    from caseapp.models.case import Case
    from caseapp.models.document import Document
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
    # The last person to change the figures after recording them (four-eyes: neither the
    # recorder nor the last editor may verify or reject).
    edited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    edited_at: Mapped[datetime | None]
    # The uploaded bank statement the figures come from; verifying needs it.
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"), index=True)
    # The admin table's reference rate when the figures were saved (None: there was none).
    reference_rate: Mapped[Decimal | None] = mapped_column(Numeric(18, 8))
    reference_rate_date: Mapped[date | None]
    # A rate off the reference (or with none) stands only with a manager's confirmation.
    rate_confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    rate_confirmed_at: Mapped[datetime | None]
    rate_confirmation_reason: Mapped[str] = mapped_column(Text, default="", server_default="")

    case: Mapped[Case] = relationship(back_populates="deposits")
    verified_by: Mapped[User | None] = relationship(foreign_keys=[verified_by_id])
    rejected_by: Mapped[User | None] = relationship(foreign_keys=[rejected_by_id])
    recorded_by: Mapped[User] = relationship(foreign_keys=[recorded_by_id])
    edited_by: Mapped[User | None] = relationship(foreign_keys=[edited_by_id])
    rate_confirmed_by: Mapped[User | None] = relationship(foreign_keys=[rate_confirmed_by_id])
    document: Mapped[Document | None] = relationship()


class ExchangeRate(Base):
    """A reference rate to HKD kept by the admins: what a recorded rate is compared with."""

    __tablename__ = "exchange_rates"
    __table_args__ = (
        # One rate per currency and day; the index also serves "the latest on or before".
        UniqueConstraint("currency", "rate_date", name="uq_exchange_rates_currency_rate_date"),
        CheckConstraint("rate > 0", name="rate_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    currency: Mapped[str] = mapped_column(String(3))
    rate_date: Mapped[date]
    # HKD for one unit of the currency.
    rate: Mapped[Decimal] = mapped_column(Numeric(18, 8))
    source: Mapped[str] = mapped_column(String(120))
    # None: imported from the command line.
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)

    recorded_by: Mapped[User | None] = relationship()
