"""A dependant's passport expiry (issue 12): typed on the dependant form, checked like the
applicant's (a passport already expired is refused when typed), audited, and a deadline."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from caseapp import clock
from caseapp.models import AuditEntry, Case, Deadline, DeadlineKind, Dependant
from caseapp.services import cases as case_service
from caseapp.services.cases import VersionCheck
from caseapp.services.errors import ValidationFailed
from tests.factories import dependant_form, dependant_values, open_case


def _reload(db, case: Case) -> Case:
    db.session.expire_all()
    return db.session.get(Case, case.id)


def test_the_form_saves_a_dependants_passport_expiry_audited_with_its_deadline(
        app, db, consultant, consultant_client):
    case = open_case(consultant)
    expiry = clock.today() + timedelta(days=400)
    response = consultant_client.post(
        f"/cases/{case.reference}/dependants/new",
        data=dependant_form(passport_expiry=expiry.isoformat(), version=str(case.version)))
    assert response.status_code == 302
    dependant = db.session.scalars(select(Dependant)).one()
    assert dependant.passport_expiry == expiry
    entry = db.session.scalars(select(AuditEntry).where(
        AuditEntry.entity == f"dependant:{dependant.id}")).one()
    assert entry.changes["passport_expiry"] == [None, expiry.isoformat()]
    deadline = db.session.scalars(select(Deadline).where(
        Deadline.source == f"passport:dependant:{dependant.id}")).one()
    assert deadline.kind is DeadlineKind.PASSPORT_EXPIRY
    assert deadline.person == f"dependant:{dependant.id}"
    assert deadline.due_on < expiry
    page = consultant_client.get(f"/cases/{case.reference}").get_data(as_text=True)
    assert expiry.isoformat() in page


def test_changing_the_expiry_moves_the_deadline_and_is_audited(
        app, db, consultant, consultant_client):
    case = open_case(consultant)
    first = clock.today() + timedelta(days=400)
    dependant = case_service.add_dependant(
        consultant, case, dependant_values(passport_expiry=first), VersionCheck.SKIP)
    renewed = first + timedelta(days=3650)
    case = _reload(db, case)
    form = consultant_client.get(f"/cases/{case.reference}/dependants/{dependant.id}")
    assert first.isoformat() in form.get_data(as_text=True)
    response = consultant_client.post(
        f"/cases/{case.reference}/dependants/{dependant.id}",
        data=dependant_form(passport_expiry=renewed.isoformat(), version=str(case.version)))
    assert response.status_code == 302
    entry = db.session.scalars(select(AuditEntry).where(
        AuditEntry.entity == f"dependant:{dependant.id}", AuditEntry.action == "updated")).one()
    assert entry.changes == {"passport_expiry": [first.isoformat(), renewed.isoformat()]}
    deadline = db.session.scalars(select(Deadline).where(
        Deadline.source == f"passport:dependant:{dependant.id}")).one()
    assert first < deadline.due_on < renewed


def test_an_expired_passport_is_refused_beside_the_field_and_nothing_is_stored(
        app, db, consultant, consultant_client):
    case = open_case(consultant)
    expired = clock.today() - timedelta(days=1)
    response = consultant_client.post(
        f"/cases/{case.reference}/dependants/new",
        data=dependant_form(passport_expiry=expired.isoformat(), given_name="Mei",
                            version=str(case.version)))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert f"This passport expired on {expired.isoformat()}" in page
    assert 'value="Mei"' in page
    assert db.session.scalars(select(Dependant)).all() == []
    assert _reload(db, case).version == case.version


def test_the_service_refuses_a_newly_typed_expired_passport_but_keeps_a_stored_one(
        app, db, consultant):
    case = open_case(consultant)
    soon = clock.today() + timedelta(days=30)
    dependant = case_service.add_dependant(
        consultant, case, dependant_values(passport_expiry=soon), VersionCheck.SKIP)
    try:
        case_service.update_dependant(
            consultant, case, dependant,
            dependant_values(passport_expiry=clock.today() - timedelta(days=2)),
            VersionCheck.SKIP)
    except ValidationFailed as error:
        assert "passport_expiry" in error.errors
    else:
        raise AssertionError("an expired passport was saved")
    # The stored date is not "new": another field saves even if it has since passed.
    db.session.expire_all()
    dependant = db.session.get(Dependant, dependant.id)
    dependant.passport_expiry = clock.today() - timedelta(days=5)
    db.session.commit()
    case = _reload(db, case)
    case_service.update_dependant(
        consultant, case, dependant,
        dependant_values(passport_expiry=dependant.passport_expiry, given_name="Eve"),
        VersionCheck.SKIP)
    assert _reload(db, case).dependants[0].given_name == "Eve"


def test_the_api_reads_and_writes_a_dependants_passport_expiry(app, db, consultant):
    from caseapp.services import tokens
    from tests.api.conftest import ApiClient

    secret = tokens.create_token(consultant, consultant, "Passports",
                                 clock.today() + timedelta(days=30)).secret
    api = ApiClient(app.test_client(), secret)
    case = open_case(consultant)
    path = f"/api/v1/cases/{case.reference}/dependants"
    expiry = clock.today() + timedelta(days=500)
    created = api.post(path, if_match=case, json={
        "relation": "spouse", "given_name": "Mei", "family_name": "Tan",
        "passport_expiry": expiry.isoformat()})
    assert created.status_code == 201, created.json
    assert created.json["passport_expiry"] == expiry.isoformat()
    location = f"{path}/{created.json['id']}"
    assert api.get(location).json["passport_expiry"] == expiry.isoformat()

    expired = clock.today() - timedelta(days=1)
    refused = api.patch(location, headers={"If-Match": created.headers["ETag"]},
                        json={"passport_expiry": expired.isoformat()})
    assert refused.status_code == 422
    assert "passport_expiry" in refused.json["errors"]
    cleared = api.patch(location, headers={"If-Match": created.headers["ETag"]},
                        json={"passport_expiry": None})
    assert cleared.status_code == 200, cleared.json
    assert cleared.json["passport_expiry"] is None
    assert db.session.scalars(select(Deadline).where(
        Deadline.source == f"passport:dependant:{created.json['id']}")).all() == []
