"""Deposit evidence: record, correct, verify and reject the bank statements behind QMAS P2.

The HKD value is always computed here from the amount and the recorded rate, never taken from
the caller, so what the checks add up is what the statement and the rate say.

Three safeguards keep one person from making a deposit count on their own (issue 8):

- four-eyes: the evidence is verified or rejected by someone who neither recorded it nor
  last edited it (``DEPOSIT_FOUR_EYES``, on by default; a one-person consultancy turns it off);
- verifying needs the uploaded bank statement the figures come from (``document_id``);
- the rate is compared with the admins' reference rate of the statement date (or the latest
  before it): one more than ``DEPOSIT_RATE_TOLERANCE_PERCENT`` away, or a foreign currency
  with no reference rate at all, stands only with a manager's written confirmation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import cache
from typing import Any

import pycountry
from flask import current_app

from caseapp import clock
from caseapp.extensions import db
from caseapp.models import Case, DepositEvidence, Document, DocumentKind, Role, User, utcnow
from caseapp.queries.rates import ReferenceRate, format_rate, reference_rate
from caseapp.rules.facts import to_hkd
from caseapp.rules.vocab import EvidenceStatus
from caseapp.services import audit
from caseapp.services.cases import ExpectedVersion, change_case, ensure_file_editable
from caseapp.services.errors import NotAllowed, ValidationFailed

# What a statement is: its figures, and the uploaded document they come from.
FIGURE_FIELDS = ["amount", "currency", "rate_to_hkd", "statement_date", "bank",
                 "account_holder"]
DEPOSIT_FIELDS = [*FIGURE_FIELDS, "document_id"]
# A change of these makes the rate be compared with the reference rate again.
RATE_BASIS = ("currency", "rate_to_hkd", "statement_date")
AMOUNT_PLACES = 2
RATE_PLACES = 8
# Both the amount and its HKD value: 15 significant digits, the most SQLite keeps exactly (it
# stores NUMERIC as a double), and far more than any client's statement shows.
MAX_AMOUNT = Decimal("999999999999.99")
# Bounded, yet far above the dearest currency a bank account holds (KWD, some 25 HKD).
MAX_RATE = Decimal("100000")
MAX_TEXT_LENGTH = 120
MAX_REASON_LENGTH = 1000
HKD = "HKD"
DEFAULT_TOLERANCE_PERCENT = "2"
# ISO 4217 codes that are not money anyone holds in a bank account: these are neither offered
# nor accepted, for a statement or for a reference rate.
PRECIOUS_METALS = frozenset({"XAU", "XAG", "XPT", "XPD"})
UNITS_OF_ACCOUNT = frozenset({
    "XBA", "XBB", "XBC", "XBD",  # European bond-market units
    "XDR", "XSU", "XUA", "XAD",  # IMF SDR, SUCRE, ADB unit, Arab accounting dinar
    "XTS", "XXX",  # the testing code, and "no currency"
})
# ISO 4217 fund codes: indexed or settlement units kept beside a country's currency.
FUND_CODES = frozenset({"BOV", "CHE", "CHW", "CLF", "COU", "MXV", "USN", "UYI", "UYW"})
NOT_HELD_CURRENCIES = PRECIOUS_METALS | UNITS_OF_ACCOUNT | FUND_CODES

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


def currency_error(code: str) -> str | None:
    """Why ``code`` is no currency a statement (or a reference rate) may be in, or None."""
    if not code:
        return "Choose the currency of the statement."
    if is_currency_code(code):
        return None
    if code in NOT_HELD_CURRENCIES:
        kind = "a precious metal" if code in PRECIOUS_METALS else (
            "a fund code" if code in FUND_CODES else "a unit of account")
        return (f"{code} is {kind}, not a currency a bank account holds: choose the currency "
                "the statement is in.")
    return f"{code!r} is not a known ISO 4217 currency code."


def decimal_places(number: Decimal) -> int:
    """Places after the point that carry a digit: ``1.50`` has one, ``100`` none."""
    exponent = number.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


# ---- reading typed numbers --------------------------------------------------------------------

# Digits with an optional point; thousands commas only in groups of three ("1,250,000.50").
# A leading minus is read so that "-5" is told it must be more than zero.
PLAIN_NUMBER = re.compile(r"-?(?:\d+|\d{1,3}(?:,\d{3})+)?(?:\.\d+)?", re.ASCII)
_EXPONENT = re.compile(r"[-+]?[\d.,]*\d[\d.,]*e[-+]?\d+", re.ASCII | re.IGNORECASE)
_COMMAS = re.compile(r"-?[\d,]*\d[\d,]*(?:\.\d+)?", re.ASCII)


def read_plain_decimal(text: str, what: str, example: str) -> Decimal:
    """The number in ``text`` exactly, written as people write money on paper.

    Raises ValueError with a message to show beside the field for an exponent ("1e5"),
    "NaN" or "Infinity", misplaced thousands commas, or anything else that is no plain number.
    """
    text = text.strip()
    if _EXPONENT.fullmatch(text):
        raise ValueError(f"Write the {what} in plain digits, such as {example}: an exponent "
                         "(like 1e5) is not accepted.")
    if not PLAIN_NUMBER.fullmatch(text) or not any(c.isdigit() for c in text):
        if _COMMAS.fullmatch(text):
            raise ValueError("Put thousands commas every three digits (1,250,000.00), or leave "
                             "them out.")
        raise ValueError(f"Enter the {what} as a number, such as {example}.")
    return Decimal(text.replace(",", ""))


def number_or_problem(value: Any, what: str, example: str) -> tuple[Decimal | None, str | None]:
    """``(number, None)`` or ``(None, message)``; a blank value is ``(None, None)``.

    A float is a programming error, not a user's typo: it cannot hold cents exactly.
    """
    if isinstance(value, float | bool):
        raise TypeError("money and rates are Decimal, never float")
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, None
    if isinstance(value, int):
        return Decimal(value), None
    if isinstance(value, Decimal):
        if not value.is_finite():
            return None, f"Enter the {what} as a number, such as {example}."
        return value, None
    try:
        return read_plain_decimal(str(value), what, example), None
    except ValueError as error:
        return None, str(error)


# ---- checking the values ---------------------------------------------------------------------

def _amount_error(amount: Decimal) -> str | None:
    if amount <= 0:
        return "The amount must be more than zero."
    if decimal_places(amount) > AMOUNT_PLACES:
        return "Enter the amount to at most 2 decimal places (cents)."
    if amount > MAX_AMOUNT:
        return f"The amount cannot be more than {MAX_AMOUNT:,}."
    return None


def rate_error(rate: Decimal) -> str | None:
    """Why ``rate`` cannot be a rate to HKD (of a statement or of the reference table)."""
    if rate <= 0:
        return "The rate must be more than zero."
    if decimal_places(rate) > RATE_PLACES:
        return "Enter the rate to at most 8 decimal places."
    if rate > MAX_RATE:
        return f"The rate cannot be more than {MAX_RATE:,}."
    return None


def _date_error(value: Any) -> str | None:
    if not isinstance(value, date) or isinstance(value, datetime):
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


def tolerance_percent() -> Decimal:
    """How far (in percent, either way) a recorded rate may stray from the reference rate."""
    setting = str(current_app.config.get("DEPOSIT_RATE_TOLERANCE_PERCENT")
                  or DEFAULT_TOLERANCE_PERCENT)
    try:
        tolerance = Decimal(setting)
    except InvalidOperation:
        tolerance = Decimal("NaN")
    if not tolerance.is_finite() or tolerance < 0:
        # A misconfiguration, not a user's error: say which setting to fix.
        raise RuntimeError("DEPOSIT_RATE_TOLERANCE_PERCENT must be a number of percent, such "
                           f"as 2, not {setting!r}")
    return tolerance


def reference_for(currency: str, on_date: date) -> ReferenceRate | None:
    """The rate a statement in ``currency`` of ``on_date`` is compared with: HKD is always 1;
    any other currency the admins' table's rate of that day or the latest before it."""
    if currency == HKD:
        return ReferenceRate(HKD, Decimal(1), on_date, "fixed")
    return reference_rate(currency, on_date)


def rate_off_reference(rate: Decimal, currency: str, on_date: date,
                       reference: ReferenceRate | None) -> str | None:
    """Why ``rate`` needs a manager's confirmation, or None when it is close enough."""
    if reference is None:
        return (f"There is no reference rate for {currency} on or before {on_date.isoformat()}. "
                "A manager can confirm the rate with a reason (or an admin adds the reference "
                "rate).")
    tolerance = tolerance_percent()
    gap = abs(rate - reference.rate)
    if gap * 100 <= tolerance * reference.rate:
        return None
    percent = (gap * 100 / reference.rate).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    if percent <= tolerance:  # 2.04% beyond 2% must not read "2.0%"
        percent = (gap * 100 / reference.rate).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    direction = "below" if rate < reference.rate else "above"
    return (f"{format(rate, 'f')} is {percent}% {direction} the reference rate "
            f"{reference.label}; the most allowed is {format_rate(tolerance)}%. A manager can "
            "confirm a different rate with a reason.")


