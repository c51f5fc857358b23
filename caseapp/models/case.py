"""The client file: a case, its principal applicant and the dependants."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    false,
    func,
    literal_column,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from caseapp.models.base import Base, JSONDocument, utcnow
from caseapp.models.types import enum_type
from caseapp.rules.vocab import Answer, MaritalStatus, Qualification, Relationship
from caseapp.rules.workflow import CaseStatus

if TYPE_CHECKING:
    from caseapp.models.deposit import DepositEvidence
    from caseapp.models.document import Document
    from caseapp.models.user import User


class ReferenceCounter(Base):
    """The last case number handed out per year, so references are never reused."""

    __tablename__ = "reference_counters"

    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    last_number: Mapped[int] = mapped_column(Integer)


# The latest check's verdict as the lists filter and sort on it; "unchecked" sorts last.
LATEST_VERDICTS = ("eligible", "incomplete", "not_eligible", "unchecked")
UNCHECKED = "unchecked"
# Cases with no planned submission date sort after every dated one (an index serves it).
PLANNED_SORT_KEY = func.coalesce(
    literal_column("cases.planned_submission_date"), literal_column("'9999-12-31'"))


class Case(Base):
    __tablename__ = "cases"
    __table_args__ = (
        Index("ix_cases_status_updated_at", "status", "updated_at"),
        Index("ix_cases_consultant_id_updated_at", "consultant_id", "updated_at"),
        # (sort column, id): keyset pages in every sort order come straight off an index.
        Index("ix_cases_updated_at_id", "updated_at", "id"),
        Index("ix_cases_opened_at_id", "opened_at", "id"),
        Index("ix_cases_status_id", "status", "id"),
        Index("ix_cases_consultant_id_id", "consultant_id", "id"),
        Index("ix_cases_latest_verdict_id", "latest_verdict", "id"),
        # Covering indexes for the dashboard's counts and the needs-attention filter.
        Index("ix_cases_consultant_status_deposit_updated", "consultant_id", "status",
              "has_verified_deposit", "updated_at"),
        Index("ix_cases_attention_on_status", "attention_on", "status"),
        Index("ix_cases_verdict_check_status", "latest_verdict", "latest_check_at", "status"),
        Index("ix_cases_opened_at_status", "opened_at", "status"),
        CheckConstraint(
            "latest_verdict IN ('eligible', 'incomplete', 'not_eligible', 'unchecked')",
            name="latest_verdict",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    consultant_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    status: Mapped[CaseStatus] = mapped_column(
        enum_type(CaseStatus, "status"), default=CaseStatus.INTAKE
    )
    planned_submission_date: Mapped[date | None]
    opened_at: Mapped[datetime] = mapped_column(default=utcnow, server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, server_default=func.now())
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # Optimistic locking: every change to the case or its parts bumps this number.
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    # Kept current by the check service, in the run's transaction, for the lists.
    latest_verdict: Mapped[str] = mapped_column(
        String(20), default=UNCHECKED, server_default=UNCHECKED)
    latest_check_at: Mapped[datetime | None]
    counted_hkd: Mapped[Decimal | None] = mapped_column(Numeric(16, 2))
    # Kept current by every change and check run (rules.attention): the first date the case
    # needs attention, and [[iso date, reason], ...] for each danger foreseen.
    attention_on: Mapped[date | None]
    attention_reasons: Mapped[list[Any]] = mapped_column(
        JSONDocument, default=list, server_default="[]")
    # Any deposit evidence verified: "waiting on deposit evidence" while False before submission.
    has_verified_deposit: Mapped[bool] = mapped_column(default=False, server_default=false())
    # Folded names, reference and e-mail (caseapp.textsearch), indexed by trigrams.
    search_text: Mapped[str] = mapped_column(Text, default="", server_default="")
    # Set on submission to ImmD: the file number ImmD gave and the day it was lodged.
    immd_file_number: Mapped[str | None] = mapped_column(String(40))
    submitted_on: Mapped[date | None]

    __mapper_args__ = {"version_id_col": version}

    consultant: Mapped[User] = relationship(foreign_keys=[consultant_id])
    updated_by: Mapped[User | None] = relationship(foreign_keys=[updated_by_id])
    applicant: Mapped[Applicant] = relationship(
        back_populates="case", uselist=False, cascade="all, delete-orphan"
    )
    dependants: Mapped[list[Dependant]] = relationship(
        back_populates="case", cascade="all, delete-orphan", order_by="Dependant.id"
    )
    deposits: Mapped[list[DepositEvidence]] = relationship(
        back_populates="case", cascade="all, delete-orphan", order_by="DepositEvidence.id"
    )
    documents: Mapped[list[Document]] = relationship(
        back_populates="case",
        cascade="all, delete-orphan",
        order_by="Document.id",
        foreign_keys="Document.case_id",
    )

    @property
    def is_closed(self) -> bool:
        return self.status.is_closed

    @property
    def file_is_locked(self) -> bool:
        """Submitted (or later): the applicant, dependants, deposits and documents are as sent."""
        return self.status.is_submitted

    @property
    def file_is_editable(self) -> bool:
        return not self.is_closed and not self.file_is_locked

    def __repr__(self) -> str:
        return f"<Case {self.reference} {self.status.value}>"


def _answer(name: str) -> Mapped[Answer]:
    return mapped_column(
        enum_type(Answer, name), default=Answer.UNKNOWN, server_default=Answer.UNKNOWN.value
    )


class Applicant(Base):
    """The principal applicant: one per case."""

    __tablename__ = "applicants"
    __table_args__ = (
        Index("ix_applicants_family_name_given_name", "family_name", "given_name"),
        # The case list sorted by name, ties broken by the case: one index walk.
        Index("ix_applicants_name_case_id", "family_name", "given_name", "case_id"),
        Index("ix_applicants_nationality", "nationality"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), unique=True)
    given_name: Mapped[str] = mapped_column(String(100))
    family_name: Mapped[str] = mapped_column(String(100))
    chinese_name: Mapped[str] = mapped_column(String(50), default="", server_default="")
    date_of_birth: Mapped[date | None]
    nationality: Mapped[str | None] = mapped_column(String(3))
    passport_number: Mapped[str] = mapped_column(String(20), default="", server_default="")
    passport_expiry: Mapped[date | None]
    email: Mapped[str] = mapped_column(String(254), default="", server_default="")
    phone: Mapped[str] = mapped_column(String(40), default="", server_default="")

    criminal_record: Mapped[Answer] = _answer("criminal_record")
    adverse_immigration_record: Mapped[Answer] = _answer("adverse_immigration_record")

    english_written: Mapped[Answer] = _answer("english_written")
    english_spoken: Mapped[Answer] = _answer("english_spoken")
    chinese_written: Mapped[Answer] = _answer("chinese_written")
    putonghua_spoken: Mapped[Answer] = _answer("putonghua_spoken")
    cantonese_spoken: Mapped[Answer] = _answer("cantonese_spoken")

    highest_qualification: Mapped[Qualification | None] = mapped_column(
        enum_type(Qualification, "highest_qualification")
    )
    qualification_recognised: Mapped[Answer] = _answer("qualification_recognised")

    # For the General Points Test: degrees held, work experience, languages, family ties.
    doctorate_count: Mapped[int | None]
    master_count: Mapped[int | None]
    bachelor_count: Mapped[int | None]
    professional_qualification: Mapped[bool] = mapped_column(default=False, server_default=false())
    graduate_work_years: Mapped[int | None]
    senior_work_years: Mapped[int | None]
    other_foreign_language: Mapped[Answer] = _answer("other_foreign_language")
    hk_permanent_resident_family: Mapped[Answer] = _answer("hk_permanent_resident_family")

    # For the General Points Test since 1 November 2024 (12 criteria, at least 6 met). Money
    # is kept as on the evidence (amount, currency, rate) with its HKD value, as for deposits.
    degree_eligible_university: Mapped[Answer] = _answer("degree_eligible_university")
    degree_stem: Mapped[Answer] = _answer("degree_stem")
    two_languages: Mapped[Answer] = _answer("two_languages")
    multinational_work_years: Mapped[int | None]
    sector_work_years: Mapped[int | None]
    international_work_years: Mapped[int | None]
    income_amount: Mapped[Decimal | None] = mapped_column(Numeric(16, 2))
    income_currency: Mapped[str | None] = mapped_column(String(3))
    income_rate_to_hkd: Mapped[Decimal | None] = mapped_column(Numeric(18, 8))
    income_hkd: Mapped[Decimal | None] = mapped_column(Numeric(16, 2))
    profit_amount: Mapped[Decimal | None] = mapped_column(Numeric(16, 2))
    profit_currency: Mapped[str | None] = mapped_column(String(3))
    profit_rate_to_hkd: Mapped[Decimal | None] = mapped_column(Numeric(18, 8))
    profit_hkd: Mapped[Decimal | None] = mapped_column(Numeric(16, 2))
    owns_listed_company: Mapped[Answer] = _answer("owns_listed_company")

    # For the Achievement-based Points Test: the consultant asserts it, the system records it.
    achievement_claim: Mapped[Answer] = _answer("achievement_claim")
    achievement_description: Mapped[str] = mapped_column(Text, default="", server_default="")

    case: Mapped[Case] = relationship(back_populates="applicant")

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}".strip()


class Dependant(Base):
    __tablename__ = "dependants"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    relation: Mapped[Relationship] = mapped_column(
        "relationship", enum_type(Relationship, "relationship")
    )
    given_name: Mapped[str] = mapped_column(String(100))
    family_name: Mapped[str] = mapped_column(String(100))
    date_of_birth: Mapped[date | None]
    marital_status: Mapped[MaritalStatus | None] = mapped_column(
        enum_type(MaritalStatus, "marital_status")
    )
    nationality: Mapped[str | None] = mapped_column(String(3))
    # An accompanying dependant's passport: its expiry is a deadline like the applicant's.
    passport_expiry: Mapped[date | None]
    # A spouse with a bachelor's degree or above earns General Points Test points.
    spouse_has_degree: Mapped[Answer] = _answer("spouse_has_degree")

    case: Mapped[Case] = relationship(back_populates="dependants")

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}".strip()
