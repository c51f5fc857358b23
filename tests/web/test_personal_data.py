"""Passport numbers never leave the pages that need them: a whole journey, from opening a case
to the managers' exports, a form error, a missing page and an unexpected error, with every
log record captured. The numbers may stand in the forms that edit them, never in a log, an
address (the access log keeps those), an export or an error page."""

from __future__ import annotations

import io
import logging
import re
import zipfile
from collections.abc import Iterator

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from caseapp.models import Case
from caseapp.services import tokens as token_service
from tests.factories import applicant_form, dependant_form, pdf_statement

APPLICANT_PASSPORT = "K98765432"
CORRECTED_PASSPORT = "EJ5551234"  # the number after a correction: the old one is history
PASSPORTS = (APPLICANT_PASSPORT, CORRECTED_PASSPORT)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ADDRESS = re.compile(r'(?:href|src|action)="([^"]*)"')


class Recorder:
    """Every address asked for or handed out, and every export and error page, in one place."""

    def __init__(self) -> None:
        self.addresses: list[str] = []
        self.exports: list[bytes] = []
        self.error_pages: list[str] = []

    def seen(self, path: str, response: TestResponse) -> TestResponse:
        self.addresses.append(path)
        if "Location" in response.headers:
            self.addresses.append(response.headers["Location"])
        if response.mimetype == "text/html":
            page = response.get_data(as_text=True)
            self.addresses.extend(ADDRESS.findall(page))
            if response.status_code >= 400:
                self.error_pages.append(page)
        if response.mimetype == "text/csv":
            self.exports.append(response.get_data())
        elif response.mimetype == XLSX:  # a zip of XML parts: read what a spreadsheet shows
            with zipfile.ZipFile(io.BytesIO(response.get_data())) as workbook:
                self.exports.append(b"".join(workbook.read(name) for name in workbook.namelist()))
        return response


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def all_logs(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    caplog.set_level(logging.DEBUG)  # the root logger: every library's records, too
    yield caplog


def get(client: FlaskClient, recorder: Recorder, path: str, **kwargs) -> TestResponse:
    return recorder.seen(path, client.get(path, **kwargs))


def post(client: FlaskClient, recorder: Recorder, path: str, **kwargs) -> TestResponse:
    return recorder.seen(path, client.post(path, **kwargs))


def test_a_whole_journey_leaves_no_passport_number_in_logs_addresses_exports_or_errors(
        app, db, consultant, manager, consultant_client, manager_client, recorder, all_logs,
        monkeypatch):
    c, m = consultant_client, manager_client
    # A consultant opens the case, then meets a form error with the number in the form.
    opened = post(c, recorder, "/cases/new",
                  data=applicant_form(passport_number=APPLICANT_PASSPORT))
    assert opened.status_code == 302
    case = db.session.query(Case).one()
    ref = case.reference
    for path in (f"/cases/{ref}", f"/cases/{ref}/applicant", f"/cases/{ref}/history"):
        assert get(c, recorder, path).status_code == 200
    failed = post(c, recorder, f"/cases/{ref}/applicant",
                  data=applicant_form(passport_number=APPLICANT_PASSPORT, date_of_birth="31/02",
                                      version=str(case.version)))
    assert failed.status_code == 200 and APPLICANT_PASSPORT in failed.get_data(as_text=True)
    # A spouse, a scan named after the passport, the checks, then the number corrected.
    assert post(c, recorder, f"/cases/{ref}/dependants/new",
                data=dependant_form(version=str(case.version))).status_code == 302
    db.session.expire_all()
    uploaded = post(c, recorder, f"/cases/{ref}/documents/upload",
                    data={"kind": "passport", "version": str(case.version),
                          "file": (io.BytesIO(pdf_statement()), f"{APPLICANT_PASSPORT}.pdf",
                                   "application/pdf")},
                    content_type="multipart/form-data")
    assert uploaded.status_code == 302
    assert post(c, recorder, f"/cases/{ref}/checks").status_code == 302
    db.session.expire_all()
    assert post(c, recorder, f"/cases/{ref}/applicant",
                data=applicant_form(passport_number=CORRECTED_PASSPORT,
                                    version=str(case.version))).status_code == 302
    for path in (f"/cases/{ref}", f"/cases/{ref}/checks", "/"):
        assert get(c, recorder, path).status_code == 200

    # A manager's lists and every export of them, on the pages and through the API.
    for path in ("/", "/manage/", f"/?q={ref}", f"/cases/{ref}"):
        assert get(m, recorder, path).status_code == 200
    for path in ("/manage/export.csv", "/manage/export.xlsx", f"/manage/export.csv?q={ref}"):
        assert get(m, recorder, path).status_code == 200
    secret = token_service.create_token(manager, manager, "journey",
                                        token_service.default_expiry()).secret
    bearer = {"Authorization": f"Bearer {secret}"}
    for path in ("/api/v1/cases/export.csv", f"/api/v1/cases/{ref}"):
        assert get(app.test_client(), recorder, path, headers=bearer).status_code == 200
    audit_rules = [rule.rule for rule in app.url_map.iter_rules()
                   if rule.endpoint in ("manage.audit", "manage.audit_export")]
    for path in audit_rules:  # the audit page and its export, where they exist
        assert get(m, recorder, path).status_code == 200

    # A page that is not there, and an unexpected error while saving the applicant.
    assert get(c, recorder, f"/cases/{ref}-X").status_code == 404
    assert get(c, recorder, f"/cases/{ref}/dependants/999999").status_code == 404

    def broken(*args, **kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr("caseapp.services.cases.update_applicant", broken)
    crashed = post(c, recorder, f"/cases/{ref}/applicant",
                   data=applicant_form(passport_number=APPLICANT_PASSPORT,
                                       version=str(case.version)))
    assert crashed.status_code == 500

    # What was looked at is there, and holds none of the numbers.
    # Three exports on the pages, one through the API, the audit trail's when it exists.
    assert len(recorder.exports) == 4 + ("manage.audit_export" in app.view_functions)
    assert len(recorder.error_pages) == 3
    assert any("Unhandled error" in record.getMessage() for record in all_logs.records)
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    logged = "\n".join(formatter.format(record) for record in all_logs.records)
    assert "RuntimeError: the database went away" in logged  # the traceback is in there
    for number in PASSPORTS:
        assert number not in logged
        assert not [a for a in recorder.addresses if number in a]
        leaked = [line for export in recorder.exports
                  for line in export.decode("utf-8", "replace").splitlines() if number in line]
        assert not leaked
        assert not [p for p in recorder.error_pages if number in p]
