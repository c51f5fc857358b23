"""Recording, correcting, verifying and rejecting deposit evidence through the service."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from caseapp import clock
from caseapp.models import AuditEntry, Case, DepositEvidence, DocumentKind
from caseapp.rules.vocab import EvidenceStatus
from caseapp.rules.workflow import CaseStatus
from caseapp.services.cases import VersionCheck
from caseapp.services.deposits import (
    RateConfirmation,
    currencies,
    read_plain_decimal,
    record_deposit,
    reject_deposit,
    update_deposit,
    verify_deposit,
)
from caseapp.services.errors import ConflictError, NotAllowed, ValidationFailed
from tests.factories import add_reference_rate, open_case, upload_bank_statement

STATEMENT_DATE = clock.today() - timedelta(days=10)
RATE_DATE = STATEMENT_DATE - timedelta(days=2)
USD_REFERENCE = f"7.8125 (HKMA, {RATE_DATE.isoformat()})"
CONFIRMED = RateConfirmation(True, "The bank's own rate, printed on the statement.")


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


@pytest.fixture(autouse=True)
def reference_rates(app):
    """The admins' table: USD and CNY rates two days before the statements."""
    add_reference_rate("USD", "7.8125", RATE_DATE)
    add_reference_rate("CNY", "1.0850", RATE_DATE, source="PBOC")


@pytest.fixture
def case(consultant):
    return open_case(consultant)


@pytest.fixture
def bank_statement(consultant, case):
    return upload_bank_statement(consultant, case)


@pytest.fixture
def evidence(case, consultant, bank_statement):
    """Pending evidence recorded by the consultant, linked to its uploaded statement."""
    return record_deposit(consultant, case, statement(document_id=bank_statement.id),
                          case.version)


# ---- recording and the HKD amount ------------------------------------------------------------

def test_a_foreign_statement_is_converted_to_hkd_exactly_and_stored_pending(
        db, consultant, case):
    evidence = record_deposit(consultant, case, statement(), case.version)
    stored = _reload(db, evidence)
    assert stored.amount_hkd == Decimal("781250.00")
    assert isinstance(stored.amount_hkd, Decimal)
    assert (stored.amount, stored.currency, stored.rate_to_hkd) == (
        Decimal("100000.00"), "USD", Decimal("7.8125"))
    assert stored.status is EvidenceStatus.PENDING
    assert stored.recorded_by_id == consultant.id and stored.recorded_at is not None
    assert db.session.get(Case, case.id).version == 2  # the case moved on
    # The rate was compared with the reference rate, which is kept with it.
    assert (stored.reference_rate, stored.reference_rate_date) == (Decimal("7.8125"),
                                                                  RATE_DATE)
    assert stored.rate_confirmed_by_id is None


@pytest.mark.parametrize("amount,rate,hkd", [
    ("10.05", "0.5", "5.03"),          # 5.025: half-up, not to the even 5.02
    ("0.01", "0.5", "0.01"),           # half a cent rounds up to a cent
    ("0.01", "0.49999999", "0.00"),    # just under half a cent rounds down
    ("123456.78", "0.00052", "64.20"),  # IDR-sized rate: 64.1975456
    ("999999999999.99", "1", "999999999999.99"),  # the largest amount survives intact
])
def test_hkd_amount_rounds_half_up_to_the_cent(db, manager, case, amount, rate, hkd):
    # Rates far from any reference: a manager confirms them.
    currency = "HKD" if rate == "1" else "EUR"
    evidence = record_deposit(manager, case, statement(
        amount=Decimal(amount), rate_to_hkd=Decimal(rate), currency=currency),
        VersionCheck.SKIP, CONFIRMED)
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
    ("amount", Decimal("1000000000000"), "cannot be more than 999,999,999,999.99"),
    ("amount", "NaN", "as a number"),
    ("amount", "Infinity", "as a number"),
    ("amount", "1e5", "an exponent (like 1e5) is not accepted"),
    ("amount", "1,00,000", "Put thousands commas every three digits"),
    ("amount", None, "Enter the balance shown on the statement"),
    ("rate_to_hkd", Decimal("0"), "more than zero"),
    ("rate_to_hkd", Decimal("7.123456789"), "at most 8 decimal places"),
    ("currency", "XYZ", "'XYZ' is not a known ISO 4217 currency code"),
    ("currency", "XAU", "XAU is a precious metal, not a currency a bank account holds"),
    ("currency", "XDR", "XDR is a unit of account"),
    ("currency", "CLF", "CLF is a fund code"),
    ("currency", "", "Choose the currency"),
    ("statement_date", clock.today() + timedelta(days=1), "cannot be in the future"),
    ("statement_date", None, "Enter the statement date"),
    ("bank", "   ", "Enter the bank's name"),
    ("account_holder", "x" * 121, "120 characters"),
])
def test_invalid_values_are_refused_with_a_message_and_nothing_is_saved(
        db, consultant, case, field, value, message):
    with pytest.raises(ValidationFailed) as refused:
        record_deposit(consultant, case, statement(**{field: value}), case.version)
    assert list(refused.value.errors) == [field]
    assert message in refused.value.errors[field][0]
    assert _evidence_count(db) == 0
    assert db.session.get(Case, case.id).version == 1


