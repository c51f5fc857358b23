"""Document pages: upload, replace with a newer version, download."""

from __future__ import annotations

import logging
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_login import login_required
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Response

from caseapp.models import Case, Dependant, Document, DocumentKind
from caseapp.queries.cases import get_dependant
from caseapp.queries.documents import get_document
from caseapp.services import documents as document_service
from caseapp.services.errors import ServiceError
from caseapp.web.access import acting_user, case_or_404
from caseapp.web.documents_forms import ACCEPT_ATTRIBUTE, ReplaceDocumentForm, UploadDocumentForm
from caseapp.web.formflow import case_page, refuse_if_closed, save_form

bp = Blueprint("documents", __name__)
ANCHOR = "documents"
bp.add_app_template_global(ACCEPT_ATTRIBUTE, "document_accept")
logger = logging.getLogger(__name__)


@bp.errorhandler(RequestEntityTooLarge)
def upload_too_large(error: RequestEntityTooLarge) -> Response:
    """A body over MAX_CONTENT_LENGTH is refused before the view runs: say why, not just 413.

    The redirect goes to the case page by the reference in the URL; that page checks access
    itself, so this reveals nothing about a case the user may not see.
    """
    flash(document_service.too_large_message() + " Nothing was uploaded.", "error")
    reference = (request.view_args or {}).get("reference")
    if not reference:
        return redirect(url_for("cases.index"))
    return redirect(url_for("cases.show", reference=reference, _anchor=ANCHOR))


def _dependant(case: Case, dependant_id: int | None) -> Dependant | None:
    return None if dependant_id is None else get_dependant(case, dependant_id)


def _document_or_404(case: Case, document_id: int) -> Document:
    document = get_document(case, document_id)
    if document is None:
        abort(404)
    return document


def _refuse_if_closed(case: Case) -> Response | None:
    """Closed, or submitted with no request for further information open: no uploads."""
    if (closed := refuse_if_closed(
            case, ANCHOR,
            f"This case is {case.status.label.lower()}: no documents can be uploaded to it.")):
        return closed
    try:
        document_service.upload_target(case)
    except ServiceError as error:
        flash(error.message, "error")
        return case_page(case, ANCHOR)
    return None


@bp.route("/cases/<reference>/documents/upload", methods=["GET", "POST"])
@login_required
def upload(reference: str) -> Any:
    case = case_or_404(reference)
    if (closed := _refuse_if_closed(case)) is not None:
        return closed
    form = UploadDocumentForm()
    form.offer_people(case)
    if request.method == "GET":
        if request.args.get("kind") in DocumentKind._value2member_map_:
            form.kind.data = DocumentKind(request.args["kind"])
        form.person.data = request.args.get("person", "")
    return save_form(
        case, form,
        save=lambda: document_service.upload_document(
            acting_user(), case, form.kind.data, form.upload_filename(),
            form.upload_stream(), form.expected_version(),
            dependant=_dependant(case, form.dependant_id())),
        success=lambda document: (
            f"{document.kind.label} uploaded: {document.original_filename}."),
        render=lambda: render_template("documents/upload.html", form=form, case=case),
        anchor=ANCHOR,
    )


@bp.route("/cases/<reference>/documents/<int:document_id>/replace", methods=["GET", "POST"])
@login_required
def replace(reference: str, document_id: int) -> Any:
    case = case_or_404(reference)
    document = _document_or_404(case, document_id)
    if (closed := _refuse_if_closed(case)) is not None:
        return closed
    if not document.is_current:
        flash("That document has already been replaced by a newer version.", "error")
        return case_page(case, ANCHOR)
    form = ReplaceDocumentForm()
    return save_form(
        case, form,
        save=lambda: document_service.replace_document(
            acting_user(), case, document, form.upload_filename(), form.upload_stream(),
            form.expected_version()),
        success=lambda new: (f"{new.kind.label} replaced: {new.original_filename} is now "
                             "the current version."),
        render=lambda: render_template("documents/replace.html", form=form, case=case,
                                       document=document),
        anchor=ANCHOR,
    )


@bp.route("/cases/<reference>/documents/<int:document_id>/download")
@login_required
def download(reference: str, document_id: int) -> Response:
    # Downloads stay allowed on closed cases: the file is the client's record.
    case = case_or_404(reference)
    document = _document_or_404(case, document_id)
    try:
        path = document_service.open_document(document)
    except FileNotFoundError:
        # An operations problem (lost volume, partial restore), not the user's doing.
        logger.error("Document %s of case %s is missing from the upload directory",
                     document.id, case.id)
        flash("The file of this document is missing from storage. Please tell an administrator.",
              "error")
        return case_page(case, ANCHOR)
    response = send_file(
        path,
        mimetype=document.content_type,
        as_attachment=True,
        download_name=document.original_filename,
        max_age=0,
    )
    # The recorded type is the sniffed one; stop browsers second-guessing it.
    response.headers["X-Content-Type-Options"] = "nosniff"
    # Passports and bank statements must not linger in shared or browser caches.
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.app_template_global()
def document_upload_limit() -> str:
    return document_service.format_size(current_app.config["MAX_UPLOAD_BYTES"])


@bp.app_template_filter("bytesize")
def bytesize(size: int | None) -> str:
    return "—" if size is None else document_service.format_size(size)
