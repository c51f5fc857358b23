"""The facts a check reads: plain, immutable data built by the service layer from a case.

``None`` (or ``Answer.UNKNOWN``) means "not recorded yet": the rules turn it into a *missing*
outcome that says what to collect, never into a guess. The constructors coerce the obvious
spellings (``"yes"`` for ``Answer.YES``, ISO date strings, ``"250000.00"`` for money) so that
callers and tests stay short, and reject what would silently corrupt a result: float money,
negative counts, a non-positive exchange rate.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation, localcontext
from enum import Enum
from typing import Any

from .vocab import Answer, EvidenceStatus, MaritalStatus, Qualification, Relationship

__all__ = [
    "ApplicantFacts",
    "CaseFacts",
    "DependantFacts",
    "DepositFacts",
    "lodging_date",
    "to_hkd",
]

CENT = Decimal("0.01")


def _set(obj: object, name: str, value: Any) -> None:
    object.__setattr__(obj, name, value)


def _enum(value: Any, enum_cls: type[Enum], name: str, optional: bool = False) -> Any:
    if value is None and optional:
        return None
    try:
        return enum_cls(value)
    except ValueError:
        allowed = ", ".join(member.value for member in enum_cls)  # type: ignore[attr-defined]
        raise ValueError(f"{name}: {value!r} is not one of {allowed}") from None


def _date(value: Any, name: str, optional: bool = True) -> date | None:
    if value is None and optional:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise ValueError(f"{name}: {value!r} is not an ISO date (YYYY-MM-DD)") from None
    raise TypeError(f"{name}: expected a date, got {type(value).__name__}")


def _decimal(value: Any, name: str) -> Decimal:
    """Money and rates as exact Decimals; float is refused because it cannot hold cents."""
    if isinstance(value, (float, bool)) or not isinstance(value, (Decimal, int, str)):
        raise TypeError(f"{name}: expected a Decimal, int or str, got {type(value).__name__}")
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise ValueError(f"{name}: {value!r} is not a number") from None
    if not number.is_finite():
        raise ValueError(f"{name}: {value!r} is not a finite number")
    return number


def _count(value: Any, name: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name}: expected a whole number or None, got {type(value).__name__}")
    if value < 0:
        raise ValueError(f"{name}: {value} is negative")
    return value


def to_hkd(amount: Decimal, rate_to_hkd: Decimal) -> Decimal:
    """``amount * rate`` rounded half-up to cents, computed without context rounding.

    The default Decimal context keeps 28 significant digits and could round a large product
    before the quantize; a local context with room to spare keeps the product exact.
    """
    with localcontext() as ctx:
        ctx.prec = 100
        return (amount * rate_to_hkd).quantize(CENT, rounding=ROUND_HALF_UP)


_ANSWER_FIELDS = (
    "criminal_record",
    "adverse_immigration_record",
    "english_written",
    "english_spoken",
    "chinese_written",
    "putonghua_spoken",
    "cantonese_spoken",
    "other_foreign_language",
    "qualification_recognised",
    "hk_permanent_resident_family",
    "achievement_claim",
    "degree_eligible_university",
    "degree_stem",
    "two_languages",
    "owns_listed_company",
)
_COUNT_FIELDS = (
    "doctorate_count",
    "master_count",
    "bachelor_count",
    "graduate_work_years",
    "senior_work_years",
    "multinational_work_years",
    "sector_work_years",
    "international_work_years",
)


@dataclass(frozen=True, kw_only=True)
class ApplicantFacts:
    """What the rules know about the principal applicant."""

    date_of_birth: date | None = None
    nationality: str | None = None  # ISO 3166-1 alpha-3, upper case; P6 checks the form
    passport_expiry: date | None = None
    criminal_record: Answer = Answer.UNKNOWN
    adverse_immigration_record: Answer = Answer.UNKNOWN
    english_written: Answer = Answer.UNKNOWN
    english_spoken: Answer = Answer.UNKNOWN
    chinese_written: Answer = Answer.UNKNOWN
    putonghua_spoken: Answer = Answer.UNKNOWN
    cantonese_spoken: Answer = Answer.UNKNOWN
    other_foreign_language: Answer = Answer.UNKNOWN  # a further foreign language (GPT only)
    highest_qualification: Qualification | None = None
    qualification_recognised: Answer = Answer.UNKNOWN
    doctorate_count: int | None = None
    master_count: int | None = None
    bachelor_count: int | None = None
    professional_qualification: bool = False
    graduate_work_years: int | None = None  # includes the senior years
    senior_work_years: int | None = None
    hk_permanent_resident_family: Answer = Answer.UNKNOWN
    achievement_claim: Answer = Answer.UNKNOWN
    achievement_description: str = ""
    # Read by the General Points Test since 1 November 2024 (a count of 12 criteria). The work
    # years are parts of ``graduate_work_years``; money is already in HKD (the caller converts
    # at the recorded rate, as for deposits).
    degree_eligible_university: Answer = Answer.UNKNOWN  # the master's / doctorate's university
    degree_stem: Answer = Answer.UNKNOWN  # that degree is in science, technology, eng. or maths
    two_languages: Answer = Answer.UNKNOWN  # good written and spoken proficiency in two languages
    multinational_work_years: int | None = None  # in a multinational or renowned enterprise
    sector_work_years: int | None = None  # innovation and technology, finance, international trade
    international_work_years: int | None = None  # outside the applicant's own country
    income_hkd: Decimal | None = None  # income in the full year before applying
    business_profit_hkd: Decimal | None = None  # of a business now owned; 0: none or no profit
    owns_listed_company: Answer = Answer.UNKNOWN

    def __post_init__(self) -> None:
        for name in _ANSWER_FIELDS:
            _set(self, name, _enum(getattr(self, name), Answer, name))
        for name in _COUNT_FIELDS:
            _set(self, name, _count(getattr(self, name), name))
        _set(self, "date_of_birth", _date(self.date_of_birth, "date_of_birth"))
        _set(self, "passport_expiry", _date(self.passport_expiry, "passport_expiry"))
        qualification = _enum(
            self.highest_qualification, Qualification, "highest_qualification", optional=True
        )
        _set(self, "highest_qualification", qualification)
        if not isinstance(self.professional_qualification, bool):
            raise TypeError("professional_qualification: expected True or False")
        _set(self, "achievement_description", self.achievement_description or "")
        if self.income_hkd is not None:
            income = _decimal(self.income_hkd, "income_hkd")
            if income < 0:
                raise ValueError(f"income_hkd: {income} is negative")
            _set(self, "income_hkd", income)
        if self.business_profit_hkd is not None:
            # A loss is a negative profit: it is a fact to record, not an error.
            profit = _decimal(self.business_profit_hkd, "business_profit_hkd")
            _set(self, "business_profit_hkd", profit)


@dataclass(frozen=True, kw_only=True)
class DependantFacts:
    """A family member the applicant wants to bring; ``id`` lets results point back to it."""

    id: str | int
    name: str = ""
    relationship: Relationship
    date_of_birth: date | None = None
    marital_status: MaritalStatus | None = None
    spouse_has_degree: Answer = Answer.UNKNOWN  # only read for a spouse (GPT family points)
    passport_expiry: date | None = None  # read for deadlines, not by the checks

    def __post_init__(self) -> None:
        _set(self, "relationship", _enum(self.relationship, Relationship, "relationship"))
        status = _enum(self.marital_status, MaritalStatus, "marital_status", optional=True)
        _set(self, "marital_status", status)
        _set(self, "spouse_has_degree", _enum(self.spouse_has_degree, Answer, "spouse_has_degree"))
        _set(self, "date_of_birth", _date(self.date_of_birth, "date_of_birth"))

    @property
    def display_name(self) -> str:
        """The name to use in a sentence, falling back to the id when no name was recorded."""
        return self.name.strip() or f"dependant {self.id}"


@dataclass(frozen=True, kw_only=True)
class DepositFacts:
    """One piece of deposit evidence (a bank statement) as recorded and reviewed."""

    id: str | int
    amount: Decimal
    currency: str  # ISO 4217
    rate_to_hkd: Decimal
    amount_hkd: Decimal | None = None  # None: computed from amount and rate
    statement_date: date
    status: EvidenceStatus
    bank: str = ""

    def __post_init__(self) -> None:
        _set(self, "amount", _decimal(self.amount, "amount"))
        _set(self, "rate_to_hkd", _decimal(self.rate_to_hkd, "rate_to_hkd"))
        if self.amount_hkd is not None:
            _set(self, "amount_hkd", _decimal(self.amount_hkd, "amount_hkd"))
        _set(self, "statement_date", _date(self.statement_date, "statement_date", optional=False))
        _set(self, "status", _enum(self.status, EvidenceStatus, "status"))
        if self.amount < 0:
            raise ValueError(f"amount: {self.amount} is negative")
        if self.rate_to_hkd <= 0:
            raise ValueError(f"rate_to_hkd: {self.rate_to_hkd} must be positive")

    @property
    def hkd(self) -> Decimal:
        """The HKD value that counts: the recorded one, else amount x rate rounded to cents."""
        if self.amount_hkd is not None:
            return self.amount_hkd
        return to_hkd(self.amount, self.rate_to_hkd)

    @property
    def description(self) -> str:
        """How a consultant names this statement: ``#3 (HSBC, USD 40,000.00, 2026-01-31)``."""
        bank = f"{self.bank}, " if self.bank else ""
        money = f"{self.currency} {self.amount:,.2f}"
        return f"#{self.id} ({bank}{money}, {self.statement_date.isoformat()})"


