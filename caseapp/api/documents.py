"""Documents: the current list, one document (any version), upload, replace, download.

An upload is `multipart/form-data` (the file, its kind, whose it is); anything else is a
415. `services.documents` reads the type from the content, hashes and stores it. A file
over the upload limit is a 413 however it is found out: the whole body over
`MAX_CONTENT_LENGTH` before it is read, or the file over `MAX_UPLOAD_BYTES` as the service
streams it.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Request, Response, abort, request, send_file
from marshmallow import ValidationError, fields, validate
from webargs.multidictproxy import MultiDictProxy
from werkzeug.datastructures import CombinedMultiDict, FileStorage

from caseapp.api.base import (
    ETAG_HEADER,
    IF_MATCH,
    ApiBlueprint,
    ApiParser,
    api_user,
    case_or_404,
    etag_headers,
    expected_version,
    found_or_404,
)
from caseapp.api.fields import CREATED_HEADERS, EnumText
from caseapp.api.schemas import StrictSchema, UserRefSchema
from caseapp.models import Case, Document, DocumentKind
from caseapp.queries.cases import get_dependant
from caseapp.queries.documents import case_documents, get_document
from caseapp.services import documents as document_service
from caseapp.services.documents import ACCEPTED_TYPES, ACCEPTED_TYPES_TEXT
from caseapp.services.errors import ValidationFailed
from caseapp.web.security import MAX_ID

logger = logging.getLogger(__name__)

MULTIPART = "multipart/form-data"
NOT_MULTIPART = ("Send the upload as multipart/form-data: the file in the part \"file\", "
                 "with the fields the operation names.")


class UploadParser(ApiParser):
    """The `files` location reads a multipart body whole: its file parts and its fields.
    A body of any other type is a 415."""

    def load_files(self, req: Request, schema: Any) -> Any:
        if req.mimetype != MULTIPART:
            abort(415, description=NOT_MULTIPART)
        return MultiDictProxy(CombinedMultiDict([req.files, req.form]), schema)


class DocumentBlueprint(ApiBlueprint):
    ARGUMENTS_PARSER = UploadParser()


blp = DocumentBlueprint("api_documents", __name__, url_prefix="/api/v1/cases",
                        description="Documents: passports, certificates, bank statements "
                                    "(PDF, JPEG or PNG).")


class UploadField(fields.Field):
    """A file part of the multipart body (flask-smorest documents it as binary)."""

    def __init__(self, **kwargs: Any) -> None:
        metadata = {"type": "string", "format": "binary", **kwargs.pop("metadata", {})}
        super().__init__(metadata=metadata, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if not isinstance(value, FileStorage):
            raise ValidationError("Send the file as a file part of the multipart body.")
        return value


class DocumentReplaceSchema(StrictSchema):
    file = UploadField(required=True, error_messages={"required": "Choose a file to upload."},
                       metadata={"description": f"{ACCEPTED_TYPES_TEXT}; the type is read "
                                                "from the content, not from the name."})


class DocumentUploadSchema(DocumentReplaceSchema):
    kind = EnumText(DocumentKind, required=True, error_messages={
        "required": "Choose the kind of document."})
    dependant_id = fields.Integer(validate=validate.Range(1, MAX_ID), metadata={
        "description": "Whose document: a dependant's id; left out, the principal "
                       "applicant's."})


class DocumentSchema(StrictSchema):
    id = fields.Integer(required=True)
    kind = EnumText(DocumentKind, required=True)
    dependant_id = fields.Integer(allow_none=True, required=True, metadata={
        "description": "The dependant it belongs to; null: the principal applicant's (or of "
                       "a dependant since removed: see person)."})
    person = fields.Method("_person", required=True, metadata={
        "type": "string", "description": "Whose document, as the case page names them."})
    filename = fields.String(attribute="original_filename", required=True)
    content_type = fields.String(required=True, validate=validate.OneOf(list(ACCEPTED_TYPES)))
    size_bytes = fields.Integer(required=True)
    sha256 = fields.String(required=True)
    uploaded_at = fields.DateTime(required=True)
    uploaded_by = fields.Nested(UserRefSchema, required=True)
    is_current = fields.Boolean(required=True, metadata={
        "description": "Counts for the case: neither replaced nor of a removed dependant."})
    replaced_by_id = fields.Integer(allow_none=True, required=True, metadata={
        "description": "The newer version that replaced it."})
    download_url = fields.Method("_download_url", required=True, metadata={"type": "string"})

    def _person(self, document: Document) -> str:
        if document.dependant is not None:
            dependant = document.dependant
            return f"{dependant.full_name} ({dependant.relation.value})"
        if document.detached_note:
            return f"a removed dependant ({document.detached_note.removeprefix('of ')})"
        return f"{document.case.applicant.full_name} (principal applicant)"

    def _download_url(self, document: Document) -> str:
        return f"{document_location(document.case, document)}/download"


class DocumentListSchema(StrictSchema):
    items = fields.List(fields.Nested(DocumentSchema), required=True, metadata={
        "description": "The current documents, newest first."})


def document_location(case: Case, document: Document) -> str:
    return f"/api/v1/cases/{case.reference}/documents/{document.id}"


def _one_file() -> None:
    """One upload is one file: a second part named "file" is refused, not dropped."""
    if len(request.files.getlist("file")) > 1:
        raise ValidationFailed({"file": ["Send one file per upload."]})


def _created(case: Case, document: Document) -> Any:
    return document, 201, {**etag_headers(case), "Location": document_location(case, document)}


@blp.get("/<reference>/documents")
@blp.response(200, DocumentListSchema, headers=ETAG_HEADER)
def list_documents(reference: str) -> Any:
    """The case's current documents (neither replaced nor of a removed dependant), newest
    first. An earlier version is read by its id."""
    case = case_or_404(reference)
    current = [document for document in case_documents(case) if document.is_current]
    return {"items": current}, 200, etag_headers(case)


@blp.post("/<reference>/documents")
@blp.arguments(DocumentUploadSchema, location="files")
@blp.response(201, DocumentSchema, headers=CREATED_HEADERS)
@blp.doc(parameters=[IF_MATCH])
def upload_document(data: dict[str, Any], reference: str) -> Any:
    """Upload a document for the applicant or (`dependant_id`) a dependant. After the
    case is submitted, only while ImmD's request for further information is open."""
    case = case_or_404(reference)
    _one_file()
    dependant = None
    if "dependant_id" in data:
        dependant = get_dependant(case, data["dependant_id"])
        if dependant is None:
            raise ValidationFailed({"dependant_id": [
                "Choose one of the case's dependants, or leave it out for the applicant."]})
    upload = data["file"]
    document = document_service.upload_document(
        api_user(), case, data["kind"], upload.filename, upload.stream, expected_version(),
        dependant=dependant)
    return _created(case, document)


