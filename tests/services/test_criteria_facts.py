"""The applicant facts of the 2024 General Points Test: years bounded by the graduate years,
income and profit kept as amount, currency and rate with the HKD value computed here."""

from __future__ import annotations

from decimal import Decimal

import pytest

from caseapp.services import cases as case_service
from caseapp.services.cases import VersionCheck
from caseapp.services.errors import ValidationFailed
from tests.factories import open_case

SKIP = VersionCheck.SKIP


def test_income_in_a_foreign_currency_is_kept_with_its_hkd_value(db, consultant):
    case = open_case(consultant)
    case_service.update_applicant(consultant, case, {
        "income_amount": Decimal("128000.00"), "income_currency": "usd",
        "income_rate_to_hkd": Decimal("7.8125")}, SKIP)
    a = case.applicant
    assert (a.income_amount, a.income_currency, a.income_rate_to_hkd, a.income_hkd) == (
        Decimal("128000.00"), "USD", Decimal("7.8125"), Decimal("1000000.00"))


def test_hkd_needs_no_rate_and_clearing_the_amount_clears_the_sum(db, consultant):
    case = open_case(consultant)
    case_service.update_applicant(consultant, case, {
        "profit_amount": Decimal("5000000"), "profit_currency": "HKD",
        "profit_rate_to_hkd": None}, SKIP)
    assert case.applicant.profit_hkd == Decimal("5000000.00")
    case_service.update_applicant(consultant, case, {
        "profit_amount": None, "profit_currency": "HKD", "profit_rate_to_hkd": None}, SKIP)
    a = case.applicant
    assert (a.profit_amount, a.profit_currency, a.profit_hkd) == (None, None, None)


@pytest.mark.parametrize("values,field,message", [
    ({"income_amount": Decimal("-1"), "income_currency": "HKD"}, "income_amount",
     "cannot be negative"),
    ({"income_amount": Decimal("1.005"), "income_currency": "HKD"}, "income_amount",
     "2 decimal places"),
    ({"income_amount": Decimal("10"), "income_currency": ""}, "income_currency", "Choose"),
    ({"income_amount": Decimal("10"), "income_currency": "XAU"}, "income_currency",
     "precious metal"),
    ({"income_amount": Decimal("10"), "income_currency": "USD"}, "income_rate_to_hkd",
     "Enter the rate"),
    ({"income_amount": Decimal("10"), "income_currency": "HKD",
      "income_rate_to_hkd": Decimal("7.8")}, "income_rate_to_hkd", "exactly 1"),
    ({"graduate_work_years": 4, "multinational_work_years": 5}, "multinational_work_years",
     "at most 4"),
    ({"international_work_years": -1}, "international_work_years", "cannot be negative"),
])
def test_bad_criteria_facts_are_refused_beside_their_field(db, consultant, values, field,
                                                           message):
    case = open_case(consultant)
    version = case.version
    with pytest.raises(ValidationFailed) as refused:
        case_service.update_applicant(consultant, case, values, SKIP)
    assert message in " ".join(refused.value.errors[field])
    db.session.expire_all()
    assert case.version == version and case.applicant.income_amount is None


def test_the_service_refuses_more_senior_years_than_graduate_years(db, consultant):
    case = open_case(consultant)
    with pytest.raises(ValidationFailed) as refused:
        case_service.update_applicant(consultant, case, {"senior_work_years": 12}, SKIP)
    assert "at most 8" in " ".join(refused.value.errors["senior_work_years"])
