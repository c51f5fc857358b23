"""Exports of the case list (CSV and Excel): what they hold and never hold, the list's filter and
order, formula neutralising, the audit entry, streaming, and who may. Both databases."""

from __future__ import annotations

import csv
import io
import re
import tempfile
import zipfile
from datetime import UTC, date, datetime
from decimal import Decimal
from xml.etree import ElementTree

import pytest
from sqlalchemy import select, update

from caseapp import clock
from caseapp.models import AuditEntry, Case
from caseapp.queries import case_list
from caseapp.queries.case_filters import CaseFilters
from caseapp.queries.case_list import SORT_KEYS, PageRequest, case_page
from caseapp.queries.exports import export_rows, read_snapshot
from caseapp.rules.workflow import CaseStatus
from caseapp.services import cases as case_service
from caseapp.services.workflow import move_status
from tests.factories import dependant_values, open_case

HEADER = ["Reference", "Applicant", "Chinese name", "Nationality", "Status", "Consultant",
          "Latest check", "Checked at", "Opened", "Updated", "Planned submission", "Family",
          "Dependants", "HKD counted"]
MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"


def set_columns(db, case: Case, **values) -> None:
    db.session.execute(update(Case).where(Case.id == case.id).values(**values))
    db.session.commit()
    db.session.expire_all()


def csv_rows(response) -> list[list[str]]:
    data = response.get_data()
    assert data.startswith("\ufeff".encode())  # Excel reads the file as UTF-8
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def _column(reference: str) -> int:
    letters = re.match(r"[A-Z]+", reference).group(0)
    number = 0
    for letter in letters:
        number = number * 26 + ord(letter) - 64
    return number - 1


def _unescape(text: str) -> str:
    # OOXML writes control characters as _xHHHH_ (Excel reads them back as the character).
    return re.sub(r"_x([0-9A-Fa-f]{4})_", lambda m: chr(int(m.group(1), 16)), text)


def xlsx_cells(data: bytes) -> list[dict[int, tuple[str, str, str | None]]]:
    """The first sheet's rows: {column: (type, text, style)}. Text cells are inline strings
    (constant-memory mode) or shared strings; numbers keep their text."""
    with zipfile.ZipFile(io.BytesIO(data)) as book:
        sheet = ElementTree.fromstring(book.read("xl/worksheets/sheet1.xml"))
        shared = []
        if "xl/sharedStrings.xml" in book.namelist():
            strings = ElementTree.fromstring(book.read("xl/sharedStrings.xml"))
            shared = [_unescape("".join(t.text or "" for t in si.iter(f"{MAIN}t")))
                      for si in strings.iter(f"{MAIN}si")]
    rows = []
    for row in sheet.iter(f"{MAIN}row"):
        cells: dict[int, tuple[str, str, str | None]] = {}
        for cell in row.iter(f"{MAIN}c"):
            kind = cell.get("t", "n")
            assert cell.find(f"{MAIN}f") is None  # never a formula
            if kind == "inlineStr":
                value = _unescape("".join(t.text or "" for t in cell.iter(f"{MAIN}t")))
                kind = "s"
            elif kind == "s":
                value = shared[int(cell.find(f"{MAIN}v").text)]
            else:
                value = cell.find(f"{MAIN}v").text
            cells[_column(cell.get("r"))] = (kind, value, cell.get("s"))
        rows.append(cells)
    return rows


