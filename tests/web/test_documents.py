"""Document pages: upload, replace and download through the browser's eyes."""

from __future__ import annotations

import hashlib
import io
import re

import pytest
from sqlalchemy import func, select

from caseapp.models import AuditEntry, Document, DocumentKind, Role
from caseapp.rules.workflow import CaseStatus
from caseapp.services import documents as document_service
from caseapp.services.cases import VersionCheck
from caseapp.web.helpers import describe_audit
from tests.factories import open_case
from tests.services.test_documents import (
    exe_bytes,
    gif_bytes,
    jpeg_bytes,
    pdf_bytes,
    png_bytes,
    stored_files,
    text_bytes,
)


def _count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def upload_form(data: bytes, filename: str = "passport.pdf", kind: str = "passport",
                version: int | str = 1, mimetype: str = "application/pdf") -> dict:
    return {"kind": kind, "version": str(version),
            "file": (io.BytesIO(data), filename, mimetype)}


def stored(consultant, case, data: bytes = b"", filename: str = "passport.pdf",
           kind: DocumentKind = DocumentKind.PASSPORT) -> Document:
    return document_service.upload_document(consultant, case, kind, filename,
                                            io.BytesIO(data or pdf_bytes()), VersionCheck.SKIP)


def panel(page: str) -> str:
    """The documents section of a case page."""
    match = re.search(r'<section class="panel" id="documents">.*?</section>', page, re.S)
    assert match, "the case page has no documents panel"
    return match.group(0)


# ---- uploading -----------------------------------------------------------------------------

@pytest.mark.parametrize("filename,make,kind", [
    ("passport.pdf", pdf_bytes, "passport"),
    ("photo.png", png_bytes, "photo"),
    ("degree.jpeg", jpeg_bytes, "degree_certificate"),
])
def test_uploading_a_document_stores_it_and_shows_it_on_the_case_page(
        app, db, consultant, consultant_client, filename, make, kind):
    case = open_case(consultant)
    data = make()
    response = consultant_client.post(f"/cases/{case.reference}/documents/upload",
                                      data=upload_form(data, filename, kind),
                                      content_type="multipart/form-data")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/cases/{case.reference}#documents")
    document = db.session.scalars(select(Document)).one()
    assert document.kind == DocumentKind(kind)
    assert document.sha256 == hashlib.sha256(data).hexdigest()
    assert document.size_bytes == len(data)
    [path] = stored_files(app)
    assert path.name == document.stored_name and filename not in str(path)

    page = consultant_client.get(f"/cases/{case.reference}").get_data(as_text=True)
    assert f"uploaded: {filename}" in page  # the flash
    section = panel(page)
    assert filename in section and document.sha256[:12] in section
    assert f"/cases/{case.reference}/documents/{document.id}/download" in section


def test_the_upload_page_preselects_the_kind_from_the_checklist_link(app, consultant,
                                                                    consultant_client):
    case = open_case(consultant)
    page = consultant_client.get(
        f"/cases/{case.reference}/documents/upload?kind=police_certificate").get_data(as_text=True)
    assert '<option selected value="police_certificate">' in page
    assert 'enctype="multipart/form-data"' in page
    assert 'name="version" type="hidden" value="1"' in page


@pytest.mark.parametrize("filename,make,mimetype", [
    ("notes.pdf", text_bytes, "application/pdf"),
    ("scan.gif", gif_bytes, "image/gif"),
    ("passport.pdf", exe_bytes, "application/pdf"),  # an .exe renamed, claiming to be a PDF
])
def test_a_file_of_the_wrong_type_is_refused_with_a_message(app, db, consultant,
                                                            consultant_client, filename, make,
                                                            mimetype):
    case = open_case(consultant)
    response = consultant_client.post(
        f"/cases/{case.reference}/documents/upload",
        data=upload_form(make(), filename, mimetype=mimetype),
        content_type="multipart/form-data")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "This file is not a PDF, JPEG or PNG" in page
    assert "Nothing was saved" in page
    assert _count(db, Document) == 0
    assert stored_files(app) == []