def test_a_product_too_large_to_hold_in_hkd_is_refused(db, consultant, case):
    with pytest.raises(ValidationFailed) as refused:
        record_deposit(consultant, case, statement(
            amount=Decimal("200000000000.00"), rate_to_hkd=Decimal("7.8125")), case.version)
    assert "In HKD this is more than" in refused.value.errors["amount"][0]


def test_text_is_trimmed_and_the_currency_read_in_capitals(db, consultant, case):
    evidence = record_deposit(consultant, case, statement(
        bank="  Bank of China ", account_holder=" Mei Ling Tan", currency="cny",
        rate_to_hkd=Decimal("1.0850")), case.version)
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


def test_hkd_is_offered_first_and_metals_units_and_fund_codes_are_not_offered():
    codes = [code for code, _ in currencies()]
    assert codes[0] == "HKD"
    assert {"USD", "CNY", "GBP", "EUR", "SGD"} <= set(codes)
    not_money = {"XAU", "XAG", "XPT", "XPD", "XBA", "XBB", "XBC", "XBD", "XDR", "XSU", "XUA",
                 "XTS", "XXX", "BOV", "CHE", "CHW", "CLF", "COU", "MXV", "USN", "UYI", "UYW"}
    assert not_money.isdisjoint(codes)
    # Real currencies whose codes start with X stay.
    assert {"XAF", "XCD", "XOF", "XPF"} <= set(codes)


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

def _each_change(consultant, case, evidence, reviewer):
    """Each change, made by someone allowed to make it (four-eyes: a reviewer reviews)."""
    return {
        "record": lambda v: record_deposit(consultant, case, statement(), v),
        "update": lambda v: update_deposit(consultant, case, evidence,
                                           statement(bank="Citibank"), v),
        "verify": lambda v: verify_deposit(reviewer, case, evidence, v),
        "reject": lambda v: reject_deposit(reviewer, case, evidence, "Blurred.", v),
    }


@pytest.mark.parametrize("change", ["record", "update", "verify", "reject"])
def test_a_stale_version_is_a_conflict_and_nothing_is_written(
        db, consultant, manager, case, evidence, change):
    stale = case.version - 1
    entries = len(_entries(db))
    with pytest.raises(ConflictError, match="Connie Consultant changed this case"):
        _each_change(consultant, case, evidence, manager)[change](stale)
    stored = _reload(db, evidence)
    assert (stored.status, stored.bank) == (EvidenceStatus.PENDING, "HSBC")
    assert _evidence_count(db) == 1
    assert len(_entries(db)) == entries


@pytest.mark.parametrize("change", ["record", "update", "verify", "reject"])
def test_a_closed_case_refuses_every_change(db, consultant, manager, case, evidence, change):
    case.status = CaseStatus.WITHDRAWN
    db.session.commit()
    with pytest.raises(NotAllowed, match="withdrawn and can no longer be changed"):
        _each_change(consultant, case, evidence, manager)[change](case.version)
    stored = _reload(db, evidence)
    assert (stored.status, stored.bank) == (EvidenceStatus.PENDING, "HSBC")
    assert _evidence_count(db) == 1


