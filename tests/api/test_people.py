"""The applicant and the dependants over the API: read, change, add, remove, with If-Match."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from caseapp import clock
from caseapp.extensions import db
from caseapp.models import AuditEntry, Case, Dependant, User
from caseapp.rules.vocab import Answer, Relationship
from caseapp.rules.workflow import CaseStatus
from caseapp.services import cases as case_service
from caseapp.services.cases import APPLICANT_FIELDS, VersionCheck
from caseapp.services.people import PHONE_MESSAGE, UNSAFE_TEXT_MESSAGE
from caseapp.services.workflow import move_status
from tests.api.conftest import ApiClient
from tests.factories import dependant_values, open_case


def applicant_path(case: Case) -> str:
    return f"/api/v1/cases/{case.reference}/applicant"


def dependants_path(case: Case) -> str:
    return f"/api/v1/cases/{case.reference}/dependants"


def add_child(actor: User, case: Case, **values: object) -> Dependant:
    return case_service.add_dependant(actor, case, dependant_values(**values), VersionCheck.SKIP)


def reload(case: Case) -> Case:
    db.session.expire_all()
    return db.session.get(Case, case.id)


# ---- the applicant ------------------------------------------------------------------------------

def test_the_applicant_has_every_field_the_case_page_shows(
        consultant: User, consultant_api: ApiClient) -> None:
    case = open_case(consultant)
    response = consultant_api.get(applicant_path(case))
    assert response.status_code == 200
    assert response.headers["ETag"] == f'"{case.version}"'
    body = response.json
    assert set(body) == {*APPLICANT_FIELDS, "income_hkd", "profit_hkd"}
    assert body["passport_number"] == "A12345678"
    assert body["date_of_birth"] == "1990-05-17"
    assert body["highest_qualification"] == "master"
    assert body["criminal_record"] == "no"
    assert body["phone"] == "+60123456789"
    assert body["income_amount"] is None and body["income_hkd"] is None


def test_a_patch_changes_the_fields_sent_and_computes_the_hkd_value(
        consultant: User, consultant_api: ApiClient) -> None:
    case = open_case(consultant)
    before = case.version
    response = consultant_api.patch(applicant_path(case), if_match=case, json={
        "phone": "2123 4567", "passport_number": "k 1234 567",
        "income_amount": "1,200,000.00", "income_currency": "USD",
        "income_rate_to_hkd": "7.8", "achievement_claim": "yes",
        "achievement_description": "  Olympic medal  "})
    assert response.status_code == 200, response.json
    assert response.headers["ETag"] == f'"{before + 1}"'
    body = response.json
    assert body["phone"] == "+85221234567"  # read as a Hong Kong number, stored as E.164
    assert body["passport_number"] == "K1234567"
    assert body["income_amount"] == "1200000.00"
    assert body["income_rate_to_hkd"] == "7.80000000"  # as stored, as a later read shows it
    assert body["income_hkd"] == "9360000.00"
    assert body["achievement_description"] == "Olympic medal"
    assert body["given_name"] == "Mei Ling"  # not sent: kept

    applicant = reload(case).applicant
    assert applicant.income_hkd == Decimal("9360000.00")
    assert applicant.achievement_claim is Answer.YES
    entry = db.session.query(AuditEntry).filter_by(entity="applicant", action="updated").one()
    assert entry.via == "api" and entry.api_token_id is not None
    assert "income_amount" in entry.changes


def test_an_unchanged_patch_writes_nothing_and_keeps_the_etag(
        consultant: User, consultant_api: ApiClient) -> None:
    case = open_case(consultant)
    response = consultant_api.patch(applicant_path(case), if_match=case,
                                    json={"family_name": "Tan"})
    assert response.status_code == 200
    assert response.headers["ETag"] == f'"{case.version}"'
    assert reload(case).version == case.version


def test_a_refused_patch_names_each_field_and_changes_nothing(
        consultant: User, consultant_api: ApiClient) -> None:
    case = open_case(consultant)
    response = consultant_api.patch(applicant_path(case), if_match=case, json={
        "income_amount": 1200000.5, "doctorate_count": 11, "master_count": "2",
        "criminal_record": "maybe", "nationality": "Malaysia", "given_name": "Mei\u202eLing",
        "family_name": "  ", "passport_number": "A-123", "professional_qualification": "yes",
        "favourite_colour": "blue"})
    assert response.status_code == 422
    errors = response.json["errors"]
    assert set(errors) == {"income_amount", "doctorate_count", "master_count", "criminal_record",
                           "nationality", "given_name", "family_name", "passport_number",
                           "professional_qualification", "favourite_colour"}
    assert "as a string of digits" in errors["income_amount"][0]
    assert errors["doctorate_count"] == ["Enter a whole number from 0 to 10."]
    assert errors["master_count"] == ["Enter a whole number, such as 3."]
    assert errors["given_name"] == [UNSAFE_TEXT_MESSAGE]
    assert errors["family_name"] == ["Enter the family name."]
    assert errors["favourite_colour"] == ["Unknown field."]
    assert reload(case).version == case.version
    assert reload(case).applicant.given_name == "Mei Ling"


def test_the_service_judges_what_the_schema_cannot_and_says_so_per_field(
        consultant: User, consultant_api: ApiClient) -> None:
    """The phone number, the years that are part of others, the money's own parser (the
    deposit form's: thousands commas in threes, no exponent) and a claimed achievement."""
    case = open_case(consultant)
    tomorrow = (clock.today() + timedelta(days=1)).isoformat()
    response = consultant_api.patch(applicant_path(case), if_match=case, json={
        "phone": "12", "graduate_work_years": 4, "senior_work_years": 6,
        "date_of_birth": tomorrow, "income_amount": "12,00,000", "income_currency": "HKD",
        "profit_amount": "1e6", "profit_currency": "HKD"})
    assert response.status_code == 422
    errors = response.json["errors"]
    assert errors["phone"] == [PHONE_MESSAGE]
    assert "part of the 4 years" in errors["senior_work_years"][0]
    assert errors["date_of_birth"] == ["A date of birth cannot be in the future."]
    assert errors["income_amount"] == [
        "Put thousands commas every three digits (1,250,000.00), or leave them out."]
    assert "an exponent (like 1e5) is not accepted" in errors["profit_amount"][0]

    claimed = consultant_api.patch(applicant_path(case), if_match=case,
                                   json={"achievement_claim": "yes"})
    assert claimed.status_code == 422
    assert claimed.json["errors"] == {"achievement_description": [
        "Describe the achievement and its evidence."]}
    applicant = reload(case).applicant
    assert applicant.phone == "+60123456789" and applicant.achievement_claim is Answer.NO
    assert reload(case).version == case.version