@pytest.mark.parametrize("data,message", [
    (b"", "That file is empty."),
    (pdf_bytes("x" * 4096), "That file is larger than 1 KB."),
])
def test_an_empty_or_too_large_file_is_refused_with_a_message(app, db, consultant,
                                                              consultant_client, data, message):
    app.config["MAX_UPLOAD_BYTES"] = 1024
    case = open_case(consultant)
    response = consultant_client.post(f"/cases/{case.reference}/documents/upload",
                                      data=upload_form(data),
                                      content_type="multipart/form-data")
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert _count(db, Document) == 0
    assert stored_files(app) == []


def test_a_request_over_max_content_length_gets_a_clear_message_not_an_error_page(
        app, db, consultant, consultant_client):
    app.config["MAX_UPLOAD_BYTES"] = 2 * 1024 * 1024
    app.config["MAX_CONTENT_LENGTH"] = 2 * 1024 * 1024 + 1024
    case = open_case(consultant)
    response = consultant_client.post(
        f"/cases/{case.reference}/documents/upload",
        data=upload_form(pdf_bytes("x" * 3 * 1024 * 1024)),
        content_type="multipart/form-data")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/cases/{case.reference}#documents")
    page = consultant_client.get(f"/cases/{case.reference}").get_data(as_text=True)
    assert "That file is larger than 2 MB" in page and "Nothing was uploaded" in page
    assert _count(db, Document) == 0
    assert stored_files(app) == []


def test_a_replacement_over_max_content_length_gets_the_same_message(app, db, consultant,
                                                                    consultant_client):
    case = open_case(consultant)
    document = stored(consultant, case)
    app.config["MAX_CONTENT_LENGTH"] = 4096
    response = consultant_client.post(
        f"/cases/{case.reference}/documents/{document.id}/replace",
        data={"version": "2", "file": (io.BytesIO(pdf_bytes("x" * 8192)), "new.pdf")},
        content_type="multipart/form-data")
    assert response.status_code == 302
    page = consultant_client.get(f"/cases/{case.reference}").get_data(as_text=True)
    assert "That file is larger than" in page
    assert _count(db, Document) == 1


def test_with_csrf_on_the_panel_form_uploads_and_a_huge_body_still_gets_the_message(
        app, db, consultant, consultant_client):
    app.config["WTF_CSRF_ENABLED"] = True
    case = open_case(consultant)
    page = consultant_client.get(f"/cases/{case.reference}").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', panel(page)).group(1)
    form = upload_form(pdf_bytes())
    response = consultant_client.post(f"/cases/{case.reference}/documents/upload",
                                      data={**form, "csrf_token": token},
                                      content_type="multipart/form-data")
    assert response.status_code == 302
    assert _count(db, Document) == 1

    # CSRF protection reads the form before the view runs, so the 413 is raised there.
    app.config["MAX_CONTENT_LENGTH"] = 4096
    response = consultant_client.post(
        f"/cases/{case.reference}/documents/upload",
        data={**upload_form(pdf_bytes("x" * 8192), version=2), "csrf_token": token},
        content_type="multipart/form-data")
    assert response.status_code == 302
    page = consultant_client.get(f"/cases/{case.reference}").get_data(as_text=True)
    assert "That file is larger than" in page
    assert _count(db, Document) == 1


def test_an_upload_without_a_csrf_token_is_refused(app, db, consultant, consultant_client):
    app.config["WTF_CSRF_ENABLED"] = True
    case = open_case(consultant)
    response = consultant_client.post(f"/cases/{case.reference}/documents/upload",
                                      data=upload_form(pdf_bytes()),
                                      content_type="multipart/form-data")
    assert response.status_code == 400
    assert _count(db, Document) == 0
    assert stored_files(app) == []


def test_the_kind_must_be_chosen(app, db, consultant, consultant_client):
    case = open_case(consultant)
    response = consultant_client.post(f"/cases/{case.reference}/documents/upload",
                                      data=upload_form(pdf_bytes(), kind=""),
                                      content_type="multipart/form-data")
    assert response.status_code == 200
    assert "Choose the kind of document." in response.get_data(as_text=True)
    assert _count(db, Document) == 0


def test_submitting_without_a_file_asks_for_one(app, db, consultant, consultant_client):
    case = open_case(consultant)
    response = consultant_client.post(f"/cases/{case.reference}/documents/upload",
                                      data={"kind": "passport", "version": "1"},
                                      content_type="multipart/form-data")
    assert response.status_code == 200
    assert "Choose a file to upload." in response.get_data(as_text=True)
    assert _count(db, Document) == 0


