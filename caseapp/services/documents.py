"""Document uploads: type read from the content, size-checked, hashed, stored under a server name.

The bytes live under ``UPLOAD_DIR/<case id>/<uuid4 hex>.<ext>``; the row in ``documents`` holds
what the page shows. A file only reaches its final name once its row has been flushed, and it is
removed again if the transaction does not commit, so a row never points at a half-written file.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import tempfile
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import IO
from uuid import uuid4

import filetype
from flask import current_app
from sqlalchemy import select

from caseapp.extensions import db
from caseapp.models import Case, Dependant, Document, DocumentKind, InformationRequest, User
from caseapp.services import audit
from caseapp.services.cases import ExpectedVersion, change_case, ensure_editable, locked_message
from caseapp.services.errors import NotAllowed, ValidationFailed

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class AcceptedType:
    content_type: str
    extension: str
    # Extensions a client may already have put on the name for this type.
    known_suffixes: tuple[str, ...]


# Keyed by the MIME type ``filetype`` reports for the content.
ACCEPTED_TYPES: dict[str, AcceptedType] = {
    "application/pdf": AcceptedType("application/pdf", "pdf", (".pdf",)),
    "image/jpeg": AcceptedType("image/jpeg", "jpg", (".jpg", ".jpeg")),
    "image/png": AcceptedType("image/png", "png", (".png",)),
}
ACCEPTED_TYPES_TEXT = "PDF, JPEG or PNG"

# filetype looks at no more than this many leading bytes.
SNIFF_BYTES = 8192
CHUNK_BYTES = 64 * 1024
MAX_FILENAME_LENGTH = 255
STORED_NAME = re.compile(r"^[0-9a-f]{32}\.(?:pdf|jpg|png)$")


def format_size(size: int) -> str:
    """``10 MB``, ``512 KB``, ``900 bytes``: binary units, as the limits are configured."""
    for unit, factor in (("MB", 1024 * 1024), ("KB", 1024)):
        if size >= factor:
            return f"{size / factor:.1f}".removesuffix(".0") + f" {unit}"
    return f"{size} bytes"


def too_large_message() -> str:
    limit = format_size(current_app.config["MAX_UPLOAD_BYTES"])
    return f"That file is larger than {limit}. Upload a smaller scan (at most {limit})."


class UploadTooLarge(ValidationFailed):
    """The file is larger than ``MAX_UPLOAD_BYTES``: a form shows it beside the file field;
    the API answers 413, as for a body over ``MAX_CONTENT_LENGTH``."""


def _refuse(message: str) -> ValidationFailed:
    return ValidationFailed({"file": [message]}, message=message)


def upload_directory() -> Path:
    return Path(current_app.config["UPLOAD_DIR"])


def _case_directory(case_id: int) -> Path:
    return upload_directory() / str(int(case_id))


@dataclass
class _ReceivedFile:
    """An upload written to a temporary file next to its final place, not yet committed."""

    temp_path: Path
    accepted: AcceptedType
    size_bytes: int
    sha256: str


def _read_head(stream: IO[bytes]) -> bytes:
    """The first SNIFF_BYTES of the stream; a stream may hand them over in short reads."""
    head = b""
    while len(head) < SNIFF_BYTES:
        chunk = stream.read(SNIFF_BYTES - len(head))
        if not chunk:
            break
        head += chunk
    return head


def _sniff(head: bytes) -> AcceptedType:
    # Only the content decides: the client's extension and mimetype are not trusted.
    guess = filetype.guess(head)
    accepted = ACCEPTED_TYPES.get(guess.mime) if guess is not None else None
    if accepted is None:
        raise _refuse(
            f"This file is not a {ACCEPTED_TYPES_TEXT}: only those formats are accepted, "
            "and the type is read from the file's content, not from its name."
        )
    return accepted


def _receive(case: Case, stream: IO[bytes]) -> _ReceivedFile:
    """Check and copy the upload to a temporary file, hashing as it streams past.

    Nothing touches the disk before the type is known to be acceptable; a file over the size
    limit is cut off as soon as it crosses it and its temporary file removed.
    """
    limit = int(current_app.config["MAX_UPLOAD_BYTES"])
    head = _read_head(stream)
    if not head:
        raise _refuse("That file is empty.")
    accepted = _sniff(head)

    directory = _case_directory(case.id)
    directory.mkdir(parents=True, exist_ok=True)
    # mkstemp creates the file 0600 with a name nobody else can predict.
    fd, temp_name = tempfile.mkstemp(dir=directory, prefix=".upload-", suffix=".part")
    temp_path = Path(temp_name)
    digest = hashlib.sha256()
    size = 0
    try:
        with os.fdopen(fd, "wb") as out:
            chunk = head
            while chunk:
                size += len(chunk)
                if size > limit:
                    message = too_large_message()
                    raise UploadTooLarge({"file": [message]}, message=message)
                digest.update(chunk)
                out.write(chunk)
                chunk = stream.read(CHUNK_BYTES)
            out.flush()
            # On disk before the row that points at it can commit.
            os.fsync(out.fileno())
    except BaseException:
        _remove_quietly(temp_path)
        raise
    return _ReceivedFile(temp_path, accepted, size, digest.hexdigest())


def display_filename(filename: str | None, accepted: AcceptedType, kind: DocumentKind) -> str:
    """The client's file name, safe to show and to offer as a download name.

    Not werkzeug's secure_filename: that drops every non-ASCII character, and clients here
    often name scans in Chinese. The name is never used in a path, so it only needs to lose
    directories and control characters, fit the column and end in the extension of its real
    type (a PDF called ``x.exe`` is offered back as ``x.exe.pdf``).
    """
    name = unicodedata.normalize("NFC", filename or "")
    name = re.split(r"[/\\]", name)[-1]
    name = "".join(c for c in name if not unicodedata.category(c).startswith("C"))
    name = " ".join(name.split()).strip(" .")
    if not name:
        name = kind.value
    if not name.lower().endswith(accepted.known_suffixes):
        name = f"{name}.{accepted.extension}"
    if len(name) > MAX_FILENAME_LENGTH:
        stem, dot, suffix = name.rpartition(".")
        name = stem[: MAX_FILENAME_LENGTH - len(suffix) - 1].rstrip(" .") + dot + suffix
    return name


def _remove_quietly(path: Path) -> None:
    try:
        path.unlink(missing_ok=True)
    except OSError:
        logger.exception("Could not remove the upload file %s", path.name)


def pending_information_request(case: Case) -> InformationRequest | None:
    """ImmD's open request for further information on ``case``, if there is one."""
    return db.session.scalars(
        select(InformationRequest)
        .where(InformationRequest.case_id == case.id, InformationRequest.answered_at.is_(None))
        .order_by(InformationRequest.id.desc())
        .limit(1)
    ).first()


