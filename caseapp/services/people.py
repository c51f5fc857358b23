"""People's data checked where it is saved, whichever door it came through (the forms, the
coming JSON API, the CLI): text without invisible characters, phone numbers in E.164, dates
and counts that can be true. A refusal is a ValidationFailed with messages per field, which
the forms show beside the field.

The forms check the same things first for immediate feedback; this module is the authority.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Any

import phonenumbers
from flask import current_app, has_app_context

from caseapp import clock
from caseapp.models import Applicant, Dependant
from caseapp.rules.vocab import Relationship
from caseapp.services.errors import ValidationFailed

# ---- text -----------------------------------------------------------------------------------

# C0 controls (tab, line feed and carriage return only where a text area allows them), DEL,
# the C1 controls, and the bidirectional controls that make text display in another order
# than it is stored (a name that reads one way on screen and searches another). PostgreSQL
# refuses NUL in text outright; none of them belongs in a name, a number or a search.
_CONTROLS = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"
_BIDI = "\u200e\u200f\u202a-\u202e\u2066-\u2069"
# A lone UTF-16 surrogate (JSON can carry "\ud800") is no character: no database stores it.
_SURROGATES = "\ud800-\udfff"
UNSAFE_IN_TEXT_AREA = re.compile(f"[{_CONTROLS}{_BIDI}{_SURROGATES}]")
UNSAFE_IN_LINE = re.compile(f"[\t\n\r{_CONTROLS}{_BIDI}{_SURROGATES}]")
UNSAFE_TEXT_MESSAGE = "Remove the invisible control or text-direction characters from this field."


def _unsafe(multi_line: bool) -> re.Pattern[str]:
    return UNSAFE_IN_TEXT_AREA if multi_line else UNSAFE_IN_LINE


def has_unsafe_characters(text: str, multi_line: bool = False) -> bool:
    """True when ``text`` holds a control or bidirectional character (tab and line breaks are
    allowed in a multi-line text only)."""
    return _unsafe(multi_line).search(text) is not None


def without_unsafe_characters(text: str, multi_line: bool = False) -> str:
    """``text`` with those characters taken out: what the user can check and send again."""
    return _unsafe(multi_line).sub("", text)


# ---- phone numbers --------------------------------------------------------------------------

PHONE_MESSAGE = "Enter a phone number with its country code, such as +852 2123 4567."
DEFAULT_PHONE_REGION = "HK"


def phone_region() -> str:
    """Where a number typed without ``+`` and a country code is read as from."""
    configured = current_app.config.get("PHONE_DEFAULT_REGION") if has_app_context() else None
    return str(configured or DEFAULT_PHONE_REGION)


def parse_phone(text: str, region: str | None = None) -> str | None:
    """``text`` as an E.164 number ("+85221234567"), or None when it is not a valid number."""
    try:
        number = phonenumbers.parse(text, region or phone_region())
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def international_phone(stored: str) -> str:
    """A stored E.164 number as people read it ("+852 2123 4567"); a value saved before
    numbers were checked, which does not read as a valid number, is shown as it is."""
    try:
        number = phonenumbers.parse(stored, None)
    except phonenumbers.NumberParseException:
        return stored
    if not phonenumbers.is_valid_number(number):
        return stored
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


# ---- passport numbers -----------------------------------------------------------------------

# As stored: spaces out, upper case, then ASCII letters and digits only ("ß".upper() is "SS",
# and isalnum() would let full-width digits or Chinese through).
PASSPORT_NUMBER = re.compile(r"[A-Z0-9]{1,20}", re.ASCII)
PASSPORT_MESSAGE = "A passport number has 1 to 20 letters A-Z and digits 0-9."


def normalise_passport(number: str) -> str:
    """A passport number as it is stored and searched: no spaces, upper case."""
    return number.replace(" ", "").upper()


def is_passport_number(number: str) -> bool:
    """True for a typed passport number that reads as one once normalised."""
    return PASSPORT_NUMBER.fullmatch(normalise_passport(number)) is not None


# ---- what only the forms (and the API's schemas) check -------------------------------------

# Typed on the applicant form and sent to the API alike; the service takes older records
# (the command line, imports) as they are.
EARLIEST_BIRTH = date(1900, 1, 1)
EARLY_BIRTH_MESSAGE = "Enter a date of birth after 1900."
ACHIEVEMENT_MESSAGE = "Describe the achievement and its evidence."


# ---- counts ---------------------------------------------------------------------------------

WHOLE_NUMBER_MESSAGE = "Enter a whole number, such as 3."
# field: (what it counts, in a sentence; the largest number that can be true)
COUNTS: dict[str, tuple[str, int]] = {
    "doctorate_count": ("The number of doctorates", 10),
    "master_count": ("The number of master's degrees", 10),
    "bachelor_count": ("The number of bachelor's degrees", 10),
    "graduate_work_years": ("The years of graduate or specialist work", 70),
    "senior_work_years": ("The years in a senior role", 70),
    "multinational_work_years": ("The years in a multinational or renowned enterprise", 70),
    "sector_work_years": ("The years in innovation and technology, finance or international "
                          "trade", 70),
    "international_work_years": ("The years of international work", 70),
}
# Years that are part of the graduate-level years, so never more than them.
PART_OF_GRADUATE_YEARS = ("senior_work_years", "multinational_work_years", "sector_work_years",
                          "international_work_years")


def negative_message(field: str) -> str:
    return f"{COUNTS[field][0]} cannot be negative."


def too_large_message(field: str) -> str:
    return f"Enter a whole number from 0 to {COUNTS[field][1]}."


# ---- the checks -----------------------------------------------------------------------------

APPLICANT_TEXT = ("given_name", "family_name", "chinese_name", "passport_number", "email",
                  "phone", "achievement_description")
DEPENDANT_TEXT = ("given_name", "family_name")
MULTI_LINE_TEXT = frozenset({"achievement_description"})
FUTURE_BIRTH_MESSAGE = "A date of birth cannot be in the future."


def _is_new(values: dict[str, Any], name: str, current: object | None) -> bool:
    """The change sets ``name`` to something other than what is stored. A date that has since
    become wrong (a passport that expired after it was typed) is the checks' warning, not a
    reason to refuse saving another field."""
    return name in values and (current is None or getattr(current, name) != values[name])


def _check_text(values: dict[str, Any], names: Iterable[str],
                errors: dict[str, list[str]]) -> None:
    for name in names:
        value = values.get(name)
        if value is None:
            continue
        if not isinstance(value, str):
            errors.setdefault(name, []).append("Enter text.")
        elif has_unsafe_characters(value, multi_line=name in MULTI_LINE_TEXT):
            errors.setdefault(name, []).append(UNSAFE_TEXT_MESSAGE)


def _check_counts(values: dict[str, Any], errors: dict[str, list[str]]) -> None:
    for name, (_, maximum) in COUNTS.items():
        value = values.get(name)
        if value is None:
            continue
        # bool is an int in Python, but True is not a number of degrees.
        if not isinstance(value, int) or isinstance(value, bool):
            errors.setdefault(name, []).append(WHOLE_NUMBER_MESSAGE)
        elif value < 0:
            errors.setdefault(name, []).append(negative_message(name))
        elif value > maximum:
            errors.setdefault(name, []).append(too_large_message(name))


def _check_part_years(values: dict[str, Any], applicant: Applicant | None,
                      errors: dict[str, list[str]]) -> None:
    total = values.get("graduate_work_years",
                       applicant.graduate_work_years if applicant is not None else None)
    if not isinstance(total, int) or "graduate_work_years" in errors:
        return
    for name in PART_OF_GRADUATE_YEARS:
        value = values.get(name)
        if isinstance(value, int) and name not in errors and value > total:
            errors.setdefault(name, []).append(
                f"These years are part of the {total} years of graduate or specialist work: "
                f"at most {total}.")


# ---- money of the last full year (income; an owned business's profit) ---------------------

# prefix: what it is, in a sentence
MONEY = {"income": "The income", "profit": "The profit"}


def money_fields(prefix: str) -> tuple[str, str, str]:
    return f"{prefix}_amount", f"{prefix}_currency", f"{prefix}_rate_to_hkd"


def _check_money(values: dict[str, Any], stored: dict[str, Any],
                 errors: dict[str, list[str]]) -> None:
    """Amount, currency and rate of each sum, with its HKD value computed here (never taken
    from the caller), as for deposit evidence. No amount: nothing recorded, all four empty."""
    from caseapp.rules.facts import to_hkd
    from caseapp.services import deposits as money

    for prefix, what in MONEY.items():
        amount_field, currency_field, rate_field = money_fields(prefix)
        if not any(name in values for name in (amount_field, currency_field, rate_field)):
            continue
        amount, problem = money.number_or_problem(values.get(amount_field), what.lower(),
                                                  "1200000.00")
        if problem:
            errors.setdefault(amount_field, []).append(problem)
            continue
        if amount is None:
            stored.update({amount_field: None, currency_field: None, rate_field: None,
                           f"{prefix}_hkd": None})
            continue
        if amount < 0:
            errors.setdefault(amount_field, []).append(f"{what} cannot be negative: enter 0 "
                                                       "for none.")
        elif money.decimal_places(amount) > money.AMOUNT_PLACES:
            errors.setdefault(amount_field, []).append("Enter it to at most 2 decimal places.")
        elif amount > money.MAX_AMOUNT:
            errors.setdefault(amount_field, []).append(
                f"{what} cannot be more than {money.MAX_AMOUNT:,}.")
        currency = str(values.get(currency_field) or "").strip().upper()
        if (currency_problem := money.currency_error(currency)) is not None:
            errors.setdefault(currency_field, []).append(
                currency_problem.replace("the statement", "the sum"))
            continue
        rate, rate_problem = money.number_or_problem(values.get(rate_field), "rate", "7.8125")
        if currency == money.HKD and rate is None:
            rate = Decimal(1)
        if rate_problem or rate is None:
            errors.setdefault(rate_field, []).append(
                rate_problem or "Enter the rate: HKD for one unit of the currency.")
            continue
        if (bad_rate := money.rate_error(rate)) is not None:
            errors.setdefault(rate_field, []).append(bad_rate)
            continue
        if currency == money.HKD and rate != 1:
            errors.setdefault(rate_field, []).append("A sum in HKD has a rate of exactly 1.")
            continue
        if amount_field in errors:
            continue
        hkd = to_hkd(amount, rate)
        if hkd > money.MAX_AMOUNT:
            errors.setdefault(amount_field, []).append(
                f"In HKD this is more than {money.MAX_AMOUNT:,}.")
            continue
        stored.update({amount_field: amount, currency_field: currency, rate_field: rate,
                       f"{prefix}_hkd": hkd})


def _born_in_future(values: dict[str, Any], current: object | None, today: date,
                    errors: dict[str, list[str]]) -> None:
    born = values.get("date_of_birth")
    if _is_new(values, "date_of_birth", current) and born is not None and born > today:
        errors.setdefault("date_of_birth", []).append(FUTURE_BIRTH_MESSAGE)


def _passport_expired(values: dict[str, Any], current: object | None, who: str, today: date,
                      errors: dict[str, list[str]]) -> None:
    """A newly typed passport expiry that has passed is refused (the passport held now is
    wanted); one stored earlier that has since passed is the checks' warning instead."""
    expiry = values.get("passport_expiry")
    if _is_new(values, "passport_expiry", current) and expiry is not None and expiry < today:
        errors.setdefault("passport_expiry", []).append(
            f"This passport expired on {expiry.isoformat()}: enter the expiry date of the "
            f"passport {who} holds now.")