def may_confirm_rates(user: User) -> bool:
    return user.role in (Role.MANAGER, Role.ADMIN)


@dataclass(frozen=True)
class RateConfirmation:
    """A manager's word that a rate off the reference stands, and why."""

    confirm: bool = False
    reason: str = ""


NO_CONFIRMATION = RateConfirmation()


def _figures(values: dict[str, Any]) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """The six figures of a statement, normalised, and every field's problem at once (so a
    form can show them all). A blank rate is None here: "use the reference rate"."""
    unknown = set(values) - set(DEPOSIT_FIELDS)
    if unknown:
        raise ValidationFailed({f: ["Unknown field."] for f in sorted(unknown)})
    amount, amount_problem = number_or_problem(values.get("amount"), "amount", "250000.00")
    if amount_problem is None:
        amount_problem = ("Enter the balance shown on the statement." if amount is None
                          else _amount_error(amount))
    rate, rate_problem = number_or_problem(values.get("rate_to_hkd"), "rate", "7.8125")
    if rate is not None and rate_problem is None:
        rate_problem = rate_error(rate)
    currency = str(values.get("currency") or "").strip().upper()
    bank = str(values.get("bank") or "").strip()
    holder = str(values.get("account_holder") or "").strip()
    problems = {
        "amount": amount_problem,
        "currency": currency_error(currency),
        "rate_to_hkd": rate_problem,
        "statement_date": _date_error(values.get("statement_date")),
        "bank": _text_error(bank, "bank's name"),
        "account_holder": _text_error(holder, "account holder's name"),
    }
    errors = {field: [message] for field, message in problems.items() if message}
    figures = {"amount": amount, "currency": currency, "rate_to_hkd": rate,
               "statement_date": values.get("statement_date"), "bank": bank,
               "account_holder": holder}
    return figures, errors