def test_an_unknown_kind_is_refused(app, db, consultant, consultant_client):
    case = open_case(consultant)
    response = consultant_client.post(f"/cases/{case.reference}/documents/upload",
                                      data=upload_form(pdf_bytes(), kind="visa_photo"),
                                      content_type="multipart/form-data")
    assert response.status_code == 200
    assert "Not one of the offered choices" in response.get_data(as_text=True)
    assert _count(db, Document) == 0


def test_an_upload_from_a_stale_page_conflicts_and_says_so(app, db, consultant,
                                                          consultant_client):
    case = open_case(consultant)
    stored(consultant, case)  # version 2 now
    response = consultant_client.post(f"/cases/{case.reference}/documents/upload",
                                      data=upload_form(png_bytes(), "me.png", "photo", 1),
                                      content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "changed this case" in page
    assert 'name="version" type="hidden" value="2"' in page
    assert _count(db, Document) == 1
    assert len(stored_files(app)) == 1


def test_an_upload_is_audited_and_shows_in_the_history(app, db, consultant, consultant_client):
    case = open_case(consultant)
    consultant_client.post(f"/cases/{case.reference}/documents/upload",
                           data=upload_form(pdf_bytes()), content_type="multipart/form-data")
    document = db.session.scalars(select(Document)).one()
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "uploaded")).one()
    assert entry.entity == f"document:{document.id}" and entry.user_id == consultant.id
    assert entry.changes["sha256"] == [None, document.sha256]
    page = consultant_client.get(f"/cases/{case.reference}").get_data(as_text=True)
    assert describe_audit("uploaded", f"document:{document.id}") in page


# ---- closed cases ------------------------------------------------------------------------------

def test_a_closed_case_refuses_uploads_but_still_offers_downloads(app, db, consultant,
                                                                  consultant_client):
    case = open_case(consultant)
    document = stored(consultant, case)
    case.status = CaseStatus.WITHDRAWN
    db.session.commit()
    base = f"/cases/{case.reference}/documents"

    response = consultant_client.post(f"{base}/upload", data=upload_form(png_bytes(), "a.png",
                                                                         "photo", case.version),
                                      content_type="multipart/form-data")
    assert response.status_code == 302
    response = consultant_client.post(f"{base}/{document.id}/replace",
                                      data={"version": str(case.version),
                                            "file": (io.BytesIO(pdf_bytes()), "b.pdf")},
                                      content_type="multipart/form-data")
    assert response.status_code == 302
    assert _count(db, Document) == 1
    assert len(stored_files(app)) == 1

    page = consultant_client.get(f"/cases/{case.reference}").get_data(as_text=True)
    assert "withdrawn: no documents can be uploaded" in page
    section = panel(page)
    assert "<form" not in section and "Replace" not in section
    assert "Upload document" not in section and "/documents/upload" not in section
    assert f"{base}/{document.id}/download" in section
    assert consultant_client.get(f"{base}/{document.id}/download").status_code == 200


# ---- access ------------------------------------------------------------------------------------

@pytest.mark.parametrize("method,path", [
    ("get", "/upload"), ("post", "/upload"), ("get", "/{doc}/replace"),
    ("post", "/{doc}/replace"), ("get", "/{doc}/download"),
])
def test_another_consultants_documents_are_not_found(app, db, consultant, other_consultant,
                                                     client_for, method, path):
    case = open_case(other_consultant)
    document = stored(other_consultant, case)
    url = f"/cases/{case.reference}/documents" + path.format(doc=document.id)
    response = getattr(client_for(consultant), method)(
        url, data=upload_form(png_bytes(), "x.png", "photo", case.version),
        content_type="multipart/form-data")
    assert response.status_code == 404
    assert _count(db, Document) == 1
    assert len(stored_files(app)) == 1


@pytest.mark.parametrize("method,path", [
    ("get", "/{doc}/download"), ("get", "/{doc}/replace"), ("post", "/{doc}/replace"),
    ("get", "/99999/download"),
])
def test_a_document_of_another_case_is_not_found_through_my_case(app, db, consultant,
                                                                consultant_client, method,
                                                                path):
    mine, other = open_case(consultant), open_case(consultant)
    document = stored(consultant, other)
    url = f"/cases/{mine.reference}/documents" + path.format(doc=document.id)
    response = getattr(consultant_client, method)(
        url, data={"version": "1", "file": (io.BytesIO(pdf_bytes()), "x.pdf")},
        content_type="multipart/form-data")
    assert response.status_code == 404
    assert _count(db, Document) == 1