@dataclass(frozen=True, kw_only=True)
class CaseFacts:
    """Everything one check run reads. ``check_date`` is passed in: the rules never read a clock."""

    applicant: ApplicantFacts
    dependants: tuple[DependantFacts, ...] = field(default=())
    deposits: tuple[DepositFacts, ...] = field(default=())
    check_date: date
    planned_submission_date: date | None = None
    submitted_on: date | None = None  # the day the application was lodged with ImmD

    def __post_init__(self) -> None:
        _set(self, "dependants", tuple(self.dependants))
        _set(self, "deposits", tuple(self.deposits))
        _set(self, "check_date", _date(self.check_date, "check_date", optional=False))
        planned = _date(self.planned_submission_date, "planned_submission_date")
        _set(self, "planned_submission_date", planned)
        _set(self, "submitted_on", _date(self.submitted_on, "submitted_on"))

    @property
    def lodging_date(self) -> date:
        """The day the application is (or will be) lodged: see :func:`lodging_date`."""
        return lodging_date(self.check_date, self.planned_submission_date, self.submitted_on)

    @property
    def lodging_basis(self) -> str:
        """Where the lodging date comes from, for a reason: ``the submission date`` etc."""
        if self.submitted_on is not None:
            return "the submission date"
        planned = self.planned_submission_date
        if planned is not None and planned >= self.check_date:
            return "the planned submission date"
        return "the check date"


def lodging_date(
    check_date: date, planned_submission_date: date | None, submitted_on: date | None
) -> date:
    """The date the application is lodged with ImmD, which decides the rule set in force.

    The submission date once submitted; otherwise the planned submission date; otherwise the
    check date. A case not yet submitted cannot be lodged before the check date, so a planned
    date already in the past counts as the check date.
    """
    if submitted_on is not None:
        return submitted_on
    if planned_submission_date is None:
        return check_date
    return max(planned_submission_date, check_date)