@pytest.mark.parametrize("change", ["update", "verify", "reject"])
def test_evidence_of_another_case_is_refused(db, consultant, manager, evidence, change):
    other = open_case(consultant)
    with pytest.raises(NotAllowed, match="belongs to another case"):
        _each_change(consultant, other, evidence, manager)[change](other.version)
    assert _reload(db, evidence).status is EvidenceStatus.PENDING


# ---- four-eyes -------------------------------------------------------------------------------
# The rule: whoever recorded the evidence never verifies or rejects it, nor does whoever last
# edited it, even when a colleague has corrected the recorder's figures since.

@pytest.mark.parametrize("review", ["verify", "reject"])
def test_the_recorder_cannot_review_their_own_evidence(db, consultant, case, evidence, review):
    version = case.version
    with pytest.raises(NotAllowed) as refused:
        if review == "verify":
            verify_deposit(consultant, case, evidence, version)
        else:
            reject_deposit(consultant, case, evidence, "Blurred.", version)
    verb = "verifies" if review == "verify" else "rejects"
    assert refused.value.message == f"Recorded by you: another colleague {verb} it."
    assert _reload(db, evidence).status is EvidenceStatus.PENDING
    assert db.session.get(Case, case.id).version == version
    assert _entries(db, "verified") == _entries(db, "rejected") == []


def test_another_user_may_verify_and_is_recorded(db, consultant, other_consultant, case,
                                                evidence):
    verify_deposit(other_consultant, case, evidence, case.version)
    stored = _reload(db, evidence)
    assert stored.status is EvidenceStatus.VERIFIED
    assert stored.verified_by_id == other_consultant.id


def test_the_last_editor_cannot_review_and_the_edit_is_recorded(
        db, consultant, other_consultant, manager, case, evidence):
    update_deposit(other_consultant, case, evidence, statement(bank="Citibank"), case.version)
    stored = _reload(db, evidence)
    assert stored.edited_by_id == other_consultant.id and stored.edited_at is not None
    assert stored.recorded_by_id == consultant.id  # the recorder stays
    with pytest.raises(NotAllowed, match=re.escape("Last edited by you: another colleague "
                                                   "verifies it.")):
        verify_deposit(other_consultant, case, stored, case.version)
    verify_deposit(manager, case, stored, case.version)
    assert _reload(db, evidence).verified_by_id == manager.id


def test_the_recorder_is_refused_even_when_someone_else_edited_last(
        db, consultant, other_consultant, case, evidence):
    update_deposit(other_consultant, case, evidence, statement(bank="Citibank"), case.version)
    with pytest.raises(NotAllowed, match="Recorded by you"):
        verify_deposit(consultant, case, _reload(db, evidence), case.version)
    assert _reload(db, evidence).status is EvidenceStatus.PENDING


def test_a_one_person_consultancy_turns_four_eyes_off(app, db, consultant, case, evidence):
    from config import load_config

    assert load_config("testing", {})["DEPOSIT_FOUR_EYES"] is True
    settings = load_config("testing", {"CASEAPP_DEPOSIT_FOUR_EYES": "0"})
    assert settings["DEPOSIT_FOUR_EYES"] is False
    app.config["DEPOSIT_FOUR_EYES"] = settings["DEPOSIT_FOUR_EYES"]
    verify_deposit(consultant, case, evidence, case.version)
    assert _reload(db, evidence).verified_by_id == consultant.id


# ---- the linked bank statement ------------------------------------------------------------------

def test_verifying_needs_the_linked_statement(db, consultant, manager, case):
    unlinked = record_deposit(consultant, case, statement(), case.version)
    version = case.version
    with pytest.raises(NotAllowed) as refused:
        verify_deposit(manager, case, unlinked, version)
    assert refused.value.message == ("Link the bank statement this evidence comes from before "
                                     "verifying it.")
    assert _reload(db, unlinked).status is EvidenceStatus.PENDING
    assert db.session.get(Case, case.id).version == version
    # Rejecting needs no link: the reason may well be that there is no statement.
    reject_deposit(manager, case, unlinked, "No statement uploaded.", case.version)