def test_opening_a_case_takes_the_whole_applicant(consultant_api: ApiClient) -> None:
    created = consultant_api.post("/api/v1/cases", json={"applicant": {
        "given_name": "Wei", "family_name": "Chen", "nationality": "CHN",
        "date_of_birth": "1988-02-29", "passport_number": "e1234 5678",
        "highest_qualification": "doctorate", "doctorate_count": 1,
        "profit_amount": "5000000.00", "profit_currency": "HKD"}})
    assert created.status_code == 201, created.json
    applicant = created.json["applicant"]
    assert applicant["passport_number"] == "E12345678"
    assert applicant["profit_hkd"] == "5000000.00" and applicant["profit_rate_to_hkd"] == "1"

    claimed = consultant_api.post("/api/v1/cases", json={"applicant": {
        "given_name": "Wei", "family_name": "Chen", "achievement_claim": "yes"}})
    assert claimed.status_code == 422
    assert claimed.json["errors"] == {"applicant": {"achievement_description": [
        "Describe the achievement and its evidence."]}}


def test_applicant_writes_need_if_match_and_a_stale_one_saves_nothing(
        consultant: User, consultant_api: ApiClient) -> None:
    case = open_case(consultant)
    body = {"family_name": "Lim"}
    missing = consultant_api.patch(applicant_path(case), json=body)
    assert missing.status_code == 428
    assert "If-Match" in missing.json["errors"]

    stale = consultant_api.patch(applicant_path(case), json=body,
                                 if_match=f'"{case.version - 1}"')
    assert stale.status_code == 412
    assert stale.json["current_version"] == case.version
    assert reload(case).applicant.family_name == "Tan"