def upload_target(case: Case) -> InformationRequest | None:
    """Whether documents may be added to ``case`` now, and for what.

    Before submission: yes, for the file (None). After submission only while ImmD's request
    for further information is open: the document then answers that request. Otherwise
    NotAllowed: what was sent stays as it was sent.
    """
    ensure_editable(case)
    if not case.file_is_locked:
        return None
    request = pending_information_request(case)
    if request is None:
        raise NotAllowed(locked_message(case) + " Documents can be added again when ImmD "
                         "asks for further information.")
    return request


def _check_dependant(case: Case, dependant: Dependant | None) -> None:
    if dependant is not None and dependant.case_id != case.id:
        raise ValidationFailed({"person": ["Choose a person of this case."]})


def _store(
    actor: User,
    case: Case,
    kind: DocumentKind,
    filename: str | None,
    stream: IO[bytes],
    expected_version: ExpectedVersion,
    replacing: Document | None = None,
    dependant: Dependant | None = None,
) -> Document:
    if kind not in DocumentKind._value2member_map_:
        raise ValidationFailed({"kind": ["Choose the kind of document."]})
    kind = DocumentKind(kind)
    _check_dependant(case, dependant)
    # Refuse a closed or submitted case before reading a byte of the upload.
    answering = upload_target(case)
    if replacing is not None and answering is not None:
        raise NotAllowed("A document sent to ImmD is kept as sent: upload the new one in "
                         "answer to the request for further information instead.")
    received = _receive(case, stream)
    stored_name = f"{uuid4().hex}.{received.accepted.extension}"
    final_path = received.temp_path.with_name(stored_name)

    def change() -> Document:
        document = Document(
            case_id=case.id,
            kind=kind,
            original_filename=display_filename(filename, received.accepted, kind),
            stored_name=stored_name,
            content_type=received.accepted.content_type,
            size_bytes=received.size_bytes,
            sha256=received.sha256,
            uploaded_by_id=actor.id,
            dependant_id=dependant.id if dependant is not None else None,
            information_request_id=answering.id if answering is not None else None,
        )
        db.session.add(document)
        # The flush gives the id for the audit entry and checks stored_name is unique before
        # the rename below could overwrite anything.
        db.session.flush()
        changes: dict[str, list[str | None]] = {
            "kind": [None, kind.value],
            "filename": [None, document.original_filename],
            "content_type": [None, document.content_type],
            "size": [None, str(document.size_bytes)],
            "sha256": [None, document.sha256],
        }
        if dependant is not None:
            changes["person"] = [None, f"{dependant.full_name} ({dependant.relation.value})"]
        if answering is not None:
            changes["answers"] = [None, f"information_request:{answering.id}"]
        if replacing is not None:
            replacing.replaced_by_id = document.id
            changes["replaces"] = [None, f"document:{replacing.id}"]
            audit.record(actor, "replaced", f"document:{replacing.id}",
                         {"replaced_by": [None, f"document:{document.id}"]}, case=case)
        audit.record(actor, "uploaded", f"document:{document.id}", changes, case=case)
        # Last step before the commit: the complete file takes its final name atomically.
        os.replace(received.temp_path, final_path)
        return document

    try:
        document = change_case(actor, case, expected_version, change)
    except BaseException:
        # Nothing was committed (closed case, version conflict, database error): no file either.
        _remove_quietly(received.temp_path)
        _remove_quietly(final_path)
        raise
    # Ids and sizes only: file names and contents are the client's personal data.
    logger.info("Document %s stored for case %s (%s, %d bytes)", document.id, document.case_id,
                document.content_type, document.size_bytes)
    return document


