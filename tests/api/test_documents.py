"""Documents over the API: multipart uploads, replace, list, download; 413 for a large file."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path
from typing import Any

from flask import Flask

from caseapp.extensions import db
from caseapp.models import AuditEntry, Case, Document, DocumentKind, User
from caseapp.services import cases as case_service
from caseapp.services.cases import VersionCheck
from tests.api.conftest import ApiClient
from tests.factories import dependant_values, open_case, pdf_statement, upload_bank_statement


def documents_path(case: Case) -> str:
    return f"/api/v1/cases/{case.reference}/documents"


def reload(case: Case) -> Case:
    db.session.expire_all()
    return db.session.get(Case, case.id)


def upload(api: ApiClient, case: Case, content: bytes = b"", filename: str = "passport.pdf",
           path: str | None = None, if_match: Any = None, **fields: str) -> Any:
    """A multipart upload of ``content`` (a small PDF by default) with ``fields``."""
    data: dict[str, Any] = {"file": (io.BytesIO(content or pdf_statement("passport")),
                                     filename), **fields}
    return api.post(path or documents_path(case), data=data,
                    if_match=case if if_match is None else if_match,
                    content_type="multipart/form-data")


def stored_files(app: Flask) -> list[Path]:
    root = Path(app.config["UPLOAD_DIR"])
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def documents_of(case: Case) -> list[Document]:
    return list(db.session.query(Document).filter_by(case_id=case.id).order_by(Document.id))


def test_upload_list_read_and_download_a_document(
        consultant: User, consultant_api: ApiClient) -> None:
    case = open_case(consultant)
    content = pdf_statement("passport of Mei Ling")
    response = upload(consultant_api, case, content, filename="護照.pdf", kind="passport")
    assert response.status_code == 201, response.json
    body = response.json
    location = response.headers["Location"]
    assert location == f"{documents_path(case)}/{body['id']}"
    assert response.headers["ETag"] == f'"{reload(case).version}"'
    assert body["kind"] == "passport"
    assert body["filename"] == "護照.pdf"
    assert body["content_type"] == "application/pdf"
    assert body["size_bytes"] == len(content)
    assert body["sha256"] == hashlib.sha256(content).hexdigest()
    assert body["person"] == "Mei Ling Tan (principal applicant)"
    assert body["dependant_id"] is None and body["is_current"] is True
    assert body["uploaded_by"]["id"] == consultant.id

    assert consultant_api.get(location).json == body
    listed = consultant_api.get(documents_path(case))
    assert listed.status_code == 200
    assert [d["id"] for d in listed.json["items"]] == [body["id"]]

    download = consultant_api.get(body["download_url"])
    assert download.status_code == 200
    assert download.data == content
    assert download.mimetype == "application/pdf"
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert "%E8%AD%B7%E7%85%A7.pdf" in download.headers["Content-Disposition"]
    assert "no-store" in download.headers["Cache-Control"]
    assert download.headers["X-Content-Type-Options"] == "nosniff"

    entry = db.session.query(AuditEntry).filter_by(entity=f"document:{body['id']}").one()
    assert entry.action == "uploaded"
    assert entry.via == "api" and entry.api_token_id is not None


def test_a_dependants_document_names_them(consultant: User, consultant_api: ApiClient) -> None:
    case = open_case(consultant)
    child = case_service.add_dependant(consultant, case, dependant_values(), VersionCheck.SKIP)
    response = upload(consultant_api, reload(case), kind="birth_certificate",
                      dependant_id=str(child.id))
    assert response.status_code == 201, response.json
    assert response.json["dependant_id"] == child.id
    assert response.json["person"] == "Ethan Tan (child)"

    other = open_case(consultant, family_name="Lim")
    strangers_child = case_service.add_dependant(consultant, other, dependant_values(),
                                                 VersionCheck.SKIP)
    refused = upload(consultant_api, reload(case), kind="passport",
                     dependant_id=str(strangers_child.id))
    assert refused.status_code == 422
    assert list(refused.json["errors"]) == ["dependant_id"]
    assert len(documents_of(case)) == 1


def test_an_upload_that_is_not_multipart_is_415_and_stores_nothing(
        app: Flask, consultant: User, consultant_api: ApiClient) -> None:
    case = open_case(consultant)
    response = consultant_api.post(documents_path(case), if_match=case,
                                   json={"kind": "passport", "file": "JVBERi0xLjQ="})
    assert response.status_code == 415
    assert "multipart/form-data" in response.json["errors"]["Content-Type"][0]
    assert documents_of(case) == [] and stored_files(app) == []


def test_a_refused_upload_names_each_field_and_stores_nothing(
        app: Flask, consultant: User, consultant_api: ApiClient) -> None:
    case = open_case(consultant)
    missing = consultant_api.post(documents_path(case), if_match=case,
                                  data={"colour": "blue"}, content_type="multipart/form-data")
    assert missing.status_code == 422
    assert missing.json["errors"] == {"file": ["Choose a file to upload."],
                                      "kind": ["Choose the kind of document."],
                                      "colour": ["Unknown field."]}

    as_text = consultant_api.post(documents_path(case), if_match=case, data={
        "file": "not a file part", "kind": "visa"}, content_type="multipart/form-data")
    assert as_text.status_code == 422
    assert as_text.json["errors"]["file"] == [
        "Send the file as a file part of the multipart body."]
    assert "kind" in as_text.json["errors"]

    two = consultant_api.post(documents_path(case), if_match=case, data={
        "file": [(io.BytesIO(pdf_statement("a")), "a.pdf"), (io.BytesIO(pdf_statement("b")),
                                                              "b.pdf")],
        "kind": "passport"}, content_type="multipart/form-data")
    assert two.status_code == 422
    assert two.json["errors"] == {"file": ["Send one file per upload."]}

    # The service reads the type from the content: a text file called .pdf is refused.
    not_pdf = upload(consultant_api, case, b"just some text\n" * 10, filename="scan.pdf",
                     kind="passport")
    assert not_pdf.status_code == 422
    assert "not a PDF, JPEG or PNG" in not_pdf.json["errors"]["file"][0]
    assert documents_of(case) == [] and stored_files(app) == []
    assert reload(case).version == case.version


def test_a_file_over_the_upload_limit_is_413_whichever_limit_finds_it(
        app: Flask, consultant: User, consultant_api: ApiClient) -> None:
    case = open_case(consultant)
    # The service streams the file and stops at MAX_UPLOAD_BYTES.
    app.config["MAX_UPLOAD_BYTES"] = 1024
    large = pdf_statement("x" * 2000)
    by_service = upload(consultant_api, case, large, kind="passport")
    assert by_service.status_code == 413
    assert by_service.json == {"errors": {"file": [
        "That file is larger than 1 KB. Upload a smaller scan (at most 1 KB)."]}}

    # The whole body over MAX_CONTENT_LENGTH is refused before it is read.
    app.config["MAX_CONTENT_LENGTH"] = 1500
    by_body = upload(consultant_api, case, large, kind="passport")
    assert by_body.status_code == 413
    assert by_body.content_type == "application/json"
    assert list(by_body.json["errors"]) == ["request"]
    assert documents_of(case) == [] and stored_files(app) == []
    assert reload(case).version == case.version


def test_replacing_keeps_the_old_version_as_history(
        consultant: User, consultant_api: ApiClient) -> None:
    case = open_case(consultant)
    old = upload_bank_statement(consultant, case, "january.pdf")
    case = reload(case)
    path = f"{documents_path(case)}/{old.id}/replace"
    response = upload(consultant_api, case, pdf_statement("february"), filename="february.pdf",
                      path=path)
    assert response.status_code == 201, response.json
    new = response.json
    assert new["kind"] == "bank_statement" and new["filename"] == "february.pdf"
    assert response.headers["Location"] == f"{documents_path(case)}/{new['id']}"

    listed = consultant_api.get(documents_path(case)).json["items"]
    assert [d["id"] for d in listed] == [new["id"]]
    earlier = consultant_api.get(f"{documents_path(case)}/{old.id}").json
    assert earlier["is_current"] is False and earlier["replaced_by_id"] == new["id"]
    assert consultant_api.get(earlier["download_url"]).data == pdf_statement("january.pdf")

    again = upload(consultant_api, reload(case), path=path)
    assert again.status_code == 409
    assert "already been replaced" in again.json["errors"]["request"][0]
    assert len(documents_of(case)) == 2

    with_kind = upload(consultant_api, reload(case), kind="passport",
                       path=f"{documents_path(case)}/{new['id']}/replace")
    assert with_kind.status_code == 422
    assert with_kind.json["errors"] == {"kind": ["Unknown field."]}


def test_document_writes_need_if_match_and_a_stale_one_stores_nothing(
        app: Flask, consultant: User, consultant_api: ApiClient) -> None:
    case = open_case(consultant)
    old = upload_bank_statement(consultant, case)
    case = reload(case)
    files_before = stored_files(app)
    for path, fields in ((documents_path(case), {"kind": "passport"}),
                         (f"{documents_path(case)}/{old.id}/replace", {})):
        missing = consultant_api.post(path, data={
            "file": (io.BytesIO(pdf_statement()), "a.pdf"), **fields},
            content_type="multipart/form-data")
        assert missing.status_code == 428
        stale = upload(consultant_api, case, path=path, if_match=f'"{case.version - 1}"',
                       **fields)
        assert stale.status_code == 412
        assert stale.json["current_version"] == case.version
    assert [d.id for d in documents_of(case)] == [old.id]
    assert reload(case).documents[0].is_current
    assert stored_files(app) == files_before


def test_another_consultants_documents_are_404(
        app: Flask, other_consultant: User, consultant: User,
        consultant_api: ApiClient) -> None:
    theirs = open_case(other_consultant)
    document = upload_bank_statement(other_consultant, theirs)
    theirs = reload(theirs)
    base = documents_path(theirs)
    for response in (consultant_api.get(base),
                     consultant_api.get(f"{base}/{document.id}"),
                     consultant_api.get(f"{base}/{document.id}/download"),
                     upload(consultant_api, theirs, kind="passport"),
                     upload(consultant_api, theirs, path=f"{base}/{document.id}/replace")):
        assert response.status_code == 404
    mine = open_case(consultant)
    crossed = consultant_api.get(f"{documents_path(mine)}/{document.id}/download")
    assert crossed.status_code == 404
    assert len(documents_of(theirs)) == 1


def test_a_submitted_case_takes_no_replacement(
        consultant: User, consultant_api: ApiClient) -> None:
    from caseapp.rules.workflow import CaseStatus

    case = open_case(consultant)
    old = upload_bank_statement(consultant, case)
    case = reload(case)
    case.status = CaseStatus.SUBMITTED
    db.session.commit()
    response = upload(consultant_api, case,
                      path=f"{documents_path(case)}/{old.id}/replace")
    assert response.status_code == 409
    assert "submitted to ImmD" in response.json["errors"]["request"][0]
    assert len(documents_of(case)) == 1


def test_the_list_takes_the_same_statements_however_long(
        consultant: User, consultant_api: ApiClient, count_statements) -> None:
    case = open_case(consultant)
    child = case_service.add_dependant(consultant, case, dependant_values(), VersionCheck.SKIP)

    def add(kind: DocumentKind, for_child: bool = False) -> None:
        from caseapp.services.documents import upload_document

        upload_document(consultant, reload(case), kind, "scan.pdf", io.BytesIO(pdf_statement()),
                        VersionCheck.SKIP, dependant=child if for_child else None)

    def listed() -> tuple[int, int]:
        consultant_api.get(documents_path(case))  # the token's last use is recorded once
        count_statements.reset()
        response = consultant_api.get(documents_path(case))
        assert response.status_code == 200
        return len(response.json["items"]), count_statements.count

    add(DocumentKind.PASSPORT)
    add(DocumentKind.BIRTH_CERTIFICATE, for_child=True)
    two = listed()
    for kind in (DocumentKind.PHOTO, DocumentKind.DEGREE_CERTIFICATE, DocumentKind.OTHER):
        add(kind)
    add(DocumentKind.PASSPORT, for_child=True)
    six = listed()
    assert (two[0], six[0]) == (2, 6)
    assert six[1] == two[1]