def test_evidence_recorded_without_a_link_can_be_linked_then_verified(
        db, consultant, manager, case, bank_statement):
    unlinked = record_deposit(consultant, case, statement(), case.version)
    changes = update_deposit(consultant, case, unlinked,
                             statement(document_id=bank_statement.id), case.version)
    assert changes["document_id"] == [None, str(bank_statement.id)]
    verify_deposit(manager, case, _reload(db, unlinked), case.version)
    assert _reload(db, unlinked).status is EvidenceStatus.VERIFIED


def test_only_a_current_bank_statement_of_the_case_may_be_linked(db, consultant, case):
    from caseapp.services.documents import replace_document, upload_document
    from tests.factories import pdf_statement

    passport = upload_document(consultant, case, DocumentKind.PASSPORT, "passport.pdf",
                               io.BytesIO(pdf_statement("p")), VersionCheck.SKIP)
    old = upload_bank_statement(consultant, case, "old.pdf")
    replace_document(consultant, case, old, "new.pdf", io.BytesIO(pdf_statement("n")),
                     VersionCheck.SKIP)
    other_case = open_case(consultant)
    theirs = upload_bank_statement(consultant, other_case)
    problems = {
        passport.id: "passport.pdf is a passport, not a bank statement.",
        old.id: "old.pdf is no longer current (replaced or detached): choose the current "
                "bank statement.",
        theirs.id: "Choose one of this case's uploaded bank statements.",
        999999: "Choose one of this case's uploaded bank statements.",
    }
    for document_id, message in problems.items():
        with pytest.raises(ValidationFailed) as refused:
            record_deposit(consultant, case, statement(document_id=document_id), case.version)
        assert refused.value.errors == {"document_id": [message]}
    assert _evidence_count(db) == 0


def test_a_linked_statement_replaced_since_must_be_linked_anew_to_verify(
        db, consultant, manager, case, evidence, bank_statement):
    from caseapp.services.documents import replace_document
    from tests.factories import pdf_statement

    newer = replace_document(consultant, case, bank_statement, "newer.pdf",
                             io.BytesIO(pdf_statement("newer")), VersionCheck.SKIP)
    with pytest.raises(NotAllowed, match=r"no longer current .* link the current one"):
        verify_deposit(manager, case, _reload(db, evidence), case.version)
    # Saving other figures keeps the old link; linking the newer version makes it verifiable.
    update_deposit(consultant, case, _reload(db, evidence), statement(bank="Citibank"),
                   case.version)
    assert _reload(db, evidence).document_id == bank_statement.id
    update_deposit(consultant, case, _reload(db, evidence),
                   statement(bank="Citibank", document_id=newer.id), case.version)
    verify_deposit(manager, case, _reload(db, evidence), case.version)
    assert _reload(db, evidence).status is EvidenceStatus.VERIFIED


# ---- the rate against the reference rate -------------------------------------------------------

def test_a_rate_within_the_tolerance_is_accepted(db, consultant, case):
    # 7.70 is 1.44% below 7.8125; 7.96 is 1.89% above.
    for rate in ("7.70", "7.96"):
        evidence = record_deposit(consultant, case, statement(rate_to_hkd=Decimal(rate)),
                                  case.version)
        stored = _reload(db, evidence)
        assert stored.rate_to_hkd == Decimal(rate)
        assert stored.reference_rate == Decimal("7.8125")


def test_a_rate_beyond_the_tolerance_is_refused_with_the_reference(db, consultant, case):
    with pytest.raises(ValidationFailed) as refused:
        record_deposit(consultant, case, statement(rate_to_hkd=Decimal("7.00")), case.version)
    assert refused.value.errors == {"rate_to_hkd": [
        f"7.00 is 10.4% below the reference rate {USD_REFERENCE}; the most allowed is 2%. "
        "A manager can confirm a different rate with a reason."]}
    assert _evidence_count(db) == 0


