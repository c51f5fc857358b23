"""The applicant form's 2024 criteria facts: saved with their HKD value, errors beside the
field with the input kept."""

from __future__ import annotations

from decimal import Decimal

import pytest

from caseapp.models import Case
from tests.factories import applicant_form, open_case


@pytest.fixture
def by_date(app):
    """As deployed: no pinned rule set, the lodging date decides (the criteria, today)."""
    app.config["RULE_SET_VERSION"] = None
    yield
    app.config["RULE_SET_VERSION"] = "qmas-2006-165"


def test_the_form_asks_only_for_the_facts_of_the_test_in_force_for_the_case(
        app, db, consultant, consultant_client, by_date):
    today_case = open_case(consultant)
    page = consultant_client.get(f"/cases/{today_case.reference}/applicant").get_data(
        as_text=True)
    assert 'name="income_amount"' in page and 'name="senior_work_years"' not in page
    assert "General Points Test of qmas-2024-11 (at least 6 of 12 criteria)" in page
    app.config["RULE_SET_VERSION"] = "qmas-2006-165"  # a consultancy pinned to the 2006 table
    page = consultant_client.get(f"/cases/{today_case.reference}/applicant").get_data(
        as_text=True)
    assert 'name="income_amount"' not in page and 'name="senior_work_years"' in page


def test_saving_the_2006_form_keeps_the_criteria_facts_it_does_not_show(
        app, db, consultant, consultant_client):
    case = open_case(consultant, income_amount=Decimal("100"), income_currency="HKD")
    path = f"/cases/{case.reference}/applicant"
    response = consultant_client.post(path, data=applicant_form(
        version=str(case.version), given_name="May"), follow_redirects=True)
    assert "Applicant saved." in response.get_data(as_text=True)
    db.session.expire_all()
    applicant = db.session.get(Case, case.id).applicant
    assert (applicant.given_name, applicant.income_hkd) == ("May", Decimal("100.00"))


def test_the_applicant_form_saves_the_income_and_refuses_a_bad_rate_beside_it(
        app, db, consultant, consultant_client, by_date):
    case = open_case(consultant)
    path = f"/cases/{case.reference}/applicant"
    form = applicant_form(version=str(case.version), income_amount="1,280,000.00",
                          income_currency="CNY", income_rate_to_hkd="", sector_work_years="3")
    page = consultant_client.post(path, data=form).get_data(as_text=True)
    assert "Enter the rate: HKD for one unit of the currency." in page
    assert 'value="1,280,000.00"' in page
    db.session.expire_all()
    assert db.session.get(Case, case.id).applicant.income_amount is None

    form["income_rate_to_hkd"] = "1.0842"
    response = consultant_client.post(path, data=form, follow_redirects=True)
    assert "Applicant saved." in response.get_data(as_text=True)
    db.session.expire_all()
    applicant = db.session.get(Case, case.id).applicant
    assert (applicant.income_hkd, applicant.sector_work_years) == (Decimal("1387776.00"), 3)