def test_another_consultants_applicant_and_dependants_are_404(
        other_consultant: User, consultant_api: ApiClient) -> None:
    case = open_case(other_consultant)
    dependant = add_child(other_consultant, case)
    for response in (
            consultant_api.get(applicant_path(case)),
            consultant_api.patch(applicant_path(case), if_match=case,
                                 json={"family_name": "Lim"}),
            consultant_api.get(dependants_path(case)),
            consultant_api.post(dependants_path(case), if_match=case, json={
                "relation": "spouse", "given_name": "Ann", "family_name": "Lee"}),
            consultant_api.get(f"{dependants_path(case)}/{dependant.id}"),
            consultant_api.delete(f"{dependants_path(case)}/{dependant.id}", if_match=case)):
        assert response.status_code == 404
    assert reload(case).applicant.family_name == "Tan"
    assert len(reload(case).dependants) == 1


def test_a_manager_changes_any_case_as_on_the_page(
        consultant: User, manager: User, manager_api: ApiClient) -> None:
    case = open_case(consultant)
    response = manager_api.patch(applicant_path(case), if_match=case,
                                 json={"email": "mei@example.com"})
    assert response.status_code == 200, response.json
    assert reload(case).applicant.email == "mei@example.com"
    assert reload(case).updated_by_id == manager.id


def test_a_closed_case_refuses_changes_with_409(
        consultant: User, consultant_api: ApiClient) -> None:
    case = open_case(consultant)
    move_status(consultant, case, CaseStatus.WITHDRAWN, "Client withdrew", case.version)
    response = consultant_api.patch(applicant_path(case), if_match=case,
                                    json={"family_name": "Lim"})
    assert response.status_code == 409
    assert "withdrawn" in response.json["errors"]["request"][0]
    assert reload(case).applicant.family_name == "Tan"


# ---- the dependants -----------------------------------------------------------------------------

def test_add_read_change_and_remove_a_dependant(
        consultant: User, consultant_api: ApiClient) -> None:
    case = open_case(consultant)
    created = consultant_api.post(dependants_path(case), if_match=case, json={
        "relation": "child", "given_name": " Ethan ", "family_name": "Tan",
        "date_of_birth": "2015-03-02", "marital_status": "single", "nationality": "MYS"})
    assert created.status_code == 201, created.json
    assert created.json["given_name"] == "Ethan"
    assert created.json["spouse_has_degree"] == "unknown"
    location = created.headers["Location"]
    assert location == f"{dependants_path(case)}/{created.json['id']}"
    etag = created.headers["ETag"]
    assert etag == f'"{reload(case).version}"'

    read = consultant_api.get(location)
    assert read.status_code == 200 and read.json == created.json
    listed = consultant_api.get(dependants_path(case))
    assert [d["id"] for d in listed.json["items"]] == [created.json["id"]]
    assert listed.headers["ETag"] == etag

    changed = consultant_api.patch(location, headers={"If-Match": etag},
                                   json={"marital_status": "married"})
    assert changed.status_code == 200, changed.json
    assert changed.json["marital_status"] == "married"
    assert changed.json["date_of_birth"] == "2015-03-02"

    removed = consultant_api.delete(location, headers={"If-Match": changed.headers["ETag"]})
    assert removed.status_code == 204
    assert removed.data == b""
    assert removed.headers["ETag"] == f'"{reload(case).version}"'
    assert consultant_api.get(location).status_code == 404
    assert reload(case).dependants == []

    actions = [(e.action, e.via, e.api_token_id is not None) for e in db.session.query(
        AuditEntry).filter(AuditEntry.entity == f"dependant:{created.json['id']}")
        .order_by(AuditEntry.id)]
    assert actions == [("created", "api", True), ("updated", "api", True),
                       ("removed", "api", True)]