def test_signed_out_users_are_sent_to_sign_in(app, consultant):
    case = open_case(consultant)
    document = stored(consultant, case)
    response = app.test_client().get(
        f"/cases/{case.reference}/documents/{document.id}/download")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


# ---- downloading -------------------------------------------------------------------------------

@pytest.mark.parametrize("role", [Role.MANAGER, Role.ADMIN])
def test_a_manager_or_admin_can_download_any_document(app, consultant, make_user, client_for,
                                                      role):
    case = open_case(consultant)
    data = png_bytes()
    document = stored(consultant, case, data, "photo.png", DocumentKind.PHOTO)
    response = client_for(make_user(role)).get(
        f"/cases/{case.reference}/documents/{document.id}/download")
    assert response.status_code == 200
    assert response.data == data
    assert response.mimetype == "image/png"
    assert response.headers["Content-Disposition"] == "attachment; filename=photo.png"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response.headers["Cache-Control"]


def test_a_download_is_sent_under_its_original_name_even_when_not_ascii(app, consultant,
                                                                       consultant_client):
    case = open_case(consultant)
    document = stored(consultant, case, filename="護照.pdf")
    response = consultant_client.get(
        f"/cases/{case.reference}/documents/{document.id}/download")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert "filename*=UTF-8''%E8%AD%B7%E7%85%A7.pdf" in response.headers["Content-Disposition"]


def test_a_document_whose_file_is_missing_says_so_instead_of_failing(app, consultant,
                                                                     consultant_client):
    case = open_case(consultant)
    document = stored(consultant, case)
    document_service.open_document(document).unlink()
    url = f"/cases/{case.reference}/documents/{document.id}/download"
    response = consultant_client.get(url)
    assert response.status_code == 302
    page = consultant_client.get(f"/cases/{case.reference}").get_data(as_text=True)
    assert "missing from storage" in page


# ---- replacing ---------------------------------------------------------------------------------

def test_replacing_a_document_keeps_the_earlier_version_listed_and_downloadable(
        app, db, consultant, consultant_client):
    case = open_case(consultant)
    first = stored(consultant, case, pdf_bytes("v1"), "passport-old.pdf")
    response = consultant_client.post(
        f"/cases/{case.reference}/documents/{first.id}/replace",
        data={"version": "2", "file": (io.BytesIO(jpeg_bytes()), "passport-new.jpg")},
        content_type="multipart/form-data")
    assert response.status_code == 302
    db.session.expire_all()
    second = db.session.scalars(select(Document).where(Document.id != first.id)).one()
    assert db.session.get(Document, first.id).replaced_by_id == second.id
    assert second.kind is DocumentKind.PASSPORT

    page = consultant_client.get(f"/cases/{case.reference}").get_data(as_text=True)
    section = panel(page)
    assert "1 earlier version" in section
    assert section.index("passport-new.jpg") < section.index("passport-old.pdf")
    assert "✓</span> Passport: passport-new.jpg" in " ".join(section.split())
    old = consultant_client.get(f"/cases/{case.reference}/documents/{first.id}/download")
    assert old.status_code == 200 and old.data == pdf_bytes("v1")


def test_a_wrong_type_replacement_is_refused_and_the_current_version_stays(
        app, db, consultant, consultant_client):
    case = open_case(consultant)
    first = stored(consultant, case)
    response = consultant_client.post(
        f"/cases/{case.reference}/documents/{first.id}/replace",
        data={"version": "2", "file": (io.BytesIO(gif_bytes()), "new.pdf")},
        content_type="multipart/form-data")
    assert response.status_code == 200
    assert "This file is not a PDF, JPEG or PNG" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Document, first.id).is_current
    assert _count(db, Document) == 1


def test_an_earlier_version_cannot_be_replaced(app, db, consultant, consultant_client):
    case = open_case(consultant)
    first = stored(consultant, case)
    document_service.replace_document(consultant, case, first, "b.pdf", io.BytesIO(pdf_bytes()),
                                      VersionCheck.SKIP)
    response = consultant_client.post(
        f"/cases/{case.reference}/documents/{first.id}/replace",
        data={"version": "3", "file": (io.BytesIO(pdf_bytes()), "c.pdf")},
        content_type="multipart/form-data")
    assert response.status_code == 302
    page = consultant_client.get(f"/cases/{case.reference}").get_data(as_text=True)
    assert "already been replaced" in page
    assert _count(db, Document) == 2