def test_the_consultants_typed_rate_of_1000_is_refused(db, consultant, case):
    """The case of issue 8: USD 500.00 at a typed 1000 is not HKD 500,000.00."""
    with pytest.raises(ValidationFailed) as refused:
        record_deposit(consultant, case, statement(amount=Decimal("500.00"),
                                                   rate_to_hkd=Decimal("1000")), case.version)
    assert "12700.0% above the reference rate" in refused.value.errors["rate_to_hkd"][0]


def test_the_tolerance_is_a_setting(app, db, consultant, case):
    app.config["DEPOSIT_RATE_TOLERANCE_PERCENT"] = "11"
    evidence = record_deposit(consultant, case, statement(rate_to_hkd=Decimal("7.00")),
                              case.version)
    assert _reload(db, evidence).rate_to_hkd == Decimal("7.00")


def test_a_manager_confirms_a_rate_off_the_reference_with_a_reason(db, consultant, manager,
                                                                    case):
    evidence = record_deposit(manager, case, statement(rate_to_hkd=Decimal("7.00")),
                              case.version, CONFIRMED)
    stored = _reload(db, evidence)
    assert stored.rate_to_hkd == Decimal("7.00") and stored.amount_hkd == Decimal("700000.00")
    assert stored.rate_confirmed_by_id == manager.id and stored.rate_confirmed_at is not None
    assert stored.rate_confirmation_reason == CONFIRMED.reason
    assert (stored.reference_rate, stored.reference_rate_date) == (Decimal("7.8125"), RATE_DATE)
    entry = _entries(db, "created")[0]
    assert entry.changes["rate_confirmed_by"] == [None, "Mona Manager"]
    assert entry.changes["rate_confirmation_reason"] == [None, CONFIRMED.reason]


def test_a_manager_must_give_a_reason(db, manager, case):
    with pytest.raises(ValidationFailed) as refused:
        record_deposit(manager, case, statement(rate_to_hkd=Decimal("7.00")), case.version,
                       RateConfirmation(True, "   "))
    assert list(refused.value.errors) == ["confirm_reason"]
    assert "Say why this rate stands" in refused.value.errors["confirm_reason"][0]
    assert _evidence_count(db) == 0


def test_a_consultant_cannot_confirm_a_rate(db, consultant, case):
    with pytest.raises(ValidationFailed) as refused:
        record_deposit(consultant, case, statement(rate_to_hkd=Decimal("7.00")), case.version,
                       CONFIRMED)
    assert refused.value.errors["confirm_rate"] == [
        "Only a manager or an admin can confirm a rate away from the reference rate."]
    assert "10.4% below" in refused.value.errors["rate_to_hkd"][0]
    assert _evidence_count(db) == 0


def test_a_foreign_currency_without_a_reference_rate_needs_a_confirmation(db, consultant,
                                                                          manager, case):
    sgd = statement(currency="SGD", rate_to_hkd=Decimal("5.80"))
    with pytest.raises(ValidationFailed) as refused:
        record_deposit(consultant, case, sgd, case.version)
    assert refused.value.errors == {"rate_to_hkd": [
        f"There is no reference rate for SGD on or before {STATEMENT_DATE.isoformat()}. A "
        "manager can confirm the rate with a reason (or an admin adds the reference rate)."]}
    evidence = record_deposit(manager, case, sgd, case.version, CONFIRMED)
    stored = _reload(db, evidence)
    assert stored.reference_rate is None and stored.rate_confirmed_by_id == manager.id


def test_a_reference_rate_after_the_statement_date_does_not_count(db, consultant, case):
    add_reference_rate("GBP", "9.8741", STATEMENT_DATE + timedelta(days=1))
    with pytest.raises(ValidationFailed) as refused:
        record_deposit(consultant, case, statement(currency="GBP",
                                                   rate_to_hkd=Decimal("9.8741")), case.version)
    assert "There is no reference rate for GBP" in refused.value.errors["rate_to_hkd"][0]