def xlsx_text(data: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as book:
        return "".join(book.read(name).decode("utf-8", "replace") for name in book.namelist())


def references(rows: list[list[str]]) -> list[str]:
    return [row[0] for row in rows[1:]]


@pytest.fixture
def described_case(db, consultant):
    """A family case with a check on record, opened late on a UTC day (the next day in
    Hong Kong)."""
    case = open_case(consultant, given_name="Mei Ling", family_name="Tan", chinese_name="陳美玲",
                     nationality="MYS")
    case_service.add_dependant(consultant, case, dependant_values(), case.version)
    case_service.add_dependant(consultant, case, dependant_values(given_name="Ella"),
                               case.version)
    set_columns(db, case, latest_verdict="eligible",
                latest_check_at=datetime(2026, 3, 1, 17, 5, tzinfo=UTC),
                opened_at=datetime(2026, 2, 27, 20, 0, tzinfo=UTC),
                updated_at=datetime(2026, 3, 1, 17, 5, tzinfo=UTC),
                planned_submission_date=date(2026, 6, 30),
                counted_hkd=Decimal("1234.5"))
    return case


EXPECTED_ROW = ["Mei Ling Tan", "陳美玲", "MYS", "Intake", "Connie Consultant", "Eligible",
                "2026-03-02 01:05", "2026-02-28", "2026-03-02", "2026-06-30", "Yes", "2",
                "1234.50"]


# ---- what an export holds ----------------------------------------------------------------------

def test_csv_holds_every_column_in_the_business_time_zone(app, described_case, manager_client):
    response = manager_client.get("/manage/export.csv")
    assert response.status_code == 200
    rows = csv_rows(response)
    assert rows[0] == HEADER
    assert rows[1] == [described_case.reference, *EXPECTED_ROW]


def test_a_case_never_checked_and_without_dates_or_dependants(app, consultant, manager_client):
    case = open_case(consultant, chinese_name="", nationality=None)
    rows = csv_rows(manager_client.get("/manage/export.csv"))
    today = clock.today().isoformat()
    assert rows[1] == [case.reference, "Mei Ling Tan", "", "", "Intake", "Connie Consultant",
                       "Never checked", "", today, today, "", "No", "0", ""]


def test_xlsx_holds_the_same_with_typed_cells(app, described_case, manager_client):
    response = manager_client.get("/manage/export.xlsx")
    assert response.status_code == 200
    assert response.mimetype == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    rows = xlsx_cells(response.get_data())
    assert [rows[0][i][1] for i in range(len(HEADER))] == HEADER
    row = rows[1]
    texts = {i: value for i, (kind, value, _) in row.items() if kind == "s"}
    assert texts == {0: described_case.reference, 1: "Mei Ling Tan", 2: "陳美玲", 3: "MYS",
                     4: "Intake", 5: "Connie Consultant", 6: "Eligible", 11: "Yes"}
    numbers = {i: (float(value), style) for i, (kind, value, style) in row.items()
               if kind == "n"}
    # Dates are Excel day numbers with a date format; money a number with two decimals.
    assert numbers[8][0] == (date(2026, 2, 28) - date(1899, 12, 30)).days
    assert numbers[9][0] == (date(2026, 3, 2) - date(1899, 12, 30)).days
    assert numbers[10][0] == (date(2026, 6, 30) - date(1899, 12, 30)).days
    assert numbers[7][0] == pytest.approx(numbers[9][0] + (1 * 3600 + 5 * 60) / 86400)
    assert numbers[12] == (2.0, None)
    assert numbers[13][0] == 1234.5 and numbers[13][1] is not None
    with zipfile.ZipFile(io.BytesIO(response.get_data())) as book:
        styles = book.read("xl/styles.xml").decode()
    assert 'formatCode="#,##0.00"' in styles and 'formatCode="yyyy-mm-dd"' in styles


def test_no_passport_number_date_of_birth_or_email_leaves(app, described_case, manager_client):
    secrets = ["A12345678", "meiling@example.com", "1990-05-17", "1990", "+60 12 345 6789"]
    exported = manager_client.get("/manage/export.csv").get_data(as_text=True)
    workbook = xlsx_text(manager_client.get("/manage/export.xlsx").get_data())
    for secret in secrets:
        assert secret not in exported
        assert secret not in workbook


# ---- the list's filter and order ---------------------------------------------------------------

def test_exports_hold_the_filtered_list_in_its_order(app, db, consultant, other_consultant,
                                                     manager_client):
    lee = open_case(consultant, family_name="Lee")
    wong = open_case(other_consultant, family_name="Wong")
    chan = open_case(consultant, family_name="Chan")
    held = open_case(consultant, family_name="Au")
    move_status(consultant, held, CaseStatus.ON_HOLD, "Client travelling", held.version)
    assert references(csv_rows(manager_client.get(
        "/manage/export.csv?status=intake&sort=name"))) == [
        chan.reference, lee.reference, wong.reference]
    assert references(csv_rows(manager_client.get(
        f"/manage/export.csv?status=intake&consultant={consultant.id}&sort=-name"))) == [
        lee.reference, chan.reference]
    assert references(csv_rows(manager_client.get("/manage/export.csv?q=wong"))) == [
        wong.reference]
    rows = xlsx_cells(manager_client.get(
        "/manage/export.xlsx?status=intake&sort=name").get_data())
    assert [row[0][1] for row in rows[1:]] == [chan.reference, lee.reference, wong.reference]
    # The default order is the list's: most recently updated first.
    assert references(csv_rows(manager_client.get("/manage/export.csv")))[0] == (
        held.reference)


@pytest.mark.parametrize("sort", [*SORT_KEYS, *(f"-{key}" for key in SORT_KEYS)])
def test_batches_follow_the_lists_order_in_every_sort(app, db, consultant, other_consultant,
                                                      manager, sort):
    # Ties on every key, missing planned dates, two consultants: the keyset walk in batches of
    # two must give exactly the list's order.
    cases = []
    for i, (family, planned) in enumerate([("Tan", None), ("Tan", date(2026, 5, 1)),
                                           ("Lee", None), ("Tan", date(2026, 5, 1)),
                                           ("Au", date(2026, 4, 1)), ("Lee", None),
                                           ("Zhu", date(2026, 7, 1))]):
        case = open_case(consultant if i % 3 else other_consultant, family_name=family,
                         given_name="Ann" if i % 2 else "Bo")
        set_columns(db, case, planned_submission_date=planned,
                    updated_at=datetime(2026, 1, 1 + i % 3, tzinfo=UTC),
                    opened_at=datetime(2025, 12, 1, tzinfo=UTC),
                    latest_verdict=["eligible", "unchecked"][i % 2])
        cases.append(case)
    move_status(consultant, cases[1], CaseStatus.ON_HOLD, "Client travelling", cases[1].version)
    listed = [c.reference for c in case_page(
        manager, CaseFilters(), PageRequest(sort=sort, per_page=100)).items]
    with read_snapshot() as connection:
        batches = list(export_rows(connection, manager, CaseFilters(), sort, batch_size=2))
    assert [len(batch) for batch in batches] == [2, 2, 2, 1]
    assert [row[0] for batch in batches for row in batch] == listed


# ---- formulas ----------------------------------------------------------------------------------

FORMULAS = ["=cmd|' /C calc'!A0", "+1", "-2", "@SUM(A1:A2)", "\tTab", "\rReturn"]


def test_formula_like_text_is_neutralised_in_both_formats(app, db, make_user, manager_client):
    dangerous = make_user(name="=HYPERLINK(\"http://evil.example\")")
    made = {}
    for formula in FORMULAS:
        # Names are stripped when joined, so tab and CR reach the export through the Chinese
        # name, the others through the given name. The services now refuse tab and CR in a
        # name: these stand for rows saved before they did.
        if formula[0] in "\t\r":
            case = open_case(dangerous)
            case.applicant.chinese_name = formula
            db.session.commit()
            made[case.reference] = (2, formula)
        else:
            made[open_case(dangerous, given_name=formula, family_name="X").reference] = (
                1, f"{formula} X")
    rows = {row[0]: row for row in csv_rows(manager_client.get("/manage/export.csv"))[1:]}
    sheet = {row[0][1]: row for row in xlsx_cells(
        manager_client.get("/manage/export.xlsx").get_data())[1:]}
    assert set(rows) == set(sheet) == set(made)
    for reference, (column, value) in made.items():
        assert rows[reference][column] == "'" + value
        assert sheet[reference][column][1] == "'" + value
        assert rows[reference][5] == "'=HYPERLINK(\"http://evil.example\")"
        assert sheet[reference][5][1] == "'=HYPERLINK(\"http://evil.example\")"


def test_harmless_text_is_left_alone(app, consultant, manager_client):
    case = open_case(consultant, given_name="O'Brien", family_name="Smith-Jones")
    row = csv_rows(manager_client.get("/manage/export.csv"))[1]
    assert row[:2] == [case.reference, "O'Brien Smith-Jones"]


# ---- the record, the response, who may -------------------------------------------------------

def test_each_export_is_on_the_audit_trail_with_the_exact_count(app, db, consultant, manager,
                                                                manager_client, monkeypatch):
    monkeypatch.setattr(case_list, "COUNT_LIMIT", 2)  # the list's count would stop at 2
    for _ in range(3):
        open_case(consultant)
    manager_client.get("/manage/export.csv?status=intake&sort=name&after=abc&junk=1").get_data()
    manager_client.get("/manage/export.xlsx?q=tan").get_data()
    entries = list(db.session.scalars(select(AuditEntry).where(
        AuditEntry.action == "exported").order_by(AuditEntry.id)))
    assert [(e.user_id, e.entity, e.case_id) for e in entries] == [
        (manager.id, "cases", None), (manager.id, "cases", None)]
    assert entries[0].changes == {"format": [None, "csv"],
                                  "filter": [None, "status=intake&sort=name"],
                                  "rows": [None, "3"]}
    assert entries[1].changes == {"format": [None, "xlsx"], "filter": [None, "q=tan&sort=-updated"],
                                  "rows": [None, "3"]}


def test_exports_stream_as_dated_attachments_never_cached(app, consultant, manager_client):
    open_case(consultant)
    today = clock.today().isoformat()
    for extension, mimetype in [("csv", "text/csv"), ("xlsx", "application/vnd.openxmlformats-"
                                                     "officedocument.spreadsheetml.sheet")]:
        response = manager_client.get(f"/manage/export.{extension}", buffered=False)
        assert response.status_code == 200
        assert response.is_streamed
        assert response.mimetype == mimetype
        if extension == "csv":
            assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
        assert response.headers["Content-Disposition"] == (
            f"attachment; filename=cases-{today}.{extension}")
        assert "no-store" in response.headers["Cache-Control"]
        response.close()


def test_the_xlsx_temporary_file_is_gone_even_if_nobody_reads_it(app, consultant,
                                                                  manager_client, monkeypatch,
                                                                  tmp_path):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    open_case(consultant)
    response = manager_client.get("/manage/export.xlsx", buffered=False)
    assert response.status_code == 200
    assert list(tmp_path.iterdir()) == []  # taken off the disk as soon as it is open
    response.close()  # the client went away before the first byte
    assert list(tmp_path.iterdir()) == []
    whole = manager_client.get("/manage/export.xlsx").get_data()
    assert zipfile.ZipFile(io.BytesIO(whole)).testzip() is None
    assert list(tmp_path.iterdir()) == []


def test_an_empty_export_has_the_header_only(app, manager_client):
    assert csv_rows(manager_client.get("/manage/export.csv")) == [HEADER]
    rows = xlsx_cells(manager_client.get("/manage/export.xlsx").get_data())
    assert len(rows) == 1


@pytest.mark.parametrize("path", ["/manage/export.csv", "/manage/export.xlsx"])
def test_consultants_get_403_and_nothing_is_recorded(app, db, consultant, consultant_client,
                                                     path):
    open_case(consultant)
    assert consultant_client.get(path).status_code == 403
    assert db.session.scalars(select(AuditEntry).where(
        AuditEntry.action == "exported")).all() == []


@pytest.mark.parametrize("path", ["/manage/export.csv", "/manage/export.xlsx"])
def test_signed_out_visitors_are_sent_to_sign_in(app, path):
    response = app.test_client().get(path)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_admins_export_too(app, consultant, admin, client_for):
    open_case(consultant)
    assert len(csv_rows(client_for(admin).get("/manage/export.csv"))) == 2


@pytest.mark.parametrize("path", ["/manage/export.csv", "/manage/export.xlsx"])
def test_a_head_request_exports_nothing_and_records_nothing(app, db, consultant, manager_client,
                                                             path):
    open_case(consultant)
    assert manager_client.head(path).status_code == 200
    assert db.session.scalars(select(AuditEntry).where(
        AuditEntry.action == "exported")).all() == []
