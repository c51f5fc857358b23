"""Uploading a document for a dependant, and the checklist shown person by person."""

from __future__ import annotations

from caseapp.models import Document
from caseapp.rules.vocab import Relationship
from caseapp.services import cases as case_service
from caseapp.services.cases import VersionCheck
from tests.factories import dependant_values, open_case
from tests.services.test_documents import pdf_bytes
from tests.web.test_documents import panel, upload_form


def test_a_document_uploaded_for_a_child_ticks_the_childs_line_of_the_checklist(
        app, db, consultant, consultant_client):
    case = open_case(consultant)
    child = case_service.add_dependant(consultant, case, dependant_values(
        relation=Relationship.CHILD, given_name="Ethan"), VersionCheck.SKIP)
    page = " ".join(panel(consultant_client.get(f"/cases/{case.reference}").get_data(
        as_text=True)).split())
    assert "Ethan Tan <span class=\"muted\">(child)</span>" in page
    assert "✗</span> Birth certificate: <strong>missing</strong>" in page

    form = upload_form(pdf_bytes(), "birth.pdf", kind="birth_certificate", version=case.version)
    form["person"] = str(child.id)
    response = consultant_client.post(f"/cases/{case.reference}/documents/upload", data=form,
                                      content_type="multipart/form-data")
    assert response.status_code == 302
    document = db.session.query(Document).one()
    assert document.dependant_id == child.id
    page = " ".join(panel(consultant_client.get(f"/cases/{case.reference}").get_data(
        as_text=True)).split())
    assert "✓</span> Birth certificate: birth.pdf" in page


def test_a_person_not_of_the_case_is_a_form_error_and_nothing_is_stored(
        app, db, consultant, consultant_client):
    case = open_case(consultant)
    other = open_case(consultant)
    stranger = case_service.add_dependant(consultant, other, dependant_values(),
                                          VersionCheck.SKIP)
    form = upload_form(pdf_bytes(), version=case.version)
    form["person"] = str(stranger.id)
    response = consultant_client.post(f"/cases/{case.reference}/documents/upload", data=form,
                                      content_type="multipart/form-data")
    assert response.status_code == 200
    assert "Choose the applicant or one of the case&#39;s dependants." in response.get_data(
        as_text=True)
    assert db.session.query(Document).count() == 0