def _document_id(value: Any) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, Document):
        return value.id
    try:
        return int(value)
    except (TypeError, ValueError):
        return -1  # no document has it: refused below like any other stranger's id


def _document_error(case: Case, document_id: int | None,
                    evidence: DepositEvidence | None) -> str | None:
    """Why the evidence cannot point at that document, or None."""
    if document_id is None:
        return None
    if evidence is not None and document_id == evidence.document_id:
        return None  # the link it has stays, even to a version replaced since (verify says so)
    document = db.session.get(Document, document_id) if 0 < document_id < 2**31 else None
    if document is None or document.case_id != case.id:
        return "Choose one of this case's uploaded bank statements."
    if document.kind is not DocumentKind.BANK_STATEMENT:
        return (f"{document.original_filename} is a {document.kind.label.lower()}, not a bank "
                "statement.")
    if not document.is_current:
        return (f"{document.original_filename} is no longer current (replaced or detached): "
                "choose the current bank statement.")
    return None


def _compared_rate(
    actor: User, figures: dict[str, Any], evidence: DepositEvidence | None,
    confirmation: RateConfirmation,
) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """Fill a blank rate from the reference and compare the rate with it.

    Returns the reference and confirmation fields to store (none when an edit leaves the
    currency, rate and date as they were: the earlier comparison stands), and the problems.
    A confirmation is for one rate: a new rate, currency or date is compared anew.
    """
    currency, on_date, rate = (figures["currency"], figures["statement_date"],
                               figures["rate_to_hkd"])
    if currency == HKD:
        if rate is not None and rate != 1:
            return {}, {"rate_to_hkd": ["An amount in HKD has a rate of exactly 1."]}
        figures["rate_to_hkd"] = Decimal(1)
        reference = None
    else:
        reference = reference_rate(currency, on_date)
        if rate is None:
            if reference is None:
                return {}, {"rate_to_hkd": [
                    f"Enter the rate: there is no reference rate for {currency} on or before "
                    f"{on_date.isoformat()}."]}
            figures["rate_to_hkd"] = reference.rate
    if evidence is not None and all(getattr(evidence, f) == figures[f] for f in RATE_BASIS):
        return {}, {}
    stored: dict[str, Any] = {
        "reference_rate": reference.rate if reference else None,
        "reference_rate_date": reference.rate_date if reference else None,
        "rate_confirmed_by": None, "rate_confirmed_at": None, "rate_confirmation_reason": "",
    }
    problem = None if currency == HKD else rate_off_reference(
        figures["rate_to_hkd"], currency, on_date, reference)
    if problem is None:
        return stored, {}
    if not confirmation.confirm:
        return {}, {"rate_to_hkd": [problem]}
    if not may_confirm_rates(actor):
        return {}, {"rate_to_hkd": [problem], "confirm_rate": [
            "Only a manager or an admin can confirm a rate away from the reference rate."]}
    reason = (confirmation.reason or "").strip()
    if not reason:
        return {}, {"confirm_reason": [
            "Say why this rate stands, for example: the bank's own rate, printed on the "
            "statement."]}
    if len(reason) > MAX_REASON_LENGTH:
        return {}, {"confirm_reason": [f"Keep the reason to {MAX_REASON_LENGTH} characters."]}
    stored.update(rate_confirmed_by=actor, rate_confirmed_at=utcnow(),
                  rate_confirmation_reason=reason)
    return stored, {}