@blp.get("/<reference>/documents/<int:document_id>")
@blp.response(200, DocumentSchema, headers=ETAG_HEADER)
def read_document(reference: str, document_id: int) -> Any:
    """One document of the case, current or an earlier version."""
    case = case_or_404(reference)
    return found_or_404(get_document(case, document_id)), 200, etag_headers(case)


@blp.post("/<reference>/documents/<int:document_id>/replace")
@blp.arguments(DocumentReplaceSchema, location="files")
@blp.response(201, DocumentSchema, headers=CREATED_HEADERS)
@blp.doc(parameters=[IF_MATCH])
def replace_document(data: dict[str, Any], reference: str, document_id: int) -> Any:
    """Upload a newer version of a current document (same kind, same person); the old one
    stays as its history. Not after the case is submitted: what ImmD received stays."""
    case = case_or_404(reference)
    document = found_or_404(get_document(case, document_id))
    _one_file()
    upload = data["file"]
    new = document_service.replace_document(api_user(), case, document, upload.filename,
                                            upload.stream, expected_version())
    return _created(case, new)


_BINARY = {"schema": {"type": "string", "format": "binary"}}


@blp.get("/<reference>/documents/<int:document_id>/download")
@blp.doc(responses={"200": {
    "description": "The file as uploaded, as an attachment named after it.",
    "content": {content_type: _BINARY for content_type in ACCEPTED_TYPES},
    "headers": {"Content-Disposition": {"schema": {"type": "string"}}}}})
def download_document(reference: str, document_id: int) -> Response:
    """The stored file of a document (any version), with its type. Closed cases too: the
    file is the client's record."""
    case = case_or_404(reference)
    document = found_or_404(get_document(case, document_id))
    try:
        path = document_service.open_document(document)
    except FileNotFoundError:
        # An operations problem (a lost volume, a partial restore), not the client's doing.
        logger.error("Document %s of case %s is missing from the upload directory",
                     document.id, case.id)
        abort(404, description="The file of this document is missing from storage. Please "
                               "tell an administrator.")
    # The recorded type is the sniffed one; `web.security` adds nosniff so browsers keep
    # it, and `api.base` no-store, so passports and statements stay out of caches.
    return send_file(path, mimetype=document.content_type, as_attachment=True,
                     download_name=document.original_filename, max_age=0)
