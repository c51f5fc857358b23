"""Deposit evidence: record, correct, verify and reject the bank statements behind QMAS P2.

The HKD value is always computed here from the amount and the recorded rate, never taken from
the caller, so what the checks add up is what the statement and the rate say.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any

import pycountry

from caseapp import clock
from caseapp.extensions import db
from caseapp.models import Case, DepositEvidence, User, utcnow
from caseapp.rules.facts import to_hkd
from caseapp.rules.vocab import EvidenceStatus
from caseapp.services import audit
from caseapp.services.cases import ExpectedVersion, change_case, ensure_file_editable
from caseapp.services.errors import NotAllowed, ValidationFailed

DEPOSIT_FIELDS = ["amount", "currency", "rate_to_hkd", "statement_date", "bank",
                  "account_holder"]
AMOUNT_PLACES = 2
RATE_PLACES = 8
# 15 significant digits: the most SQLite keeps exactly (it stores NUMERIC as a double), and
# still more than any statement in any currency shows.
MAX_AMOUNT = Decimal("9999999999999.99")
# The dearest ISO 4217 unit, a troy ounce of gold (XAU), is worth a few ten thousand HKD.
MAX_RATE = Decimal("100000")
MAX_TEXT_LENGTH = 120
MAX_MAGNITUDE = 20  # powers of ten either side of 1 that a typed number may reach
MAX_REASON_LENGTH = 1000
HKD = "HKD"
# ISO 4217 codes that are not money anyone holds in a bank account.
NOT_HELD_CURRENCIES = frozenset({"XTS", "XXX"})  # testing code; "no currency"

# What an edit of reviewed evidence clears, so that a reviewer has to look at it again.
_REVIEW_CLEARED: dict[str, Any] = {
    "status": EvidenceStatus.PENDING,
    "verified_by": None,
    "verified_at": None,
    "rejected_by": None,
    "rejected_at": None,
    "rejection_reason": "",
}


@cache
def currencies() -> tuple[tuple[str, str], ...]:
    """``(code, name)`` of every ISO 4217 currency a statement may be in: HKD first, then by
    code."""
    held = [c for c in pycountry.currencies if c.alpha_3 not in NOT_HELD_CURRENCIES]
    ordered = sorted(held, key=lambda c: (c.alpha_3 != HKD, c.alpha_3))
    return tuple((c.alpha_3, c.name) for c in ordered)


@cache
def _currency_codes() -> frozenset[str]:
    return frozenset(code for code, _ in currencies())


def is_currency_code(code: str) -> bool:
    return code in _currency_codes()


def decimal_places(number: Decimal) -> int:
    """Places after the point that carry a digit: ``1.50`` has one, ``100`` none."""
    exponent = number.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


# ---- checking the values ---------------------------------------------------------------------

def _as_decimal(value: Any) -> Decimal | None:
    """An exact Decimal, or None when the value is not a finite number.

    A float is a programming error, not a user's typo: it cannot hold cents exactly.
    """
    if isinstance(value, float | bool):
        raise TypeError("money and rates are Decimal, never float")
    if isinstance(value, int):
        return Decimal(value)
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None
    if not number.is_finite():
        return None
    # "1e999999999" or forty digits is no amount anyone holds, and Decimal arithmetic on
    # it overflows or rounds: refuse it before any arithmetic.
    digits = len(number.as_tuple().digits)
    if (number and not (-MAX_MAGNITUDE <= number.adjusted() <= MAX_MAGNITUDE)) or digits > 28:
        return None
    return number


def _amount_error(amount: Decimal | None) -> str | None:
    if amount is None:
        return "Enter the amount as a number, such as 250000.00."
    if amount <= 0:
        return "The amount must be more than zero."
    if decimal_places(amount) > AMOUNT_PLACES:
        return "Enter the amount to at most 2 decimal places (cents)."
    if amount > MAX_AMOUNT:
        return f"The amount cannot be more than {MAX_AMOUNT:,}."
    return None


def _rate_error(rate: Decimal | None, currency: str) -> str | None:
    if rate is None:
        return "Enter the rate as a number, such as 7.8125."
    if rate <= 0:
        return "The rate must be more than zero."
    if decimal_places(rate) > RATE_PLACES:
        return "Enter the rate to at most 8 decimal places."
    if rate > MAX_RATE:
        return f"The rate cannot be more than {MAX_RATE:,}."
    if currency == HKD and rate != 1:
        return "An amount in HKD has a rate of exactly 1."
    return None


def _currency_error(code: str) -> str | None:
    if not code:
        return "Choose the currency of the statement."
    if not is_currency_code(code):
        return f"{code!r} is not a known ISO 4217 currency code."
    return None


def _date_error(value: Any) -> str | None:
    if not isinstance(value, date):
        return "Enter the statement date."
    if value > clock.today():
        return "The statement date cannot be in the future."
    return None


def _text_error(value: str, what: str) -> str | None:
    if not value:
        return f"Enter the {what}."
    if len(value) > MAX_TEXT_LENGTH:
        return f"Keep the {what} to {MAX_TEXT_LENGTH} characters."
    return None


def checked_values(values: dict[str, Any]) -> dict[str, Any]:
    """The six fields of a statement, normalised, with ``amount_hkd`` computed from them.

    Raises ValidationFailed with every field's problem at once, so a form can show them all.
    """
    unknown = set(values) - set(DEPOSIT_FIELDS)
    if unknown:
        raise ValidationFailed({f: ["Unknown field."] for f in sorted(unknown)})
    amount = _as_decimal(values.get("amount"))
    rate = _as_decimal(values.get("rate_to_hkd"))
    currency = str(values.get("currency") or "").strip().upper()
    bank = str(values.get("bank") or "").strip()
    holder = str(values.get("account_holder") or "").strip()
    problems = {
        "amount": _amount_error(amount),
        "currency": _currency_error(currency),
        "rate_to_hkd": _rate_error(rate, currency),
        "statement_date": _date_error(values.get("statement_date")),
        "bank": _text_error(bank, "bank's name"),
        "account_holder": _text_error(holder, "account holder's name"),
    }
    errors = {field: [message] for field, message in problems.items() if message}
    if errors:
        raise ValidationFailed(errors)
    assert amount is not None and rate is not None
    amount_hkd = to_hkd(amount, rate)
    if amount_hkd > MAX_AMOUNT:
        raise ValidationFailed({"amount": [f"In HKD this is more than {MAX_AMOUNT:,}, the most "
                                           "a statement can show here."]})
    return {"amount": amount, "currency": currency, "rate_to_hkd": rate,
            "amount_hkd": amount_hkd, "statement_date": values["statement_date"],
            "bank": bank, "account_holder": holder}


def _ensure_of_case(case: Case, evidence: DepositEvidence) -> None:
    if evidence.case_id != case.id:
        raise NotAllowed("That deposit evidence belongs to another case.")


def _entity(evidence: DepositEvidence) -> str:
    return f"deposit:{evidence.id}"


def _review_changes(evidence: DepositEvidence, values: dict[str, Any]) -> dict[str, list[Any]]:
    """Set the review fields; ``{field: [old, new]}`` as people read them (names, not ids)."""
    changes: dict[str, list[Any]] = {}
    for field, new in values.items():
        old = getattr(evidence, field)
        if old != new:
            changes[field] = [_readable(old), _readable(new)]
            setattr(evidence, field, new)
    return changes


def _readable(value: Any) -> str | None:
    return value.name if isinstance(value, User) else audit.display_value(value)


# ---- the use cases ---------------------------------------------------------------------------

def record_deposit(
    actor: User, case: Case, values: dict[str, Any], expected_version: ExpectedVersion
) -> DepositEvidence:
    """Record a bank statement on ``case``; it waits, pending, for someone to verify it."""
    ensure_file_editable(case)
    checked = checked_values(values)

    def change() -> DepositEvidence:
        evidence = DepositEvidence(**checked, status=EvidenceStatus.PENDING,
                                   recorded_by_id=actor.id, recorded_at=utcnow())
        case.deposits.append(evidence)
        db.session.flush()
        audit.record(actor, "created", _entity(evidence),
                     audit.snapshot(evidence, [*checked, "status"]), case=case)
        return evidence

    return change_case(actor, case, expected_version, change)


def update_deposit(
    actor: User,
    case: Case,
    evidence: DepositEvidence,
    values: dict[str, Any],
    expected_version: ExpectedVersion,
) -> dict[str, list[Any]]:
    """Correct a statement's details; returns the changed fields (empty: nothing to save).

    Verified or rejected evidence goes back to pending: the review was of other figures.
    """
    _ensure_of_case(case, evidence)
    ensure_file_editable(case)
    checked = checked_values(values)
    # Saving the form unchanged must not throw away a verification.
    if all(getattr(evidence, field) == new for field, new in checked.items()):
        return {}

    def change() -> dict[str, list[Any]]:
        changes: dict[str, list[Any]] = audit.apply_changes(evidence, checked)
        changes.update(_review_changes(evidence, _REVIEW_CLEARED))
        audit.record(actor, "updated", _entity(evidence), changes, case=case)
        return changes

    return change_case(actor, case, expected_version, change)


def verify_deposit(
    actor: User, case: Case, evidence: DepositEvidence, expected_version: ExpectedVersion
) -> DepositEvidence:
    """Mark the statement as checked against the original; only verified evidence counts."""
    _ensure_of_case(case, evidence)
    ensure_file_editable(case)
    if evidence.status is EvidenceStatus.VERIFIED:
        raise NotAllowed(_already("verified", evidence.verified_by, evidence))
    return _review(actor, case, evidence, expected_version, "verified", {
        "status": EvidenceStatus.VERIFIED, "verified_by": actor, "verified_at": utcnow(),
        "rejected_by": None, "rejected_at": None, "rejection_reason": "",
    })


def reject_deposit(
    actor: User, case: Case, evidence: DepositEvidence, reason: str,
    expected_version: ExpectedVersion,
) -> DepositEvidence:
    """Refuse the statement, saying why, so the consultant knows what to ask the client for."""
    _ensure_of_case(case, evidence)
    ensure_file_editable(case)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed({"reason": ["Say why the evidence is rejected."]})
    if len(reason) > MAX_REASON_LENGTH:
        raise ValidationFailed({"reason": [f"Keep the reason to {MAX_REASON_LENGTH} "
                                           "characters."]})
    if evidence.status is EvidenceStatus.REJECTED:
        raise NotAllowed(_already("rejected", evidence.rejected_by, evidence))
    return _review(actor, case, evidence, expected_version, "rejected", {
        "status": EvidenceStatus.REJECTED, "rejected_by": actor, "rejected_at": utcnow(),
        "rejection_reason": reason, "verified_by": None, "verified_at": None,
    })


def _already(outcome: str, by: User | None, evidence: DepositEvidence) -> str:
    who = f" by {by.name}" if by is not None else ""
    return (f"This deposit evidence ({evidence.bank}, {evidence.statement_date}) is already "
            f"{outcome}{who}.")


def _review(
    actor: User, case: Case, evidence: DepositEvidence, expected_version: ExpectedVersion,
    action: str, values: dict[str, Any],
) -> DepositEvidence:
    def change() -> DepositEvidence:
        changes = _review_changes(evidence, values)
        audit.record(actor, action, _entity(evidence), changes, case=case)
        return evidence

    return change_case(actor, case, expected_version, change)