# ---- the panel ---------------------------------------------------------------------------------

def test_the_checklist_shows_which_required_documents_are_missing(app, consultant,
                                                                  consultant_client):
    case = open_case(consultant)
    stored(consultant, case, png_bytes(), "me.png", DocumentKind.PHOTO)
    stored(consultant, case, pdf_bytes(), "cv.pdf", DocumentKind.OTHER)
    section = panel(consultant_client.get(f"/cases/{case.reference}").get_data(as_text=True))
    assert "✓</span> Photo: me.png" in " ".join(section.split())
    for label in ("Passport", "Degree certificate", "Bank statement", "Police certificate"):
        assert f"✗</span> {label}: <strong>missing</strong>" in section
    assert "Other: " not in section  # "other" is never required
    assert section.count("<strong>missing</strong>") == 4


def test_an_open_case_shows_the_upload_form(app, consultant, consultant_client):
    case = open_case(consultant)
    section = panel(consultant_client.get(f"/cases/{case.reference}").get_data(as_text=True))
    assert "No documents uploaded yet." in section
    assert 'enctype="multipart/form-data"' in section
    assert 'name="csrf_token"' in section
    assert 'name="version" value="1"' in section
    assert 'type="file"' in section and 'name="kind"' in section


def test_the_case_page_issues_the_same_number_of_statements_however_many_documents(
        app, consultant, make_user, consultant_client, count_statements):
    case = open_case(consultant)
    managers = [make_user(Role.MANAGER) for _ in range(3)]

    def add(uploader, kind=DocumentKind.OTHER) -> Document:
        return stored(uploader, case, pdf_bytes(), "a.pdf", kind)

    # Uploaders the page has not loaded already, so their lookup is in both counts.
    add(managers[0])
    add(consultant)
    count_statements.reset()
    assert consultant_client.get(f"/cases/{case.reference}").status_code == 200
    with_two = count_statements.count

    for i in range(10):
        document = add(managers[i % 3], DocumentKind.PASSPORT)
        document_service.replace_document(managers[(i + 1) % 3], case, document, "b.png",
                                          io.BytesIO(png_bytes()), VersionCheck.SKIP)
    add(consultant)
    count_statements.reset()
    response = consultant_client.get(f"/cases/{case.reference}")
    assert response.status_code == 200
    assert panel(response.get_data(as_text=True)).count("earlier version") == 10
    assert count_statements.count == with_two


def test_the_documents_panel_loads_every_uploader_in_a_fixed_number_of_statements(
        app, db, consultant, make_user, count_statements):
    """The page test above can be helped by the history's user loading; this one cannot."""
    from caseapp.models import Case
    from caseapp.queries.documents import document_panel_context

    case_id = open_case(consultant).id

    def panel_statements() -> int:
        db.session.expunge_all()  # nothing already loaded may hide a per-row query
        case = db.session.get(Case, case_id)
        count_statements.reset()
        context = document_panel_context(case)
        names = [e.document.uploaded_by.name for e in context["documents"]]
        names += [old.uploaded_by.name for e in context["documents"] for old in e.history]
        statements = count_statements.count
        assert len(names) == _count(db, Document)
        return statements

    first = stored(make_user(Role.MANAGER), db.session.get(Case, case_id))
    # The documents, their uploaders; the checklist's applicant, dependants and deposits, and
    # the admins' stored rule sets (P7 under the set in force decides who needs a passport).
    baseline = panel_statements()
    assert baseline <= 6

    case = db.session.get(Case, case_id)
    for _ in range(6):
        document = stored(make_user(Role.MANAGER), case)
        document_service.replace_document(make_user(Role.MANAGER), case, document, "b.pdf",
                                          io.BytesIO(pdf_bytes()), VersionCheck.SKIP)
    document_service.replace_document(consultant, case, db.session.get(Document, first.id),
                                      "c.pdf", io.BytesIO(pdf_bytes()), VersionCheck.SKIP)
    assert panel_statements() == baseline
