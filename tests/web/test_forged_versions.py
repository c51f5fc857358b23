"""No lost edits: every form that changes a case must carry the version it was rendered from.
A missing, empty, non-numeric or stale version is refused like a conflict and changes
nothing, on every such form (issue 8, "No lost edits")."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from caseapp.models import AuditEntry, Case, Document
from caseapp.models.document import DocumentKind
from caseapp.services import cases as case_service
from caseapp.services import deposits as deposit_service
from caseapp.services.cases import VersionCheck
from caseapp.services.documents import upload_document
from tests.factories import (
    add_reference_rate,
    applicant_form,
    dependant_form,
    dependant_values,
    open_case,
)
from tests.services.test_documents import pdf_bytes, png_bytes
from tests.web.test_deposits import deposit_form, statement

FORGED = {"missing": None, "empty": "", "not a number": "abc", "stale": "1"}


def _forms(case, dependant_id, evidence_id, document_id):
    """(path, form data without a version, multipart?) for each form that changes a case."""
    base = f"/cases/{case.reference}"
    strip = lambda form: {k: v for k, v in form.items() if k != "version"}  # noqa: E731
    return {
        "applicant": (f"{base}/applicant", strip(applicant_form(phone="+852 2123 4567")), False),
        "details": (f"{base}/details", {"planned_submission_date": "2030-01-01"}, False),
        "new dependant": (f"{base}/dependants/new", strip(dependant_form()), False),
        "edit dependant": (f"{base}/dependants/{dependant_id}",
                           strip(dependant_form(given_name="Evan")), False),
        "remove dependant": (f"{base}/dependants/{dependant_id}/remove", {}, False),
        "new deposit": (f"{base}/deposits/new", strip(deposit_form()), False),
        "edit deposit": (f"{base}/deposits/{evidence_id}/edit",
                         strip(deposit_form(bank="Citibank")), False),
        "verify deposit": (f"{base}/deposits/{evidence_id}/verify", {}, False),
        "reject deposit": (f"{base}/deposits/{evidence_id}/reject",
                           {"reason": "Not in the applicant's name."}, False),
        "move status": (f"{base}/status", {"target": "collecting_documents"}, False),
        "upload document": (f"{base}/documents/upload", {"kind": "photo"}, True),
        "replace document": (f"{base}/documents/{document_id}/replace", {}, True),
    }


@pytest.mark.parametrize("form_name", [
    "applicant", "details", "new dependant", "edit dependant", "remove dependant",
    "new deposit", "edit deposit", "verify deposit", "reject deposit", "move status",
    "upload document", "replace document",
])
@pytest.mark.parametrize("forged", list(FORGED))
def test_a_form_without_its_version_changes_nothing(app, db, consultant, manager, client_for,
                                                    form_name, forged):
    case = open_case(consultant)
    dependant = case_service.add_dependant(consultant, case, dependant_values(), case.version)
    # The bank statement the evidence comes from (verifying needs it) and its reference rate.
    document = upload_document(consultant, case, DocumentKind.BANK_STATEMENT, "s.pdf",
                               io.BytesIO(pdf_bytes()), VersionCheck.SKIP)
    add_reference_rate("USD", "7.8125", statement()["statement_date"])
    evidence = deposit_service.record_deposit(
        consultant, case, statement(document_id=document.id), case.version)
    version = db.session.get(Case, case.id).version
    assert version == 4
    audit_before = db.session.scalar(select(func.count(AuditEntry.id)))
    documents_before = db.session.scalar(select(func.count(Document.id)))

    path, data, multipart = _forms(case, dependant.id, evidence.id, document.id)[form_name]
    if FORGED[forged] is not None:
        data["version"] = FORGED[forged]
    if multipart:
        data["file"] = (io.BytesIO(png_bytes()), "photo.png", "image/png")
    # A manager may verify and reject; the consultant's own forms go through their client.
    client = client_for(manager if "deposit" in form_name and form_name.split()[0] in (
        "verify", "reject") else consultant)
    response = client.post(path, data=data, follow_redirects=True,
                           content_type="multipart/form-data" if multipart else None)

    assert response.status_code == 200
    assert "while you were editing" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Case, case.id).version == version
    assert db.session.scalar(select(func.count(AuditEntry.id))) == audit_before
    assert db.session.scalar(select(func.count(Document.id))) == documents_before