def test_a_blank_rate_takes_the_reference_rate_and_hkd_is_one(db, consultant, case):
    add_reference_rate("USD", "7.8000", RATE_DATE - timedelta(days=30))  # older: not used
    evidence = record_deposit(consultant, case, statement(rate_to_hkd=None), case.version)
    assert _reload(db, evidence).rate_to_hkd == Decimal("7.8125")
    hkd = record_deposit(consultant, case, statement(currency="HKD", rate_to_hkd=""),
                         case.version)
    assert _reload(db, hkd).rate_to_hkd == Decimal(1)
    with pytest.raises(ValidationFailed) as refused:
        record_deposit(consultant, case, statement(currency="SGD", rate_to_hkd=None),
                       case.version)
    assert refused.value.errors == {"rate_to_hkd": [
        "Enter the rate: there is no reference rate for SGD on or before "
        f"{STATEMENT_DATE.isoformat()}."]}


def test_a_confirmation_stands_for_its_rate_only(db, consultant, manager, case):
    evidence = record_deposit(manager, case, statement(rate_to_hkd=Decimal("7.00")),
                              case.version, CONFIRMED)
    # Another figure changes: the confirmed rate stands.
    update_deposit(consultant, case, evidence, statement(rate_to_hkd=Decimal("7.00"),
                                                         bank="Citibank"), case.version)
    assert _reload(db, evidence).rate_confirmed_by_id == manager.id
    # A different rate is compared anew: the earlier confirmation does not carry over.
    with pytest.raises(ValidationFailed) as refused:
        update_deposit(manager, case, _reload(db, evidence),
                       statement(rate_to_hkd=Decimal("7.10")), case.version)
    assert refused.value.errors["rate_to_hkd"][0].startswith("7.10 is 9.1% below")
    with pytest.raises(ValidationFailed) as refused:
        update_deposit(consultant, case, _reload(db, evidence), statement(
            rate_to_hkd=Decimal("7.00"), statement_date=RATE_DATE - timedelta(days=1)),
            case.version)
    assert "no reference rate for USD" in refused.value.errors["rate_to_hkd"][0]
    assert _reload(db, evidence).statement_date == STATEMENT_DATE
    # Back to the reference: the confirmation is cleared, and the audit says so.
    changes = update_deposit(consultant, case, _reload(db, evidence),
                             statement(rate_to_hkd=Decimal("7.8125")), case.version)
    stored = _reload(db, evidence)
    assert stored.rate_confirmed_by_id is None and stored.rate_confirmation_reason == ""
    assert changes["rate_confirmed_by"] == ["Mona Manager", None]


# ---- plain decimals -------------------------------------------------------------------------

@pytest.mark.parametrize("text,number", [
    ("250000", "250000"), ("250000.50", "250000.50"), ("1,250,000.50", "1250000.50"),
    (" 7.8125 ", "7.8125"), ("0.5", "0.5"), (".5", "0.5"), ("-5", "-5"),
])
def test_plain_decimals_are_read_exactly(text, number):
    assert read_plain_decimal(text, "amount", "250000.00") == Decimal(number)


@pytest.mark.parametrize("text,message", [
    ("1e5", "an exponent (like 1e5) is not accepted"),
    ("2.5E-3", "an exponent"),
    ("NaN", "Enter the amount as a number"),
    ("Infinity", "Enter the amount as a number"),
    ("-inf", "Enter the amount as a number"),
    ("1,00,000", "Put thousands commas every three digits"),
    ("1000,000", "Put thousands commas every three digits"),
    ("12,34.5", "Put thousands commas every three digits"),
    ("0x10", "Enter the amount as a number"),
    ("1 000", "Enter the amount as a number"),
    ("٣", "Enter the amount as a number"),  # digits of another script
    ("", "Enter the amount as a number"),
    ("+5", "Enter the amount as a number"),
])
def test_anything_else_is_refused_with_a_message(text, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        read_plain_decimal(text, "amount", "250000.00")


def test_a_misconfigured_tolerance_names_the_setting(app, consultant, case):
    app.config["DEPOSIT_RATE_TOLERANCE_PERCENT"] = "two"
    with pytest.raises(RuntimeError, match="DEPOSIT_RATE_TOLERANCE_PERCENT must be a number"):
        record_deposit(consultant, case, statement(rate_to_hkd=Decimal("7.00")), case.version)