def _checked(
    actor: User, case: Case, values: dict[str, Any], evidence: DepositEvidence | None,
    confirmation: RateConfirmation,
) -> dict[str, Any]:
    """Everything to store for the statement ``values`` describe, with ``amount_hkd``
    computed; raises ValidationFailed with every field's problem."""
    figures, errors = _figures(values)
    if "document_id" in values or evidence is None:
        document_id = _document_id(values.get("document_id"))
    else:
        document_id = evidence.document_id  # not given: the link stays as it is
    if (document_problem := _document_error(case, document_id, evidence)) is not None:
        errors["document_id"] = [document_problem]
    rate_values: dict[str, Any] = {}
    if not set(errors) & set(RATE_BASIS):
        rate_values, rate_errors = _compared_rate(actor, figures, evidence, confirmation)
        errors.update(rate_errors)
    if not errors:
        amount_hkd = to_hkd(figures["amount"], figures["rate_to_hkd"])
        if amount_hkd > MAX_AMOUNT:
            errors["amount"] = [f"In HKD this is more than {MAX_AMOUNT:,}, the most a "
                                "statement can show here."]
    if errors:
        raise ValidationFailed(errors)
    return {**figures, "amount_hkd": amount_hkd, "document_id": document_id, **rate_values}


def _ensure_of_case(case: Case, evidence: DepositEvidence) -> None:
    if evidence.case_id != case.id:
        raise NotAllowed("That deposit evidence belongs to another case.")


def _entity(evidence: DepositEvidence) -> str:
    return f"deposit:{evidence.id}"


def _apply(evidence: DepositEvidence, values: dict[str, Any]) -> dict[str, list[Any]]:
    """Set ``values``; ``{field: [old, new]}`` of those that changed, as people read them
    (names, not ids)."""
    changes: dict[str, list[Any]] = {}
    for field, new in values.items():
        old = getattr(evidence, field)
        if old != new:
            changes[field] = [_readable(old), _readable(new)]
            setattr(evidence, field, new)
    return changes


