"""Recording, correcting, verifying and rejecting deposit evidence through the service."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from caseapp import clock
from caseapp.models import AuditEntry, Case, DepositEvidence
from caseapp.rules.vocab import EvidenceStatus
from caseapp.rules.workflow import CaseStatus
from caseapp.services.cases import VersionCheck
from caseapp.services.deposits import (
    currencies,
    record_deposit,
    reject_deposit,
    update_deposit,
    verify_deposit,
)
from caseapp.services.errors import ConflictError, NotAllowed, ValidationFailed
from tests.factories import open_case

STATEMENT_DATE = clock.today() - timedelta(days=10)


def statement(**overrides):
    values = {
        "amount": Decimal("100000.00"),
        "currency": "USD",
        "rate_to_hkd": Decimal("7.8125"),
        "statement_date": STATEMENT_DATE,
        "bank": "HSBC",
        "account_holder": "Mei Ling Tan",
    }
    values.update(overrides)
    return values


def _reload(db, evidence):
    db.session.expire_all()
    return db.session.get(DepositEvidence, evidence.id)


def _entries(db, action=None):
    query = select(AuditEntry).where(AuditEntry.entity.like("deposit:%")).order_by(AuditEntry.id)
    if action:
        query = query.where(AuditEntry.action == action)
    return list(db.session.scalars(query))


def _evidence_count(db):
    return db.session.scalar(select(func.count()).select_from(DepositEvidence))


@pytest.fixture
def case(consultant):
    return open_case(consultant)


@pytest.fixture
def evidence(case, consultant):
    return record_deposit(consultant, case, statement(), case.version)


# ---- recording and the HKD amount ------------------------------------------------------------

def test_a_foreign_statement_is_converted_to_hkd_exactly_and_stored_pending(
        db, consultant, case):
    evidence = record_deposit(consultant, case, statement(), 1)
    stored = _reload(db, evidence)
    assert stored.amount_hkd == Decimal("781250.00")
    assert isinstance(stored.amount_hkd, Decimal)
    assert (stored.amount, stored.currency, stored.rate_to_hkd) == (
        Decimal("100000.00"), "USD", Decimal("7.8125"))
    assert stored.status is EvidenceStatus.PENDING
    assert stored.recorded_by_id == consultant.id and stored.recorded_at is not None
    assert db.session.get(Case, case.id).version == 2  # the case moved on


@pytest.mark.parametrize("amount,rate,hkd", [
    ("10.05", "0.5", "5.03"),          # 5.025: half-up, not to the even 5.02
    ("0.01", "0.5", "0.01"),           # half a cent rounds up to a cent
    ("0.01", "0.49999999", "0.00"),    # just under half a cent rounds down
    ("123456.78", "0.00052", "64.20"),  # IDR-sized rate: 64.1975456
    ("9999999999999.99", "1", "9999999999999.99"),  # the largest amount survives intact
])
def test_hkd_amount_rounds_half_up_to_the_cent(db, consultant, case, amount, rate, hkd):
    currency = "HKD" if rate == "1" else "EUR"
    evidence = record_deposit(consultant, case, statement(
        amount=Decimal(amount), rate_to_hkd=Decimal(rate), currency=currency),
        VersionCheck.SKIP)
    assert _reload(db, evidence).amount_hkd == Decimal(hkd)


def test_the_hkd_amount_is_never_taken_from_the_caller(consultant, case):
    with pytest.raises(ValidationFailed) as refused:
        record_deposit(consultant, case, statement(amount_hkd=Decimal("999999999")), 1)
    assert refused.value.errors == {"amount_hkd": ["Unknown field."]}


def test_an_hkd_statement_must_have_a_rate_of_exactly_one(db, consultant, case):
    with pytest.raises(ValidationFailed) as refused:
        record_deposit(consultant, case, statement(currency="HKD", rate_to_hkd=Decimal("7.8")), 1)
    assert refused.value.errors == {"rate_to_hkd": ["An amount in HKD has a rate of exactly 1."]}
    evidence = record_deposit(consultant, case, statement(
        currency="HKD", amount=Decimal("250000.00"), rate_to_hkd=Decimal("1.00000000")), 1)
    assert _reload(db, evidence).amount_hkd == Decimal("250000.00")


def test_float_money_is_refused_outright(consultant, case):
    with pytest.raises(TypeError, match="never float"):
        record_deposit(consultant, case, statement(amount=100000.0), 1)


@pytest.mark.parametrize("field,value,message", [
    ("amount", Decimal("-5.00"), "more than zero"),
    ("amount", Decimal("0"), "more than zero"),
    ("amount", Decimal("100.123"), "at most 2 decimal places"),
    ("amount", Decimal("10000000000000"), "cannot be more than"),
    ("amount", "NaN", "as a number"),
    ("rate_to_hkd", Decimal("0"), "more than zero"),
    ("rate_to_hkd", Decimal("7.123456789"), "at most 8 decimal places"),
    ("currency", "XYZ", "'XYZ' is not a known ISO 4217 currency code"),
    ("currency", "", "Choose the currency"),
    ("statement_date", clock.today() + timedelta(days=1), "cannot be in the future"),
    ("statement_date", None, "Enter the statement date"),
    ("bank", "   ", "Enter the bank's name"),
    ("account_holder", "x" * 121, "120 characters"),
])
def test_invalid_values_are_refused_with_a_message_and_nothing_is_saved(
        db, consultant, case, field, value, message):
    with pytest.raises(ValidationFailed) as refused:
        record_deposit(consultant, case, statement(**{field: value}), 1)
    assert list(refused.value.errors) == [field]
    assert message in refused.value.errors[field][0]
    assert _evidence_count(db) == 0
    assert db.session.get(Case, case.id).version == 1


def test_a_product_too_large_to_hold_in_hkd_is_refused(db, consultant, case):
    with pytest.raises(ValidationFailed) as refused:
        record_deposit(consultant, case, statement(
            amount=Decimal("9000000000000.00"), rate_to_hkd=Decimal("7.8")), 1)
    assert "In HKD this is more than" in refused.value.errors["amount"][0]


def test_text_is_trimmed_and_the_currency_read_in_capitals(db, consultant, case):
    evidence = record_deposit(consultant, case, statement(
        bank="  Bank of China ", account_holder=" Mei Ling Tan", currency="cny",
        rate_to_hkd=Decimal("1.0850")), 1)
    stored = _reload(db, evidence)
    assert (stored.bank, stored.account_holder, stored.currency) == (
        "Bank of China", "Mei Ling Tan", "CNY")


def test_recording_writes_an_audit_entry_with_every_figure(db, consultant, evidence):
    entry = _entries(db, "created")[0]
    assert entry.entity == f"deposit:{evidence.id}"
    assert entry.user_id == consultant.id
    assert entry.changes["amount"] == [None, "100000.00"]
    assert entry.changes["rate_to_hkd"] == [None, "7.8125"]
    assert entry.changes["amount_hkd"] == [None, "781250.00"]
    assert entry.changes["status"] == [None, "pending"]


def test_hkd_is_offered_first_and_test_codes_are_not_offered():
    codes = [code for code, _ in currencies()]
    assert codes[0] == "HKD"
    assert {"USD", "CNY", "GBP", "EUR", "SGD"} <= set(codes)
    assert "XTS" not in codes and "XXX" not in codes


# ---- editing -------------------------------------------------------------------------------

def test_editing_recomputes_the_hkd_amount_and_audits_old_and_new(db, consultant, case,
                                                                  evidence):
    changes = update_deposit(consultant, case, evidence,
                             statement(amount=Decimal("120000.00")), case.version)
    stored = _reload(db, evidence)
    assert stored.amount_hkd == Decimal("937500.00")
    assert changes["amount"] == ["100000.00", "120000.00"]
    assert changes["amount_hkd"] == ["781250.00", "937500.00"]
    assert _entries(db, "updated")[0].changes == changes


def test_editing_verified_evidence_puts_it_back_to_pending_and_audit_says_so(
        db, consultant, manager, case, evidence):
    verify_deposit(manager, case, evidence, case.version)
    changes = update_deposit(consultant, case, evidence,
                             statement(rate_to_hkd=Decimal("7.80")), case.version)
    stored = _reload(db, evidence)
    assert stored.status is EvidenceStatus.PENDING
    assert stored.verified_by_id is None and stored.verified_at is None
    entry = _entries(db, "updated")[0]
    assert entry.changes["status"] == ["verified", "pending"]
    assert entry.changes["verified_by"] == ["Mona Manager", None]
    assert entry.changes["verified_at"][1] is None
    assert changes == entry.changes


def test_editing_rejected_evidence_clears_the_rejection(db, consultant, manager, case,
                                                       evidence):
    reject_deposit(manager, case, evidence, "Statement is not in the applicant's name.",
                   case.version)
    update_deposit(consultant, case, evidence, statement(account_holder="Tan Mei Ling"),
                   case.version)
    stored = _reload(db, evidence)
    assert stored.status is EvidenceStatus.PENDING
    assert (stored.rejected_by_id, stored.rejected_at, stored.rejection_reason) == (
        None, None, "")
    changes = _entries(db, "updated")[0].changes
    assert changes["rejection_reason"] == ["Statement is not in the applicant's name.", ""]


def test_saving_unchanged_figures_keeps_the_verification_and_the_version(
        db, consultant, manager, case, evidence):
    verify_deposit(manager, case, evidence, case.version)
    version = case.version
    # The same figures as typed in a form: the rate without its stored trailing zeros.
    changes = update_deposit(consultant, case, evidence, statement(
        amount=Decimal("100000"), rate_to_hkd=Decimal("7.81250")), version)
    assert changes == {}
    stored = _reload(db, evidence)
    assert stored.status is EvidenceStatus.VERIFIED
    assert db.session.get(Case, case.id).version == version
    assert _entries(db, "updated") == []


def test_invalid_edit_changes_nothing(db, consultant, case, evidence):
    with pytest.raises(ValidationFailed):
        update_deposit(consultant, case, evidence, statement(amount=Decimal("-1")), case.version)
    assert _reload(db, evidence).amount == Decimal("100000.00")


# ---- verifying and rejecting -------------------------------------------------------------

def test_verifying_records_who_and_when(db, manager, case, evidence):
    verify_deposit(manager, case, evidence, case.version)
    stored = _reload(db, evidence)
    assert stored.status is EvidenceStatus.VERIFIED
    assert stored.verified_by_id == manager.id
    assert stored.verified_at is not None
    entry = _entries(db, "verified")[0]
    assert entry.user_id == manager.id
    assert entry.changes["status"] == ["pending", "verified"]
    assert entry.changes["verified_by"] == [None, "Mona Manager"]


def test_verifying_twice_is_refused_and_says_by_whom(db, manager, consultant, case, evidence):
    verify_deposit(manager, case, evidence, case.version)
    version = case.version
    with pytest.raises(NotAllowed, match="already verified by Mona Manager"):
        verify_deposit(consultant, case, evidence, version)
    assert _reload(db, evidence).verified_by_id == manager.id
    assert db.session.get(Case, case.id).version == version


@pytest.mark.parametrize("reason", ["", "   ", None])
def test_rejecting_needs_a_reason(db, manager, case, evidence, reason):
    with pytest.raises(ValidationFailed) as refused:
        reject_deposit(manager, case, evidence, reason, case.version)
    assert refused.value.errors == {"reason": ["Say why the evidence is rejected."]}
    assert _reload(db, evidence).status is EvidenceStatus.PENDING


def test_rejecting_records_who_when_and_why(db, manager, case, evidence):
    reject_deposit(manager, case, evidence, "  Balance page missing.  ", case.version)
    stored = _reload(db, evidence)
    assert stored.status is EvidenceStatus.REJECTED
    assert stored.rejected_by_id == manager.id and stored.rejected_at is not None
    assert stored.rejection_reason == "Balance page missing."
    entry = _entries(db, "rejected")[0]
    assert entry.changes["rejection_reason"] == ["", "Balance page missing."]


def test_rejecting_verified_evidence_withdraws_the_verification(db, manager, case, evidence):
    verify_deposit(manager, case, evidence, case.version)
    reject_deposit(manager, case, evidence, "Forged stamp.", case.version)
    stored = _reload(db, evidence)
    assert stored.status is EvidenceStatus.REJECTED
    assert stored.verified_by_id is None and stored.verified_at is None


def test_rejecting_twice_is_refused(manager, case, evidence):
    reject_deposit(manager, case, evidence, "Blurred.", case.version)
    with pytest.raises(NotAllowed, match="already rejected"):
        reject_deposit(manager, case, evidence, "Still blurred.", case.version)


def test_a_rejected_statement_can_be_verified_after_all(db, manager, case, evidence):
    reject_deposit(manager, case, evidence, "Blurred.", case.version)
    verify_deposit(manager, case, evidence, case.version)
    stored = _reload(db, evidence)
    assert stored.status is EvidenceStatus.VERIFIED
    assert (stored.rejected_by_id, stored.rejection_reason) == (None, "")


def test_a_reason_longer_than_1000_characters_is_refused(manager, case, evidence):
    with pytest.raises(ValidationFailed) as refused:
        reject_deposit(manager, case, evidence, "x" * 1001, case.version)
    assert refused.value.errors == {"reason": ["Keep the reason to 1000 characters."]}


# ---- conflicts, closed cases, other cases ---------------------------------------------------

def _each_change(consultant, case, evidence):
    return {
        "record": lambda v: record_deposit(consultant, case, statement(), v),
        "update": lambda v: update_deposit(consultant, case, evidence,
                                           statement(bank="Citibank"), v),
        "verify": lambda v: verify_deposit(consultant, case, evidence, v),
        "reject": lambda v: reject_deposit(consultant, case, evidence, "Blurred.", v),
    }


@pytest.mark.parametrize("change", ["record", "update", "verify", "reject"])
def test_a_stale_version_is_a_conflict_and_nothing_is_written(
        db, consultant, case, evidence, change):
    stale = case.version - 1
    entries = len(_entries(db))
    with pytest.raises(ConflictError, match="Connie Consultant changed this case"):
        _each_change(consultant, case, evidence)[change](stale)
    stored = _reload(db, evidence)
    assert (stored.status, stored.bank) == (EvidenceStatus.PENDING, "HSBC")
    assert _evidence_count(db) == 1
    assert len(_entries(db)) == entries


@pytest.mark.parametrize("change", ["record", "update", "verify", "reject"])
def test_a_closed_case_refuses_every_change(db, consultant, case, evidence, change):
    case.status = CaseStatus.WITHDRAWN
    db.session.commit()
    with pytest.raises(NotAllowed, match="withdrawn and can no longer be changed"):
        _each_change(consultant, case, evidence)[change](case.version)
    stored = _reload(db, evidence)
    assert (stored.status, stored.bank) == (EvidenceStatus.PENDING, "HSBC")
    assert _evidence_count(db) == 1


@pytest.mark.parametrize("change", ["update", "verify", "reject"])
def test_evidence_of_another_case_is_refused(db, consultant, evidence, change):
    other = open_case(consultant)
    with pytest.raises(NotAllowed, match="belongs to another case"):
        _each_change(consultant, other, evidence)[change](other.version)
    assert _reload(db, evidence).status is EvidenceStatus.PENDING
