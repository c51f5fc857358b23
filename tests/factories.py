"""Building cases for tests through the same services the app uses."""

from __future__ import annotations

import io
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from caseapp import clock
from caseapp.extensions import db
from caseapp.models import Case, DepositEvidence, Document, DocumentKind, ExchangeRate, User
from caseapp.rules.vocab import Answer, MaritalStatus, Qualification, Relationship
from caseapp.services import cases as case_service
from caseapp.services.cases import VersionCheck


def applicant_values(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "given_name": "Mei Ling",
        "family_name": "Tan",
        "chinese_name": "陳美玲",
        "date_of_birth": date(1990, 5, 17),
        "nationality": "MYS",
        "passport_number": "A12345678",
        "passport_expiry": date(2031, 1, 31),
        "email": "meiling@example.com",
        "phone": "+60 12 345 6789",
        "criminal_record": Answer.NO,
        "adverse_immigration_record": Answer.NO,
        "english_written": Answer.YES,
        "english_spoken": Answer.YES,
        "chinese_written": Answer.YES,
        "putonghua_spoken": Answer.YES,
        "cantonese_spoken": Answer.NO,
        "highest_qualification": Qualification.MASTER,
        "qualification_recognised": Answer.YES,
        "doctorate_count": 0,
        "master_count": 1,
        "bachelor_count": 1,
        "professional_qualification": False,
        "graduate_work_years": 8,
        "senior_work_years": 3,
        "other_foreign_language": Answer.NO,
        "hk_permanent_resident_family": Answer.NO,
        "achievement_claim": Answer.NO,
        "achievement_description": "",
    }
    values.update(overrides)
    return values


def dependant_values(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "relation": Relationship.CHILD,
        "given_name": "Ethan",
        "family_name": "Tan",
        "date_of_birth": date(2015, 3, 2),
        "marital_status": MaritalStatus.SINGLE,
        "nationality": "MYS",
        "spouse_has_degree": Answer.UNKNOWN,
    }
    values.update(overrides)
    return values


def open_case(consultant: User, **applicant: Any) -> Case:
    return case_service.open_case(consultant, applicant_values(**applicant))


def applicant_form(**overrides: Any) -> dict[str, str]:
    """The applicant form as a browser posts it."""
    values = applicant_values()
    form = _as_form(values)
    form.update(overrides)
    return form


def _as_form(values: dict[str, Any]) -> dict[str, str]:
    form = {}
    for key, value in values.items():
        if isinstance(value, bool):
            if value:
                form[key] = "y"
        else:
            form[key] = value.value if hasattr(value, "value") else str(value)
    return form


def dependant_form(**overrides: Any) -> dict[str, str]:
    form = _as_form(dependant_values())
    form.update(overrides)
    return form


# ---- deposit evidence and reference rates -----------------------------------------------------

def pdf_statement(body: str = "statement") -> bytes:
    """A minimal PDF: what a scanned bank statement is uploaded as."""
    return (b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n% " + body.encode()
            + b"\ntrailer << /Root 1 0 R >>\n%%EOF\n")


def upload_bank_statement(actor: User, case: Case, filename: str = "statement.pdf") -> Document:
    """An uploaded bank statement on ``case``, for deposit evidence to link to."""
    from caseapp.services.documents import upload_document

    return upload_document(actor, case, DocumentKind.BANK_STATEMENT, filename,
                           io.BytesIO(pdf_statement(filename)), VersionCheck.SKIP)


def add_reference_rate(currency: str, rate: str, on_date: date,
                       source: str = "HKMA") -> ExchangeRate:
    """A reference rate in the admins' table, written directly (no admin needed)."""
    row = ExchangeRate(currency=currency, rate_date=on_date, rate=Decimal(rate), source=source)
    db.session.add(row)
    db.session.commit()
    return row


def hkd_statement(hkd: str = "300000.00", **overrides: Any) -> dict[str, Any]:
    """A statement in HKD (rate 1: no reference rate needed)."""
    values: dict[str, Any] = {
        "amount": Decimal(hkd), "currency": "HKD", "rate_to_hkd": Decimal(1),
        "statement_date": clock.today() - timedelta(days=5), "bank": "HSBC",
        "account_holder": "Mei Ling Tan",
    }
    values.update(overrides)
    return values


def record_linked_deposit(recorder: User, case: Case,
                          values: dict[str, Any] | None = None) -> DepositEvidence:
    """Deposit evidence recorded by ``recorder`` with a freshly uploaded statement linked."""
    from caseapp.services.deposits import record_deposit

    document = upload_bank_statement(recorder, case)
    return record_deposit(recorder, case, {**(values or hkd_statement()),
                                           "document_id": document.id}, VersionCheck.SKIP)


def verified_deposit(recorder: User, verifier: User, case: Case,
                     values: dict[str, Any] | None = None) -> DepositEvidence:
    """Evidence as four-eyes wants it: recorded (and linked) by one user, verified by another."""
    from caseapp.services.deposits import verify_deposit

    evidence = record_linked_deposit(recorder, case, values)
    return verify_deposit(verifier, case, evidence, VersionCheck.SKIP)
