"""Input dataclasses: coercion of plain spellings, refusal of data that would corrupt a result."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from caseapp.rules import ApplicantFacts, CaseFacts, DependantFacts, DepositFacts
from caseapp.rules.facts import to_hkd
from caseapp.rules.vocab import Answer, EvidenceStatus, Qualification, Relationship

from .builders import CHECK, applicant, deposit


def test_plain_spellings_become_enums_and_dates() -> None:
    facts = ApplicantFacts(
        criminal_record="no", highest_qualification="bachelor", date_of_birth="1990-01-02"
    )
    assert facts.criminal_record is Answer.NO
    assert facts.highest_qualification is Qualification.BACHELOR
    assert facts.date_of_birth == date(1990, 1, 2)
    assert facts.english_written is Answer.UNKNOWN


def test_datetime_is_reduced_to_its_date() -> None:
    facts = CaseFacts(applicant=applicant(), check_date=datetime(2026, 3, 2, 23, 59))
    assert facts.check_date == date(2026, 3, 2)
    assert type(facts.check_date) is date


def test_lists_become_tuples_so_facts_stay_immutable() -> None:
    facts = CaseFacts(applicant=applicant(), deposits=[deposit()], check_date=CHECK)
    assert isinstance(facts.deposits, tuple)


@pytest.mark.parametrize(
    ("build", "error"),
    [
        pytest.param(lambda: ApplicantFacts(criminal_record="maybe"), ValueError, id="bad-answer"),
        pytest.param(lambda: ApplicantFacts(master_count=-1), ValueError, id="negative-count"),
        pytest.param(lambda: ApplicantFacts(master_count=1.5), TypeError, id="fractional-count"),
        pytest.param(lambda: ApplicantFacts(date_of_birth="17/05/1990"), ValueError, id="bad-date"),
        pytest.param(
            lambda: ApplicantFacts(professional_qualification="yes"), TypeError, id="flag-not-bool"
        ),
        pytest.param(
            lambda: DependantFacts(id=1, relationship="cousin"), ValueError, id="bad-relationship"
        ),
        pytest.param(lambda: deposit(rate="0"), ValueError, id="zero-rate"),
        pytest.param(lambda: deposit("-5"), ValueError, id="negative-amount"),
        pytest.param(
            lambda: DepositFacts(
                id=1,
                amount=250000.0,
                currency="HKD",
                rate_to_hkd=Decimal(1),
                statement_date=CHECK,
                status=EvidenceStatus.VERIFIED,
            ),
            TypeError,
            id="float-money",
        ),
        pytest.param(lambda: deposit("NaN"), ValueError, id="nan-money"),
    ],
)
def test_bad_input_is_refused(build: Callable[[], object], error: type[Exception]) -> None:
    with pytest.raises(error):
        build()


def test_recorded_hkd_amount_wins_over_conversion() -> None:
    evidence = deposit("1000", currency="USD", rate="7.8", amount_hkd="7799.50")
    assert evidence.hkd == Decimal("7799.50")


@pytest.mark.parametrize(
    ("amount", "rate", "hkd"),
    [
        pytest.param("0.01", "0.5", "0.01", id="half-cent-rounds-up"),
        pytest.param("0.01", "0.49", "0.00", id="below-half-rounds-down"),
        pytest.param("1000.00", "7.8125", "7812.50", id="exact"),
        pytest.param("32051.29", "7.8", "250000.06", id="usd-near-threshold"),
        pytest.param("1.005", "1", "1.01", id="half-up-not-banker"),
    ],
)
def test_conversion_rounds_half_up_to_cents(amount: str, rate: str, hkd: str) -> None:
    assert deposit(amount, currency="XXX", rate=rate).hkd == Decimal(hkd)


def _half_up_cents(value: Fraction) -> Decimal:
    cents = Fraction(value * 100)
    whole = cents.numerator // cents.denominator
    if cents - whole >= Fraction(1, 2):
        whole += 1
    return Decimal(whole) / 100


amounts = st.decimals(min_value=0, max_value=10**12, places=2, allow_nan=False)
rates = st.decimals(min_value=Decimal("0.00000001"), max_value=10**4, places=8, allow_nan=False)


@given(amount=amounts, rate=rates)
def test_conversion_equals_exact_half_up_rounding(amount: Decimal, rate: Decimal) -> None:
    expected = _half_up_cents(Fraction(amount) * Fraction(rate))
    assert to_hkd(amount, rate) == expected


def test_facts_are_frozen() -> None:
    facts = applicant()
    with pytest.raises(AttributeError):
        facts.nationality = "FRA"  # type: ignore[misc]


def test_dependant_display_name_falls_back_to_id() -> None:
    assert DependantFacts(id=7, relationship=Relationship.CHILD).display_name == "dependant 7"


def test_the_criteria_facts_are_not_yet_known_by_default() -> None:
    facts = ApplicantFacts()
    for name in ("degree_eligible_university", "degree_stem", "two_languages",
                 "owns_listed_company"):
        assert getattr(facts, name) is Answer.UNKNOWN
    for name in ("multinational_work_years", "sector_work_years", "international_work_years",
                 "income_hkd", "business_profit_hkd"):
        assert getattr(facts, name) is None
    assert CaseFacts(applicant=facts, check_date=date(2026, 3, 2)).submitted_on is None


def test_the_criteria_facts_are_coerced_and_checked() -> None:
    facts = ApplicantFacts(
        degree_eligible_university="yes",
        owns_listed_company="no",
        income_hkd="1000000.00",
        business_profit_hkd=-5000,  # a loss
        sector_work_years=3,
    )
    assert facts.degree_eligible_university is Answer.YES
    assert facts.owns_listed_company is Answer.NO
    assert facts.income_hkd == Decimal("1000000.00") and isinstance(facts.income_hkd, Decimal)
    assert facts.business_profit_hkd == Decimal(-5000)
    case = CaseFacts(applicant=facts, check_date="2026-03-02", submitted_on="2026-01-31")
    assert case.submitted_on == date(2026, 1, 31)


@pytest.mark.parametrize(
    ("values", "error", "message"),
    [
        ({"income_hkd": 1e6}, TypeError, "income_hkd"),
        ({"income_hkd": "-1"}, ValueError, "income_hkd: -1 is negative"),
        ({"business_profit_hkd": 5e6}, TypeError, "business_profit_hkd"),
        ({"business_profit_hkd": "NaN"}, ValueError, "business_profit_hkd"),
        ({"multinational_work_years": -1}, ValueError, "multinational_work_years"),
        ({"international_work_years": 2.0}, TypeError, "international_work_years"),
        ({"two_languages": "maybe"}, ValueError, "two_languages"),
    ],
)
def test_bad_criteria_facts_are_refused(
    values: dict[str, Any], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        ApplicantFacts(**values)