def _readable(value: Any) -> str | None:
    return value.name if isinstance(value, User) else audit.display_value(value)


# ---- who may review, and when -----------------------------------------------------------------

def four_eyes() -> bool:
    return bool(current_app.config.get("DEPOSIT_FOUR_EYES", True))


def review_refusal(user: User, evidence: DepositEvidence, verb: str = "verifies") -> str | None:
    """Why ``user`` may not verify or reject ``evidence`` (four-eyes), or None.

    The recorder never reviews their own evidence, nor does whoever last changed it, even
    when the recorder's figures were corrected by a colleague since.
    """
    if not four_eyes():
        return None
    if evidence.recorded_by_id == user.id:
        return f"Recorded by you: another colleague {verb} it."
    if evidence.edited_by_id == user.id:
        return f"Last edited by you: another colleague {verb} it."
    return None


def verification_blocker(evidence: DepositEvidence) -> str | None:
    """What the evidence lacks before anyone may verify it, or None."""
    if evidence.document_id is None or evidence.document is None:
        return "Link the bank statement this evidence comes from before verifying it."
    if not evidence.document.is_current:
        return ("The linked bank statement is no longer current (replaced or detached): link "
                "the current one before verifying this evidence.")
    return None


# ---- the use cases ---------------------------------------------------------------------------

def record_deposit(
    actor: User, case: Case, values: dict[str, Any], expected_version: ExpectedVersion,
    confirmation: RateConfirmation = NO_CONFIRMATION,
) -> DepositEvidence:
    """Record a bank statement on ``case``; it waits, pending, for someone to verify it.

    ``values`` are the figures and (optionally) ``document_id``, the uploaded statement.
    A blank rate takes the reference rate; ``confirmation`` is a manager's for a rate off it.
    """
    ensure_file_editable(case)
    checked = _checked(actor, case, values, None, confirmation)

    def change() -> DepositEvidence:
        evidence = DepositEvidence(**checked, status=EvidenceStatus.PENDING,
                                   recorded_by_id=actor.id, recorded_at=utcnow())
        case.deposits.append(evidence)
        db.session.flush()
        audit.record(actor, "created", _entity(evidence),
                     {f: [None, _readable(getattr(evidence, f))] for f in [*checked, "status"]},
                     case=case)
        return evidence

    return change_case(actor, case, expected_version, change)


def update_deposit(
    actor: User,
    case: Case,
    evidence: DepositEvidence,
    values: dict[str, Any],
    expected_version: ExpectedVersion,
    confirmation: RateConfirmation = NO_CONFIRMATION,
) -> dict[str, list[Any]]:
    """Correct a statement's details or its linked document; returns the changed fields
    (empty: nothing to save). ``values`` without ``document_id`` keep the link; with None it
    is removed.

    Verified or rejected evidence goes back to pending: the review was of other figures.
    The editor is recorded: they may not review it either.
    """
    _ensure_of_case(case, evidence)
    ensure_file_editable(case)
    checked = _checked(actor, case, values, evidence, confirmation)
    # Saving the form unchanged must not throw away a verification.
    if all(getattr(evidence, field) == new for field, new in checked.items()):
        return {}

    def change() -> dict[str, list[Any]]:
        changes = _apply(evidence, checked)
        changes.update(_apply(evidence, _REVIEW_CLEARED))
        evidence.edited_by = actor
        evidence.edited_at = utcnow()
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
    if (refusal := review_refusal(actor, evidence, "verifies")) is not None:
        raise NotAllowed(refusal)
    if (blocker := verification_blocker(evidence)) is not None:
        raise NotAllowed(blocker)
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
    if (refusal := review_refusal(actor, evidence, "rejects")) is not None:
        raise NotAllowed(refusal)
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
        changes = _apply(evidence, values)
        audit.record(actor, action, _entity(evidence), changes, case=case)
        return evidence

    return change_case(actor, case, expected_version, change)
