"""``GET /api/v1/cases/export.csv``: the case list's filters and sort, the same file as the
managers' page, audited, never a passport number, managers and admins only. Both databases."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select, update

from caseapp import clock
from caseapp.models import AuditEntry, Case
from caseapp.rules.workflow import CaseStatus
from caseapp.services import cases as case_service
from caseapp.services.workflow import move_status
from tests.api.conftest import ApiClient
from tests.factories import dependant_values, open_case

PATH = "/api/v1/cases/export.csv"
HEADER = ["Reference", "Applicant", "Chinese name", "Nationality", "Status", "Consultant",
          "Latest check", "Checked at", "Opened", "Updated", "Planned submission", "Family",
          "Dependants", "HKD counted"]


def rows(response) -> list[list[str]]:
    assert response.status_code == 200, response.get_data(as_text=True)
    data = response.get_data()
    assert data.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def references(response) -> list[str]:
    return [row[0] for row in rows(response)[1:]]


def exports(db) -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(
        AuditEntry.action == "exported").order_by(AuditEntry.id)))


def test_a_manager_gets_every_column_as_csv(manager_api: ApiClient, consultant, db) -> None:
    case = open_case(consultant, given_name="Mei Ling", family_name="Tan",
                     chinese_name="陳美玲", nationality="MYS")
    case_service.add_dependant(consultant, case, dependant_values(), case.version)
    db.session.execute(update(Case).where(Case.id == case.id).values(
        latest_verdict="eligible", latest_check_at=datetime(2026, 3, 1, 17, 5, tzinfo=UTC),
        opened_at=datetime(2026, 2, 27, 20, 0, tzinfo=UTC),
        updated_at=datetime(2026, 3, 1, 17, 5, tzinfo=UTC),
        planned_submission_date=date(2026, 6, 30), counted_hkd=Decimal("1234.5")))
    db.session.commit()

    response = manager_api.get(PATH)
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"] == (
        f"attachment; filename=cases-{clock.today().isoformat()}.csv")
    assert "no-store" in response.headers["Cache-Control"]
    assert rows(response) == [HEADER, [
        case.reference, "Mei Ling Tan", "陳美玲", "MYS", "Intake", "Connie Consultant",
        "Eligible", "2026-03-02 01:05", "2026-02-28", "2026-03-02", "2026-06-30", "Yes", "1",
        "1234.50"]]


def test_no_passport_number_date_of_birth_email_or_phone(manager_api: ApiClient,
                                                         consultant) -> None:
    open_case(consultant, passport_number="K98765432")
    text = manager_api.get(PATH).get_data(as_text=True)
    header = text.splitlines()[0].lower()
    for column in ("passport", "birth", "email", "e-mail", "phone"):
        assert column not in header
    for value in ("K98765432", "1990-05-17", "meiling@example.com", "345 6789"):
        assert value not in text


def test_the_lists_filters_and_sort(manager_api: ApiClient, consultant, other_consultant
                                    ) -> None:
    lee = open_case(consultant, family_name="Lee")
    wong = open_case(other_consultant, family_name="Wong")
    chan = open_case(consultant, family_name="Chan")
    held = open_case(consultant, family_name="Au")
    move_status(consultant, held, CaseStatus.ON_HOLD, "Client travelling", held.version)

    assert references(manager_api.get(f"{PATH}?status=intake&sort=name")) == [
        chan.reference, lee.reference, wong.reference]
    assert references(manager_api.get(
        f"{PATH}?status=intake&consultant={consultant.id}&sort=-name")) == [
        lee.reference, chan.reference]
    assert references(manager_api.get(f"{PATH}?q=wong")) == [wong.reference]
    assert references(manager_api.get(f"{PATH}?status=on_hold&status=intake&sort=reference")
                      ) == sorted([lee.reference, wong.reference, chan.reference,
                                   held.reference])
    # The default order is the list's: most recently updated first.
    assert references(manager_api.get(PATH))[0] == held.reference
    # The export holds what the list holds, in its order.
    listed = manager_api.get("/api/v1/cases?status=intake&sort=name").json["items"]
    assert [c["reference"] for c in listed] == [chan.reference, lee.reference, wong.reference]


def test_the_page_and_the_api_give_the_same_file_for_the_same_filter(
        manager_api: ApiClient, manager_client, consultant, other_consultant, db) -> None:
    for n, owner in enumerate([consultant, other_consultant, consultant, consultant]):
        open_case(owner, family_name=f"Family{n}", given_name="=cmd" if n == 2 else "Ann")
    query = f"status=intake&consultant={consultant.id}&q=family&sort=name"
    # Each file read before the next request: a streamed response holds its request open.
    from_api = manager_api.get(f"{PATH}?{query}").get_data()
    from_page = manager_client.get(f"/manage/export.csv?{query}").get_data()
    assert from_api == from_page
    written = list(csv.reader(io.StringIO(from_api.decode("utf-8-sig"), newline="")))
    assert len(written) == 4  # the header and three cases
    assert "'=cmd Family2" in [row[1] for row in written]  # neutralised alike

    api_entry, page_entry = exports(db)
    assert api_entry.changes == page_entry.changes == {
        "format": [None, "csv"],
        "filter": [None, f"status=intake&consultant={consultant.id}&q=family&sort=name"],
        "rows": [None, "3"]}
    assert (api_entry.via, page_entry.via) == ("api", None)
    assert api_entry.api_token_id is not None


def test_each_export_is_recorded_with_its_filter_and_count(manager_api: ApiClient, manager,
                                                           consultant, db) -> None:
    for _ in range(2):
        open_case(consultant)
    assert len(rows(manager_api.get(f"{PATH}?family=single"))) == 3
    (entry,) = exports(db)
    assert entry.user_id == manager.id and entry.entity == "cases"
    assert entry.changes == {"format": [None, "csv"],
                             "filter": [None, "family=single&sort=-updated"],
                             "rows": [None, "2"]}
    assert manager_api.open("HEAD", PATH).status_code == 200
    assert len(exports(db)) == 1  # a probe is not an export


@pytest.mark.parametrize("query,field", [
    ("per_page=10", "per_page"),       # an export has no pages
    ("after=abc", "after"),
    ("colour=blue", "colour"),
    ("status=lost", "status"),
    ("sort=passport", "sort"),
    ("opened_from=2026-13-01", "opened_from"),
    ("q=%E2%80%AEtan", "q"),           # a text-direction character
])
def test_bad_parameters_are_422_and_export_nothing(manager_api: ApiClient, consultant, db,
                                                   query, field) -> None:
    open_case(consultant)
    response = manager_api.get(f"{PATH}?{query}")
    assert response.status_code == 422
    assert field in response.json["errors"]
    assert exports(db) == []


def test_consultants_get_403_and_nothing_is_recorded(consultant_api: ApiClient, consultant,
                                                     db) -> None:
    open_case(consultant)
    response = consultant_api.get(PATH)
    assert response.status_code == 403
    assert response.json == {"errors": {"request": ["Your role does not allow this."]}}
    assert consultant_api.get(f"{PATH}?colour=blue").status_code == 403
    assert exports(db) == []


def test_admins_export_too(admin_api: ApiClient, consultant, other_consultant) -> None:
    open_case(consultant)
    open_case(other_consultant)
    assert len(rows(admin_api.get(PATH))) == 3


def test_the_document_says_the_answer_is_csv(app, consultant) -> None:
    spec = app.test_client().get("/api/v1/openapi.json").json
    operation = spec["paths"][PATH]["get"]
    assert list(operation["responses"]["200"]["content"]) == ["text/csv"]
    names = {p["name"] for p in operation["parameters"]}
    assert {"q", "status", "consultant", "sort", "stale"} <= names
    assert not names & {"after", "before", "per_page"}