def check_applicant(values: dict[str, Any], applicant: Applicant | None = None,
                    dependants: Iterable[Dependant] = ()) -> dict[str, Any]:
    """The applicant's ``values`` as they are stored (the phone in E.164), or ValidationFailed.

    ``applicant`` is the stored applicant when editing (None when opening a case) and
    ``dependants`` the case's dependants, whose children must be born after the applicant.
    ``values`` may hold only the fields being changed.
    """
    errors: dict[str, list[str]] = {}
    stored = dict(values)
    today = clock.today()
    _check_text(values, APPLICANT_TEXT, errors)
    _check_counts(values, errors)
    _check_part_years(values, applicant, errors)
    _check_money(values, stored, errors)

    phone = values.get("phone")
    if isinstance(phone, str) and phone.strip() and "phone" not in errors:
        e164 = parse_phone(phone.strip())
        if e164 is None:
            errors["phone"] = [PHONE_MESSAGE]
        else:
            stored["phone"] = e164

    _passport_expired(values, applicant, "the applicant", today, errors)
    _born_in_future(values, applicant, today, errors)
    born = values.get("date_of_birth")
    if _is_new(values, "date_of_birth", applicant) and born is not None and born <= today:
        for child in dependants:
            if (child.relation == Relationship.CHILD and child.date_of_birth is not None
                    and child.date_of_birth <= born):
                errors.setdefault("date_of_birth", []).append(
                    f"The applicant's child {child.full_name} was born on "
                    f"{child.date_of_birth.isoformat()}: the applicant must be born before "
                    "their children.")

    if errors:
        raise ValidationFailed(errors)
    return stored


def check_dependant(values: dict[str, Any], dependant: Dependant | None = None,
                    applicant: Applicant | None = None) -> dict[str, Any]:
    """A dependant's ``values`` as they are stored, or ValidationFailed.

    ``dependant`` is the stored dependant when editing (None when adding one); a child must be
    born after ``applicant``.
    """
    errors: dict[str, list[str]] = {}
    today = clock.today()
    _check_text(values, DEPENDANT_TEXT, errors)
    _born_in_future(values, dependant, today, errors)
    _passport_expired(values, dependant, "the dependant", today, errors)

    relation = values.get("relation", dependant.relation if dependant else None)
    born = values.get("date_of_birth", dependant.date_of_birth if dependant else None)
    changed = (_is_new(values, "relation", dependant)
               or _is_new(values, "date_of_birth", dependant))
    parent_born = applicant.date_of_birth if applicant is not None else None
    if (changed and relation == Relationship.CHILD and born is not None
            and parent_born is not None and born <= parent_born):
        errors.setdefault("date_of_birth", []).append(
            f"A child is born after the applicant, whose date of birth is "
            f"{parent_born.isoformat()}: check both dates.")

    if errors:
        raise ValidationFailed(errors)
    return dict(values)
