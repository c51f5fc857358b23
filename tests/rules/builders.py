"""Short builders for rule facts: a fully eligible case, then change only what a test is about."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

from caseapp.rules import ApplicantFacts, CaseFacts, DependantFacts, DepositFacts
from caseapp.rules.vocab import Answer, EvidenceStatus, MaritalStatus, Qualification, Relationship

CHECK = date(2026, 3, 2)

YES, NO, UNKNOWN = Answer.YES, Answer.NO, Answer.UNKNOWN


def applicant(**changes: Any) -> ApplicantFacts:
    """An applicant who meets every prerequisite and scores 30+35+40+10+0 = 115 GPT points."""
    base = ApplicantFacts(
        date_of_birth=date(1990, 5, 17),
        nationality="GBR",
        passport_expiry=date(2031, 1, 1),
        criminal_record=NO,
        adverse_immigration_record=NO,
        english_written=YES,
        english_spoken=YES,
        chinese_written=NO,
        putonghua_spoken=NO,
        cantonese_spoken=NO,
        other_foreign_language=NO,
        highest_qualification=Qualification.MASTER,
        qualification_recognised=YES,
        doctorate_count=0,
        master_count=1,
        bachelor_count=1,
        graduate_work_years=8,
        senior_work_years=3,
        hk_permanent_resident_family=NO,
        achievement_claim=NO,
    )
    return replace(base, **changes)


def deposit(
    amount: str | Decimal = "300000",
    *,
    id: str | int = 1,
    currency: str = "HKD",
    rate: str | Decimal = "1",
    statement_date: date = date(2026, 2, 15),
    status: EvidenceStatus = EvidenceStatus.VERIFIED,
    amount_hkd: str | Decimal | None = None,
    bank: str = "",
) -> DepositFacts:
    return DepositFacts(
        id=id,
        amount=Decimal(amount),
        currency=currency,
        rate_to_hkd=Decimal(rate),
        amount_hkd=None if amount_hkd is None else Decimal(amount_hkd),
        statement_date=statement_date,
        status=status,
        bank=bank,
    )


def spouse(id: str | int = "s", **changes: Any) -> DependantFacts:
    values: dict[str, Any] = {
        "name": "Sam",
        "relationship": Relationship.SPOUSE,
        "date_of_birth": date(1991, 1, 1),
        "marital_status": MaritalStatus.MARRIED,
        "spouse_has_degree": NO,
    }
    return DependantFacts(id=id, **(values | changes))


def child(
    id: str | int = "c", born: date | None = date(2015, 6, 1), **changes: Any
) -> DependantFacts:
    values: dict[str, Any] = {
        "name": f"Kid {id}",
        "relationship": Relationship.CHILD,
        "date_of_birth": born,
        "marital_status": MaritalStatus.SINGLE,
    }
    return DependantFacts(id=id, **(values | changes))


def case(**changes: Any) -> CaseFacts:
    """An eligible single application checked on CHECK, unless ``changes`` say otherwise."""
    values: dict[str, Any] = {
        "applicant": applicant(),
        "dependants": (),
        "deposits": (deposit(),),
        "check_date": CHECK,
        "planned_submission_date": None,
    }
    return CaseFacts(**(values | changes))