def upload_document(
    actor: User,
    case: Case,
    kind: DocumentKind,
    filename: str | None,
    stream: IO[bytes],
    expected_version: ExpectedVersion,
    dependant: Dependant | None = None,
) -> Document:
    """Store ``stream`` as a new document of ``kind`` on ``case``, the applicant's or (with
    ``dependant``) that dependant's.

    Raises ValidationFailed (wrong type, empty, too large), NotAllowed (closed or submitted
    case) or ConflictError (the case changed since ``expected_version``); nothing is stored.
    """
    return _store(actor, case, kind, filename, stream, expected_version, dependant=dependant)


def replace_document(
    actor: User,
    case: Case,
    old_document: Document,
    filename: str | None,
    stream: IO[bytes],
    expected_version: ExpectedVersion,
) -> Document:
    """Store a new version of ``old_document``; the old row and file stay as its history."""
    if old_document.case_id != case.id:
        raise NotAllowed("That document belongs to another case.")
    if not old_document.is_current:
        raise NotAllowed("That document has already been replaced by a newer version.")
    return _store(actor, case, old_document.kind, filename, stream, expected_version,
                  replacing=old_document, dependant=old_document.dependant)


def open_document(document: Document) -> Path:
    """The path of the document's file, for sending it; FileNotFoundError if it is gone."""
    # Stored names are ours, but check the shape anyway so a bad row can never point outside.
    if not STORED_NAME.match(document.stored_name):
        raise FileNotFoundError(f"document {document.id} has an invalid stored name")
    path = _case_directory(document.case_id) / document.stored_name
    if not path.is_file():
        raise FileNotFoundError(f"document {document.id} has no file on disk")
    return path
