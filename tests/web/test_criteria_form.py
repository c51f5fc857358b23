"""The applicant form's 2024 criteria facts: saved with their HKD value, errors beside the
field with the input kept."""

from __future__ import annotations

from decimal import Decimal

from caseapp.models import Case
from tests.factories import applicant_form, open_case


def test_the_applicant_form_saves_the_income_and_refuses_a_bad_rate_beside_it(
        app, db, consultant, consultant_client):
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
