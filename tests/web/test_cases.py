from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from caseapp import clock
from caseapp.models import AuditEntry, Case, Dependant
from caseapp.rules.workflow import CaseStatus
from caseapp.services import cases as case_service
from tests.factories import applicant_form, dependant_form, dependant_values, open_case


def _count(db, model):
    return db.session.scalar(select(func.count()).select_from(model))


# ---- the case list -------------------------------------------------------------------------

def test_consultant_sees_only_their_own_cases(app, consultant, other_consultant,
                                              consultant_client):
    mine = open_case(consultant, family_name="Mine")
    theirs = open_case(other_consultant, family_name="Theirs")
    page = consultant_client.get("/").get_data(as_text=True)
    assert mine.reference in page
    assert theirs.reference not in page


def test_manager_sees_every_case_with_its_consultant(app, consultant, other_consultant,
                                                     manager_client):
    a = open_case(consultant)
    b = open_case(other_consultant)
    page = manager_client.get("/").get_data(as_text=True)
    assert a.reference in page and b.reference in page
    assert "Carl Consultant" in page and "Connie Consultant" in page


# ---- ownership -------------------------------------------------------------------------------

@pytest.mark.parametrize("method,path", [
    ("get", ""), ("get", "/applicant"), ("post", "/applicant"), ("get", "/dependants/new"),
    ("post", "/dependants/new"), ("get", "/dependants/{dep}"), ("post", "/dependants/{dep}"),
    ("post", "/dependants/{dep}/remove"), ("get", "/details"), ("post", "/details"),
    ("post", "/checks"), ("post", "/status"), ("get", "/checks"), ("get", "/history"),
])
def test_another_consultants_case_is_not_found(app, db, consultant, other_consultant,
                                               client_for, method, path):
    case = open_case(other_consultant)
    from caseapp.services.cases import add_dependant
    dep = add_dependant(other_consultant, case, dependant_values(), case.version)
    url = f"/cases/{case.reference}" + path.format(dep=dep.id)
    response = getattr(client_for(consultant), method)(url, data=applicant_form())
    assert response.status_code == 404
    assert _count(db, Dependant) == 1
    assert db.session.get(Case, case.id).version == 2


def test_manager_can_open_any_case(app, consultant, manager_client):
    case = open_case(consultant)
    assert manager_client.get(f"/cases/{case.reference}").status_code == 200


def test_a_dependant_of_another_case_is_not_found_through_my_case(app, consultant,
                                                                   consultant_client):
    mine = open_case(consultant)
    other = open_case(consultant)
    from caseapp.services.cases import add_dependant
    dep = add_dependant(consultant, other, dependant_values(), other.version)
    response = consultant_client.get(f"/cases/{mine.reference}/dependants/{dep.id}")
    assert response.status_code == 404


# ---- opening and editing --------------------------------------------------------------------

def test_new_case_opens_a_client_file_and_audits_it(app, db, consultant, consultant_client):
    response = consultant_client.post("/cases/new", data=applicant_form(family_name="Ng"))
    assert response.status_code == 302
    case = db.session.scalars(select(Case)).one()
    assert case.consultant_id == consultant.id
    assert case.applicant.family_name == "Ng"
    assert case.applicant.date_of_birth == date(1990, 5, 17)
    page = consultant_client.get(response.headers["Location"]).get_data(as_text=True)
    assert case.reference in page and "Malaysia" in page
    actions = {e.action for e in db.session.scalars(select(AuditEntry))}
    assert {"case_opened", "created"} <= actions


@pytest.mark.parametrize("field,value,message", [
    ("date_of_birth", "1990-13-45", "Enter a real date"),
    ("date_of_birth", (clock.today() + timedelta(days=1)).isoformat(), "cannot be in the future"),
    ("nationality", "XXX", "not a known ISO 3166-1 country code"),
    ("family_name", "x" * 101, "Field cannot be longer than 100 characters"),
    ("given_name", "", "This field is required"),
    ("email", "not-an-email", "valid email"),
    ("criminal_record", "maybe", "Not one of the offered choices"),
    ("passport_expiry", "31/01/2030", "Enter a real date"),
])
def test_an_invalid_applicant_form_shows_the_error_and_saves_nothing(
        app, db, consultant_client, field, value, message):
    response = consultant_client.post("/cases/new", data=applicant_form(**{field: value}))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert message in page
    assert "Nothing was saved" in page
    assert _count(db, Case) == 0
    assert db.session.scalar(select(func.count(AuditEntry.id)).where(
        AuditEntry.case_id.is_not(None))) == 0


def test_editing_the_applicant_records_old_and_new_values(app, db, consultant,
                                                           consultant_client):
    case = open_case(consultant)
    response = consultant_client.post(
        f"/cases/{case.reference}/applicant",
        data=applicant_form(phone="2123 4567", nationality="GBR", version="1"),
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert case.applicant.nationality == "GBR"
    entry = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "updated")).one()
    assert entry.user_id == consultant.id
    # Phone numbers are stored in E.164; typed without a country code, a Hong Kong number.
    assert entry.changes == {"phone": ["+60123456789", "+85221234567"],
                             "nationality": ["MYS", "GBR"]}
    page = consultant_client.get(f"/cases/{case.reference}").get_data(as_text=True)
    assert "United Kingdom" in page


def test_an_invalid_edit_changes_nothing(app, db, consultant, consultant_client):
    case = open_case(consultant)
    response = consultant_client.post(f"/cases/{case.reference}/applicant",
                                      data=applicant_form(family_name="", version="1"))
    assert response.status_code == 200
    db.session.expire_all()
    assert case.applicant.family_name == "Tan"
    assert case.version == 1


