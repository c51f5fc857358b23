"""Uploads: PDF, JPEG and PNG by content only; size limits, history, no half-stored file."""

from __future__ import annotations

import hashlib
import io
import re
import struct
import zlib
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from caseapp.models import AuditEntry, Case, Document, DocumentKind
from caseapp.queries.documents import document_panel_context
from caseapp.rules.workflow import CaseStatus
from caseapp.services import documents as document_service
from caseapp.services.cases import VersionCheck
from caseapp.services.errors import ConflictError, NotAllowed, ValidationFailed
from tests.factories import open_case

# ---- small, valid-enough files made in code ------------------------------------------------


def pdf_bytes(body: str = "hello") -> bytes:
    return (b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n% " + body.encode()
            + b"\ntrailer << /Root 1 0 R >>\n%%EOF\n")


def png_bytes() -> bytes:
    """A 1x1 white PNG, chunk CRCs and all."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\xff\xff")
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels)
            + chunk(b"IEND", b""))


def jpeg_bytes() -> bytes:
    """SOI, a JFIF APP0 segment and EOI: what the signature check looks at."""
    app0 = b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    return b"\xff\xd8\xff\xe0" + struct.pack(">H", len(app0) + 2) + app0 + b"\xff\xd9"


def gif_bytes() -> bytes:
    return b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x00\x00\x00" \
           b"\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"


def exe_bytes() -> bytes:
    return b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 48 + b"PE\x00\x00"


def text_bytes() -> bytes:
    return b"This is a plain text file pretending to be a PDF.\n"


ACCEPTED = [
    ("passport.pdf", pdf_bytes, "application/pdf", "pdf"),
    ("photo.png", png_bytes, "image/png", "png"),
    ("degree.jpg", jpeg_bytes, "image/jpeg", "jpg"),
]
REFUSED = [
    ("notes.pdf", text_bytes),
    ("scan.gif", gif_bytes),
    ("setup.pdf", exe_bytes),
    ("setup.exe", exe_bytes),
]


def stored_files(app) -> list[Path]:
    """Every file under the upload directory, temporary ones included."""
    root = Path(app.config["UPLOAD_DIR"])
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def upload(actor, case, data: bytes, filename: str = "passport.pdf",
           kind: DocumentKind = DocumentKind.PASSPORT, **kwargs) -> Document:
    kwargs.setdefault("expected_version", VersionCheck.SKIP)
    return document_service.upload_document(actor, case, kind, filename, io.BytesIO(data),
                                            **kwargs)


# ---- accepted uploads -------------------------------------------------------------------------

@pytest.mark.parametrize("filename,make,content_type,extension", ACCEPTED)
def test_an_accepted_file_is_stored_under_a_server_chosen_name_with_its_hash(
        app, db, consultant, filename, make, content_type, extension):
    case = open_case(consultant)
    data = make()
    document = upload(consultant, case, data, filename=filename, expected_version=case.version)

    db.session.expire_all()
    document = db.session.get(Document, document.id)
    assert document.case_id == case.id
    assert document.content_type == content_type
    assert document.size_bytes == len(data)
    assert document.sha256 == hashlib.sha256(data).hexdigest()
    assert document.original_filename == filename
    assert document.uploaded_by_id == consultant.id
    assert document.is_current
    assert re.fullmatch(rf"[0-9a-f]{{32}}\.{extension}", document.stored_name)
    path = Path(app.config["UPLOAD_DIR"]) / str(case.id) / document.stored_name
    assert path.read_bytes() == data
    assert stored_files(app) == [path]  # no temporary file left behind
    assert document_service.open_document(document) == path
    assert case.version == 2  # the upload is a change to the case


def test_an_upload_is_audited_without_the_file_contents(app, db, consultant):
    case = open_case(consultant)
    data = pdf_bytes("SECRET-CONTENT")
    document = upload(consultant, case, data)
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "uploaded")).one()
    assert entry.entity == f"document:{document.id}"
    assert entry.case_id == case.id and entry.user_id == consultant.id
    assert entry.changes == {
        "kind": [None, "passport"],
        "filename": [None, "passport.pdf"],
        "content_type": [None, "application/pdf"],
        "size": [None, str(len(data))],
        "sha256": [None, hashlib.sha256(data).hexdigest()],
    }
    assert "SECRET-CONTENT" not in str(entry.changes)


def test_a_file_exactly_at_the_limit_is_accepted(app, db, consultant):
    data = pdf_bytes()
    app.config["MAX_UPLOAD_BYTES"] = len(data)
    upload(consultant, open_case(consultant), data)
    assert count(db, Document) == 1


@pytest.mark.parametrize("filename,expected", [
    ("../../etc/passwd.pdf", "passwd.pdf"),
    ("C:\\Users\\mei\\My Passport.PDF", "My Passport.PDF"),
    ("護照 陳美玲.pdf", "護照 陳美玲.pdf"),
    ("evil.exe", "evil.exe.pdf"),
    ("no-extension", "no-extension.pdf"),
    ("line\nbreak\x00.pdf", "linebreak.pdf"),
    ("", "passport.pdf"),
    (None, "passport.pdf"),
    ("...", "passport.pdf"),
    ("x" * 300 + ".pdf", "x" * 251 + ".pdf"),
])
def test_the_client_file_name_is_kept_only_as_a_safe_display_name(app, db, consultant,
                                                                  filename, expected):
    case = open_case(consultant)
    document = upload(consultant, case, pdf_bytes(), filename=filename)
    assert document.original_filename == expected
    assert len(document.original_filename) <= 255
    [path] = stored_files(app)
    assert path.parent == Path(app.config["UPLOAD_DIR"]) / str(case.id)
    assert path.name == document.stored_name


def test_a_stream_that_arrives_in_short_reads_is_stored_whole(app, db, consultant):
    class Trickle(io.RawIOBase):
        """Hands out at most 3 bytes per read, as a slow socket might."""

        def __init__(self, data: bytes) -> None:
            self.data = io.BytesIO(data)

        def readable(self) -> bool:
            return True

        def read(self, size: int = -1) -> bytes:
            return self.data.read(min(3, size) if size and size > 0 else 3)

    data = png_bytes()
    document = document_service.upload_document(
        consultant, open_case(consultant), DocumentKind.PHOTO, "me.png", Trickle(data),
        VersionCheck.SKIP)
    assert document.content_type == "image/png"
    assert document.sha256 == hashlib.sha256(data).hexdigest()


# ---- refused uploads ----------------------------------------------------------------------------

@pytest.mark.parametrize("filename,make", REFUSED)
def test_a_file_whose_content_is_not_pdf_jpeg_or_png_is_refused(app, db, consultant,
                                                                 filename, make):
    case = open_case(consultant)
    with pytest.raises(ValidationFailed) as refused:
        upload(consultant, case, make(), filename=filename)
    assert "not a PDF, JPEG or PNG" in refused.value.errors["file"][0]
    assert count(db, Document) == 0
    assert stored_files(app) == []
    db.session.expire_all()
    assert case.version == 1


def test_an_empty_file_is_refused(app, db, consultant):
    with pytest.raises(ValidationFailed) as refused:
        upload(consultant, open_case(consultant), b"")
    assert refused.value.errors["file"] == ["That file is empty."]
    assert count(db, Document) == 0
    assert stored_files(app) == []


def test_a_file_over_the_limit_is_refused_and_its_partial_copy_removed(app, db, consultant):
    app.config["MAX_UPLOAD_BYTES"] = 20 * 1024
    data = pdf_bytes("x" * 30 * 1024)
    with pytest.raises(ValidationFailed) as refused:
        upload(consultant, open_case(consultant), data)
    assert refused.value.errors["file"] == [
        "That file is larger than 20 KB. Upload a smaller scan (at most 20 KB)."]
    assert count(db, Document) == 0
    assert stored_files(app) == []


def test_a_closed_case_takes_no_uploads(app, db, consultant):
    case = open_case(consultant)
    case.status = CaseStatus.REFUSED
    db.session.commit()
    with pytest.raises(NotAllowed, match="can no longer be changed"):
        upload(consultant, case, pdf_bytes())
    assert count(db, Document) == 0
    assert stored_files(app) == []


def test_an_upload_from_a_stale_version_conflicts_and_stores_nothing(app, db, consultant):
    case = open_case(consultant)
    upload(consultant, case, pdf_bytes())
    with pytest.raises(ConflictError):
        upload(consultant, case, png_bytes(), filename="me.png", expected_version=1)
    assert count(db, Document) == 1
    assert len(stored_files(app)) == 1


def test_a_commit_that_fails_after_the_file_was_placed_removes_the_file(app, db, consultant):
    case = open_case(consultant)
    assert case.version == 1
    # Someone else saves the case behind this session's back: the upload's commit then fails
    # on the version check, after the file has already been renamed into place.
    with db.engine.begin() as other:
        other.execute(text("UPDATE cases SET version = version + 1 WHERE id = :id"),
                      {"id": case.id})
    with pytest.raises(ConflictError):
        upload(consultant, case, pdf_bytes())
    assert count(db, Document) == 0
    assert stored_files(app) == []


def test_a_database_error_during_the_change_removes_the_file(app, db, consultant, monkeypatch):
    case = open_case(consultant)

    def broken(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(document_service.audit, "record", broken)
    with pytest.raises(RuntimeError):
        upload(consultant, case, pdf_bytes())
    assert count(db, Document) == 0
    assert stored_files(app) == []


# ---- replacing ----------------------------------------------------------------------------------

def test_replacing_keeps_the_old_version_as_history(app, db, consultant):
    case = open_case(consultant)
    first = upload(consultant, case, pdf_bytes("v1"), filename="passport-2019.pdf")
    second = document_service.replace_document(
        consultant, case, first, "passport-2024.jpg", io.BytesIO(jpeg_bytes()),
        expected_version=case.version)

    db.session.expire_all()
    first = db.session.get(Document, first.id)
    assert first.replaced_by_id == second.id and not first.is_current
    assert second.is_current and second.kind is DocumentKind.PASSPORT
    assert second.content_type == "image/jpeg"
    assert len(stored_files(app)) == 2  # the old file stays downloadable
    assert document_service.open_document(first).read_bytes() == pdf_bytes("v1")
    actions = [(e.action, e.entity) for e in db.session.scalars(
        select(AuditEntry).where(AuditEntry.entity.like("document:%")).order_by(AuditEntry.id))]
    assert actions == [("uploaded", f"document:{first.id}"),
                       ("replaced", f"document:{first.id}"),
                       ("uploaded", f"document:{second.id}")]

    third = document_service.replace_document(consultant, case, second, "passport.png",
                                              io.BytesIO(png_bytes()), VersionCheck.SKIP)
    [entry] = document_panel_context(case)["documents"]
    assert entry.document.id == third.id
    assert [d.id for d in entry.history] == [second.id, first.id]


def test_a_replaced_document_cannot_be_replaced_again(app, db, consultant):
    case = open_case(consultant)
    first = upload(consultant, case, pdf_bytes())
    document_service.replace_document(consultant, case, first, "b.pdf", io.BytesIO(pdf_bytes()),
                                      VersionCheck.SKIP)
    with pytest.raises(NotAllowed, match="already been replaced"):
        document_service.replace_document(consultant, case, first, "c.pdf",
                                          io.BytesIO(pdf_bytes()), VersionCheck.SKIP)
    assert count(db, Document) == 2
    assert len(stored_files(app)) == 2


def test_a_document_of_another_case_cannot_be_replaced_through_this_one(app, db, consultant):
    mine, other = open_case(consultant), open_case(consultant)
    theirs = upload(consultant, other, pdf_bytes())
    with pytest.raises(NotAllowed, match="another case"):
        document_service.replace_document(consultant, mine, theirs, "x.pdf",
                                          io.BytesIO(pdf_bytes()), VersionCheck.SKIP)
    assert count(db, Document) == 1


def test_a_refused_replacement_leaves_the_current_version_current(app, db, consultant):
    case = open_case(consultant)
    first = upload(consultant, case, pdf_bytes())
    with pytest.raises(ValidationFailed):
        document_service.replace_document(consultant, case, first, "x.pdf",
                                          io.BytesIO(text_bytes()), VersionCheck.SKIP)
    db.session.expire_all()
    assert db.session.get(Document, first.id).is_current
    assert len(stored_files(app)) == 1


# ---- checklist and download paths ---------------------------------------------------------

def test_the_applicants_checklist_names_every_required_kind_and_what_is_missing(
        app, db, consultant):
    case = open_case(consultant)
    passport = upload(consultant, case, pdf_bytes())
    upload(consultant, case, png_bytes(), filename="other.png", kind=DocumentKind.OTHER)
    [applicant] = document_panel_context(case)["document_checklist"]
    assert applicant.person.dependant_id is None
    assert {item.kind: [d.id for d in item.documents] for item in applicant.items} == {
        DocumentKind.PASSPORT: [passport.id],
        DocumentKind.PHOTO: [],
        DocumentKind.DEGREE_CERTIFICATE: [],
        DocumentKind.BANK_STATEMENT: [],
        DocumentKind.POLICE_CERTIFICATE: [],
    }


def test_open_document_refuses_a_missing_file_or_a_stored_name_it_did_not_make(app, db,
                                                                              consultant):
    case = open_case(consultant)
    document = upload(consultant, case, pdf_bytes())
    document_service.open_document(document).unlink()
    with pytest.raises(FileNotFoundError):
        document_service.open_document(document)
    document.stored_name = "../../etc/passwd"
    with pytest.raises(FileNotFoundError):
        document_service.open_document(document)
    db.session.rollback()


def test_sizes_read_as_people_say_them():
    assert document_service.format_size(10 * 1024 * 1024) == "10 MB"
    assert document_service.format_size(1536 * 1024) == "1.5 MB"
    assert document_service.format_size(20 * 1024) == "20 KB"
    assert document_service.format_size(900) == "900 bytes"


def test_case_is_reloaded_cleanly_after_a_refused_upload(app, db, consultant):
    """A refusal rolls back; the case object is still usable for the page that follows."""
    case = open_case(consultant)
    with pytest.raises(ValidationFailed):
        upload(consultant, case, text_bytes())
    assert db.session.get(Case, case.id).reference == case.reference