def test_a_refused_dependant_names_each_field_and_adds_nothing(
        consultant: User, consultant_api: ApiClient) -> None:
    case = open_case(consultant)
    response = consultant_api.post(dependants_path(case), if_match=case, json={
        "relation": "cousin", "family_name": "T" * 101, "marital_status": None,
        "spouse_has_degree": True})
    assert response.status_code == 422
    errors = response.json["errors"]
    assert set(errors) == {"relation", "given_name", "family_name", "spouse_has_degree"}
    assert errors["given_name"] == ["Missing data for required field."]

    # The service's own rule: a child is born after the applicant (1990-05-17).
    older = consultant_api.post(dependants_path(case), if_match=case, json={
        "relation": "child", "given_name": "Ann", "family_name": "Tan",
        "date_of_birth": "1989-01-01"})
    assert older.status_code == 422
    assert "born after the applicant" in older.json["errors"]["date_of_birth"][0]
    assert reload(case).dependants == []
    assert reload(case).version == case.version


def test_a_dependant_patch_is_partial_and_checked_like_the_page(
        consultant: User, consultant_api: ApiClient) -> None:
    case = open_case(consultant)
    child = add_child(consultant, case)
    path = f"{dependants_path(case)}/{child.id}"
    refused = consultant_api.patch(path, if_match=case, json={"date_of_birth": "1980-01-01"})
    assert refused.status_code == 422
    assert "date_of_birth" in refused.json["errors"]
    null_name = consultant_api.patch(path, if_match=case, json={"given_name": None})
    assert null_name.status_code == 422
    assert null_name.json["errors"] == {"given_name": ["Field may not be null."]}
    assert reload(case).dependants[0].date_of_birth == date(2015, 3, 2)


def test_dependant_writes_need_if_match_and_a_stale_one_saves_nothing(
        consultant: User, consultant_api: ApiClient) -> None:
    case = open_case(consultant)
    child = add_child(consultant, case)
    path = f"{dependants_path(case)}/{child.id}"
    body = {"relation": "spouse", "given_name": "Ann", "family_name": "Lee"}

    assert consultant_api.post(dependants_path(case), json=body).status_code == 428
    assert consultant_api.patch(path, json={"given_name": "Eli"}).status_code == 428
    assert consultant_api.delete(path).status_code == 428

    stale = f'"{case.version - 1}"'
    for response in (consultant_api.post(dependants_path(case), json=body, if_match=stale),
                     consultant_api.patch(path, json={"given_name": "Eli"}, if_match=stale),
                     consultant_api.delete(path, if_match=stale)):
        assert response.status_code == 412
        assert response.json["current_version"] == case.version
    case = reload(case)
    assert [(d.given_name, d.relation) for d in case.dependants] == [
        ("Ethan", Relationship.CHILD)]


def test_a_dependant_of_another_case_is_404(consultant: User,
                                             consultant_api: ApiClient) -> None:
    mine = open_case(consultant)
    other = open_case(consultant, family_name="Lim")
    child = add_child(consultant, other)
    path = f"{dependants_path(mine)}/{child.id}"
    assert consultant_api.get(path).status_code == 404
    assert consultant_api.delete(path, if_match=mine).status_code == 404
    assert len(reload(other).dependants) == 1


def test_the_dependant_list_takes_the_same_statements_however_long(
        consultant: User, consultant_api: ApiClient, count_statements) -> None:
    case = open_case(consultant)
    for n in range(2):
        add_child(consultant, case, given_name=f"Child{n}")

    def listed() -> tuple[int, int]:
        consultant_api.get(dependants_path(case))  # the token's last use is recorded once
        count_statements.reset()
        response = consultant_api.get(dependants_path(case))
        assert response.status_code == 200
        return len(response.json["items"]), count_statements.count

    two = listed()
    for n in range(2, 6):
        add_child(consultant, case, given_name=f"Child{n}")
    six = listed()
    assert (two[0], six[0]) == (2, 6)
    assert six[1] == two[1]
