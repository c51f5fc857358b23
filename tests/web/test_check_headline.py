"""The check result's headline on the case page: every prerequisite that is not a pass."""

from __future__ import annotations

from datetime import date

from caseapp import clock
from caseapp.extensions import db as _db
from caseapp.models import CheckRun
from caseapp.rules.ages import date_turning
from caseapp.rules.vocab import Answer, MaritalStatus, Relationship
from caseapp.services import cases as case_service
from caseapp.services.checks import run_checks
from tests.factories import dependant_values, open_case
from tests.services.test_checks import add_verified_deposit


def _add(consultant, case, **values) -> None:
    case_service.add_dependant(consultant, case, dependant_values(**values), case.version)


def test_the_headline_names_every_prerequisite_that_is_not_a_pass(app, db, consultant,
                                                                   consultant_client):
    today = clock.today()
    case = open_case(consultant, nationality="NPL", criminal_record=Answer.UNKNOWN)
    born = date(today.year - 20, 1, 15)
    _add(consultant, case, given_name="Tom", family_name="Lee", date_of_birth=born)
    for name in ("Ann", "Bea"):
        _add(consultant, case, relation=Relationship.SPOUSE, given_name=name,
             date_of_birth=date(1991, 1, 1), marital_status=MaritalStatus.MARRIED)
    add_verified_deposit(db, case, consultant, "300000.00", today)

    page = consultant_client.post(f"/cases/{case.reference}/checks",
                                  follow_redirects=True).get_data(as_text=True)

    assert 'class="verdict verdict-not_eligible"' in page
    headline = page.split('<ul class="verdict-headline">', 1)[1].split("</ul>", 1)[0]
    for line in (
        "P2 Financial capability: short by HKD 150,000.00 for a family application",
        "P3 Good character: not yet declared: criminal record",
        "P6 Nationality: not open to nationals of Nepal (NPL)",
        f"P7 Dependants: Tom Lee (child, 18 on {date_turning(born, 18).isoformat()}) "
        "cannot accompany",
        "P7 Dependants: Bea Tan (spouse) cannot accompany: only one spouse may accompany the "
        "applicant; Ann Tan is already listed as the accompanying spouse",
    ):
        assert line in headline
    for code in ("P1", "P4", "P5"):  # they pass: not in the headline
        assert f"{code} " not in headline


def test_an_eligible_case_still_names_a_dependant_who_cannot_accompany(app, db, consultant,
                                                                        consultant_client):
    today = clock.today()
    case = open_case(consultant)
    born = date(today.year - 30, 6, 1)
    _add(consultant, case, given_name="Tom", family_name="Lee", date_of_birth=born)
    add_verified_deposit(db, case, consultant, "260000.00", today)
    run_checks(consultant, case)

    page = consultant_client.get(f"/cases/{case.reference}").get_data(as_text=True)

    assert 'class="verdict verdict-eligible"' in page
    assert (
        f"P7 Dependants: Tom Lee (child, 18 on {date_turning(born, 18).isoformat()}) "
        "cannot accompany" in page
    )


def test_a_run_stored_before_the_headline_existed_renders_as_it_was(app, db, consultant,
                                                                     consultant_client):
    case = open_case(consultant, nationality="NPL")
    run = run_checks(consultant, case)
    old = dict(run.result)  # a new dict, so the JSON column sees the change
    old.pop("headline")
    old["prerequisites"] = [
        {key: value for key, value in rule.items() if key != "short"}
        for rule in old["prerequisites"]
    ]
    run.result = old
    _db.session.commit()
    _db.session.expire_all()
    assert "headline" not in _db.session.get(CheckRun, run.id).result

    for url in (f"/cases/{case.reference}", f"/cases/{case.reference}/checks/{run.id}"):
        response = consultant_client.get(url)
        assert response.status_code == 200
        page = response.get_data(as_text=True)
        assert old["summary"] in page
        assert "verdict-headline" not in page
        assert "QMAS is not open to nationals of Nepal (NPL)." in page  # the rule's row