def test_two_consultants_saving_the_same_version_conflict_and_nothing_is_lost(
        app, db, consultant, manager, client_for):
    case = open_case(consultant)
    first, second = client_for(consultant), client_for(manager)
    for client in (first, second):
        assert b'name="version" type="hidden" value="1"' in client.get(
            f"/cases/{case.reference}/applicant").data
    assert first.post(f"/cases/{case.reference}/applicant",
                      data=applicant_form(phone="2111 1111", version="1")).status_code == 302
    response = second.post(f"/cases/{case.reference}/applicant",
                           data=applicant_form(phone="3123 4567", email="new@example.com",
                                               version="1"))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Connie Consultant changed this case" in page
    assert "Your changes were not saved" in page
    assert 'value="3123 4567"' in page and 'value="new@example.com"' in page  # input kept
    db.session.expire_all()
    assert case.applicant.phone == "+85221111111"  # the first save stands
    assert case.applicant.email == "meiling@example.com"
    # Saving again from the refreshed version goes through.
    assert second.post(f"/cases/{case.reference}/applicant",
                       data=applicant_form(phone="3123 4567", version="2")).status_code == 302


def test_dependants_can_be_added_edited_and_removed(app, db, consultant, consultant_client):
    case = open_case(consultant)
    base = f"/cases/{case.reference}"
    response = consultant_client.post(f"{base}/dependants/new",
                                      data=dependant_form(given_name="Ethan", version="1"))
    assert response.status_code == 302
    dep = db.session.scalars(select(Dependant)).one()
    assert "Ethan Tan" in consultant_client.get(base).get_data(as_text=True)
    response = consultant_client.post(f"{base}/dependants/{dep.id}",
                                      data=dependant_form(given_name="Evan", version="2"))
    assert response.status_code == 302
    db.session.expire_all()
    assert dep.given_name == "Evan"
    response = consultant_client.post(f"{base}/dependants/{dep.id}/remove", data={"version": "3"})
    assert response.status_code == 302
    assert _count(db, Dependant) == 0
    actions = [(e.action, e.entity) for e in db.session.scalars(
        select(AuditEntry).order_by(AuditEntry.id))]
    assert actions[-3:] == [("created", f"dependant:{dep.id}"),
                            ("updated", f"dependant:{dep.id}"),
                            ("removed", f"dependant:{dep.id}")]


@pytest.mark.parametrize("field,value,message", [
    ("relation", "cousin", "Not one of the offered choices"),
    ("date_of_birth", "2015-02-30", "Enter a real date"),
    ("nationality", "ZZZ", "not a known ISO 3166-1 country code"),
    ("given_name", "y" * 200, "cannot be longer than 100"),
])
def test_an_invalid_dependant_form_saves_nothing(app, db, consultant, consultant_client,
                                                 field, value, message):
    case = open_case(consultant)
    response = consultant_client.post(f"/cases/{case.reference}/dependants/new",
                                      data=dependant_form(version="1", **{field: value}))
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert _count(db, Dependant) == 0


def test_a_closed_case_is_read_only(app, db, consultant, consultant_client):
    case = open_case(consultant)
    case.status = CaseStatus.WITHDRAWN
    db.session.commit()
    response = consultant_client.post(f"/cases/{case.reference}/applicant",
                                      data=applicant_form(phone="999", version=str(case.version)))
    assert response.status_code == 302
    db.session.expire_all()
    assert case.applicant.phone != "999"
    page = consultant_client.get(f"/cases/{case.reference}").get_data(as_text=True)
    assert "closed and read-only" in page and "Edit applicant" not in page


def test_only_consultants_open_cases(app, manager_client):
    assert manager_client.get("/cases/new").status_code == 403


def test_the_planned_submission_date_is_set_and_audited(app, db, consultant, consultant_client):
    case = open_case(consultant)
    planned = clock.today() + timedelta(days=30)
    response = consultant_client.post(f"/cases/{case.reference}/details",
                                      data={"planned_submission_date": planned.isoformat(),
                                            "version": "1"})
    assert response.status_code == 302
    db.session.expire_all()
    assert case.planned_submission_date == planned
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.entity == "case",
                                                        AuditEntry.action == "updated")).one()
    assert entry.changes == {"planned_submission_date": [None, planned.isoformat()]}
    past = consultant_client.post(f"/cases/{case.reference}/details",
                                  data={"planned_submission_date": "2001-01-01", "version": "2"})
    assert "cannot be in the past" in past.get_data(as_text=True)


def test_the_case_page_links_to_older_changes_when_there_are_more(app, db, consultant,
                                                                   consultant_client):
    case = open_case(consultant)
    for n in range(50):
        case_service.update_applicant(consultant, case, {"phone": f"+852 2123 {4500 + n}"},
                                      case.version)
    page = consultant_client.get(f"/cases/{case.reference}").get_data(as_text=True)
    assert "Older changes" in page and "opened the case" not in page
    older = consultant_client.get(f"/cases/{case.reference}/history?page=2").get_data(
        as_text=True)
    assert "opened the case" in older


def test_times_are_shown_in_the_consultancys_zone_named_once_in_the_footer(
        app, db, consultant, consultant_client):
    from datetime import UTC, datetime

    from sqlalchemy import update

    case = open_case(consultant)
    # 23:30 UTC on 1 March is 07:30 on 2 March in Hong Kong.
    db.session.execute(update(Case).where(Case.id == case.id).values(
        opened_at=datetime(2026, 3, 1, 23, 30, tzinfo=UTC)))
    db.session.commit()
    page = consultant_client.get(f"/cases/{case.reference}").get_data(as_text=True)
    assert "opened 2026-03-02 07:30" in page
    assert " UTC" not in page
    assert page.count("Asia/Hong_Kong") == 1
