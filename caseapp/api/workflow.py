"""A case's way through its statuses and to ImmD and back: status moves, the review, the
submission gates, submitting (the frozen package), ImmD's requests for further information,
the correspondence log, and reassignment to another consultant.

The same services as the pages, with the same rules: the review and the submission are for
a manager or admin who is not the case's consultant; opening a request for further
information and reassigning are for managers and admins; the rest for anyone who may see
the case. Every change names the case version it was made from (If-Match), except a
reassignment of many cases at once, which names no single case.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

from flask import abort
from marshmallow import fields, validate
from sqlalchemy import select
from werkzeug.wrappers import Response

from caseapp import clock
from caseapp.api.base import (
    ETAG_HEADER,
    IF_MATCH,
    ApiBlueprint,
    api_user,
    case_or_404,
    etag_headers,
    expected_version,
    found_or_404,
    require_role,
    roles_allowed,
)
from caseapp.api.fields import Text
from caseapp.api.schemas import StrictSchema, UserRefSchema
from caseapp.downloads import package_download
from caseapp.extensions import db
from caseapp.models import (
    Case,
    Correspondence,
    CorrespondenceKind,
    Direction,
    InformationRequest,
    PackageKind,
    ReviewOutcome,
    Role,
    SubmissionPackage,
    User,
)
from caseapp.queries.case_filters import visible_to
from caseapp.queries.submission import (
    case_correspondence,
    case_information_requests,
    case_packages,
    get_correspondence,
    get_information_request,
    get_package,
    package_content,
)
from caseapp.rules.workflow import CaseStatus
from caseapp.services import reassign as reassign_service
from caseapp.services import submission as submission_service
from caseapp.services.cases import check_version, ensure_editable
from caseapp.services.errors import ValidationFailed
from caseapp.services.workflow import MAX_REASON_LENGTH, move_status, moves_for
from caseapp.web.security import MAX_ID

blp = ApiBlueprint("api_workflow", __name__, url_prefix="/api/v1",
                   description="Status moves, the review, submission to ImmD, ImmD's requests "
                               "and letters, and reassignment.")

MANAGERS = (Role.MANAGER, Role.ADMIN)
STATUSES = [s.value for s in CaseStatus]
# Submission is no move of the status menu: it goes through POST .../submit.
MOVE_TARGETS = [s.value for s in CaseStatus if s is not CaseStatus.SUBMITTED]
GATES = list(submission_service.GATE_TITLES)
OVERRIDABLE_GATES = [g for g in GATES if g != submission_service.REVIEW]


def _location(description: str) -> dict[str, Any]:
    return {**ETAG_HEADER, "Location": {"description": description,
                                        "schema": {"type": "string"}}}


def _text(maximum: int, **kwargs: Any) -> Text:
    return Text(multi_line=True, validate=validate.Length(min=1, max=maximum), **kwargs)


# ---- status moves -----------------------------------------------------------------------------

class MoveSchema(StrictSchema):
    to = fields.String(required=True, validate=validate.OneOf(STATUSES))
    label = fields.String(required=True)
    needs_reason = fields.Boolean(required=True, metadata={
        "description": "The move is refused without a reason."})


class MovesSchema(StrictSchema):
    status = fields.String(required=True, validate=validate.OneOf(STATUSES))
    moves = fields.List(fields.Nested(MoveSchema), required=True)


class MoveInputSchema(StrictSchema):
    to = fields.String(required=True, validate=validate.OneOf(
        MOVE_TARGETS, error="Choose one of: {choices}. A case goes to ImmD through "
                            "POST /cases/<reference>/submit, after its review."))
    reason = Text(multi_line=True, load_default="",
                  validate=validate.Length(max=MAX_REASON_LENGTH),
                           metadata={"description": "Required to put a case on hold, withdraw "
                                                    "it or record a refusal."})


class StatusChangeSchema(StrictSchema):
    from_status = fields.String(allow_none=True, required=True,
                                validate=validate.OneOf(STATUSES))
    to_status = fields.String(required=True, validate=validate.OneOf(STATUSES))
    reason = fields.String(required=True)
    override = fields.Boolean(required=True, metadata={
        "description": "A submission past failing gates."})
    changed_at = fields.DateTime(required=True)
    changed_by = fields.Nested(UserRefSchema, required=True)


@blp.get("/cases/<reference>/moves")
@blp.response(200, MovesSchema, headers=ETAG_HEADER)
def list_moves(reference: str) -> Any:
    """The status moves you may make on the case now, as its status menu offers them."""
    case = case_or_404(reference)
    moves = [{"to": m.target.value, "label": m.target.label, "needs_reason": m.needs_reason}
             for m in moves_for(api_user(), case)]
    return {"status": case.status.value, "moves": moves}, 200, etag_headers(case)


@blp.post("/cases/<reference>/status")
@blp.arguments(MoveInputSchema)
@blp.response(200, StatusChangeSchema, headers=ETAG_HEADER)
@blp.doc(parameters=[IF_MATCH])
def move(data: dict[str, Any], reference: str) -> Any:
    """Move the case to another status, as the transition table allows (409 otherwise)."""
    case = case_or_404(reference)
    change = move_status(api_user(), case, CaseStatus(data["to"]), data["reason"],
                         expected_version())
    return change, 200, etag_headers(case)


# ---- the review and the gates ------------------------------------------------------------------

class ReviewInputSchema(StrictSchema):
    outcome = fields.String(required=True, validate=validate.OneOf(
        [o.value for o in ReviewOutcome]))
    comment = _text(submission_service.MAX_COMMENT_LENGTH, required=True, metadata={
        "description": "Approving: what you checked. Returning: what to fix."})


class ReviewSchema(StrictSchema):
    id = fields.Integer(required=True)
    outcome = fields.String(required=True, validate=validate.OneOf(
        [o.value for o in ReviewOutcome]))
    comment = fields.String(required=True)
    case_version = fields.Integer(required=True, metadata={
        "description": "An approval holds for this version of the case only."})
    reviewed_by = fields.Nested(UserRefSchema, required=True)
    reviewed_at = fields.DateTime(required=True)


class GateSchema(StrictSchema):
    key = fields.String(required=True, validate=validate.OneOf(GATES))
    title = fields.String(required=True)
    passed = fields.Boolean(required=True)
    message = fields.String(required=True)
    overridable = fields.Boolean(required=True, metadata={
        "description": "A manager may submit past it, failing, with a reason (never the "
                       "review)."})


class GatesSchema(StrictSchema):
    lodged_on = fields.Date(required=True)
    passed = fields.Boolean(required=True, metadata={"description": "Every gate passes."})
    gates = fields.List(fields.Nested(GateSchema), required=True)


class GatesQuery(StrictSchema):
    lodged_on = fields.Date(metadata={"description": "The day the application is lodged "
                                                     "(default today)."})


@blp.post("/cases/<reference>/review")
@roles_allowed(*MANAGERS)
@blp.arguments(ReviewInputSchema)
@blp.response(200, ReviewSchema, headers=ETAG_HEADER)
@blp.doc(parameters=[IF_MATCH])
def review(data: dict[str, Any], reference: str) -> Any:
    """Review a case ready for review (a manager or admin who is not its consultant).
    Approving records the approval on the case as it is now; returning moves it back to
    collecting documents with the comment as what to fix."""
    case = case_or_404(reference)
    user = require_role(*MANAGERS)
    outcome = submission_service.review_case(user, case, ReviewOutcome(data["outcome"]),
                                             data["comment"], expected_version())
    return outcome, 200, etag_headers(case)


@blp.get("/cases/<reference>/submission-gates")
@blp.arguments(GatesQuery, location="query", as_kwargs=True)
@blp.response(200, GatesSchema, headers=ETAG_HEADER)
def gates(reference: str, lodged_on: date | None = None) -> Any:
    """Every gate on the way to ImmD, passed or not, with what is missing."""
    case = case_or_404(reference)
    day = lodged_on or clock.today()
    found = submission_service.submission_gates(case, day)
    return ({"lodged_on": day, "passed": all(g.passed for g in found), "gates": found}, 200,
            etag_headers(case))


# ---- submission and the frozen packages -------------------------------------------------------

class SubmitInputSchema(StrictSchema):
    immd_file_number = fields.String(required=True, validate=[
        validate.Length(min=1, max=submission_service.MAX_FILE_NUMBER_LENGTH),
        validate.Regexp(r"^[A-Za-z0-9][A-Za-z0-9 ./()-]*$",
                        error="Letters, digits, spaces and the signs . / ( ) - only.")],
        metadata={"description": "The file number ImmD gave the application."})
    submitted_on = fields.Date(required=True, metadata={
        "description": "The day it was lodged with ImmD: not in the future, not before the "
                       "case was opened."})
    overrides = fields.Dict(
        keys=fields.String(validate=validate.OneOf(OVERRIDABLE_GATES)),
        values=Text(multi_line=True, validate=validate.Length(
            min=1, max=submission_service.MAX_COMMENT_LENGTH)),
        load_default=dict,
        metadata={"description": "The failing gates you submit past, each with the reason: "
                                 "{gate: reason}. A failing gate not named refuses the "
                                 "submission (409); the review is never overridden."})


class PackageSummarySchema(StrictSchema):
    id = fields.Integer(required=True)
    kind = fields.String(required=True, validate=validate.OneOf([k.value for k in PackageKind]))
    sent_on = fields.Date(required=True)
    information_request_id = fields.Integer(allow_none=True, required=True, metadata={
        "description": "The request a further-information package answers."})
    sha256 = fields.String(required=True, metadata={
        "description": "Of the package's text exactly as frozen (its download)."})
    created_by = fields.Nested(UserRefSchema, required=True)
    created_at = fields.DateTime(required=True)


class PackageSchema(PackageSummarySchema):
    content = fields.Dict(keys=fields.String(), values=fields.Raw(), required=True, metadata={
        "description": "What was sent: the facts, the check result, the deposit evidence, the "
                       "documents, the review and any overridden gates (or, replying to "
                       "ImmD, the notes and documents)."})


class PackageListSchema(StrictSchema):
    items = fields.List(fields.Nested(PackageSummarySchema), required=True)


def _package(package: SubmissionPackage) -> dict[str, Any]:
    return {"id": package.id, "kind": package.kind.value, "sent_on": package.sent_on,
            "information_request_id": package.information_request_id,
            "sha256": package.sha256, "created_by": package.created_by,
            "created_at": package.created_at, "content": package_content(package)}


def _package_path(case: Case, package: SubmissionPackage) -> str:
    return f"/api/v1/cases/{case.reference}/packages/{package.id}"


@blp.post("/cases/<reference>/submit")
@roles_allowed(*MANAGERS)
@blp.arguments(SubmitInputSchema)
@blp.response(201, PackageSchema, headers=_location("The package, as sent."))
@blp.doc(parameters=[IF_MATCH])
def submit(data: dict[str, Any], reference: str) -> Any:
    """Record that the case was lodged with ImmD (a manager or admin who is not its
    consultant, after an approval given on the case as it is now). What was sent is frozen
    as a package. Every gate must pass or, but the review, be named in `overrides`."""
    case = case_or_404(reference)
    user = require_role(*MANAGERS)
    package = submission_service.submit_case(
        user, case, data["immd_file_number"], data["submitted_on"], expected_version(),
        overrides=data["overrides"])
    return _package(package), 201, {**etag_headers(case),
                                          "Location": _package_path(case, package)}


@blp.get("/cases/<reference>/packages")
@blp.response(200, PackageListSchema, headers=ETAG_HEADER)
def list_packages(reference: str) -> Any:
    """What was sent to ImmD, newest first: the application, then each reply to a request
    for further information."""
    case = case_or_404(reference)
    return {"items": case_packages(case)}, 200, etag_headers(case)


@blp.get("/cases/<reference>/packages/<int:package_id>")
@blp.response(200, PackageSchema, headers=ETAG_HEADER)
def read_package(reference: str, package_id: int) -> Any:
    """One package with its content. Its `sha256` is of the download's bytes."""
    case = case_or_404(reference)
    return _package(found_or_404(get_package(case, package_id))), 200, etag_headers(case)


@blp.get("/cases/<reference>/packages/<int:package_id>/download")
@blp.doc(responses={200: {"description": "The package's text exactly as frozen: its SHA-256 "
                                         "is the package's `sha256`.",
                          "content": {"application/json": {"schema": {"type": "object"}}}}})
def download_package(reference: str, package_id: int) -> Response:
    """The frozen text byte for byte, as the package page's download gives it."""
    case = case_or_404(reference)
    return package_download(case, found_or_404(get_package(case, package_id)))


# ---- ImmD's requests for further information ---------------------------------------------------

class InformationRequestInputSchema(StrictSchema):
    requested_on = fields.Date(required=True, metadata={
        "description": "The date of ImmD's letter: not in the future, not before the "
                       "submission."})
    details = _text(submission_service.MAX_DETAILS_LENGTH, required=True, metadata={
        "description": "What ImmD asked for."})
    due_on = fields.Date(required=True, metadata={
        "description": "The date ImmD wants the reply by: not before requested_on."})


class RequestDocumentSchema(StrictSchema):
    id = fields.Integer(required=True)
    kind = fields.String(required=True)
    filename = fields.String(required=True, attribute="original_filename")
    sha256 = fields.String(required=True)
    uploaded_at = fields.DateTime(required=True)


class InformationRequestSchema(StrictSchema):
    id = fields.Integer(required=True)
    requested_on = fields.Date(required=True)
    details = fields.String(required=True)
    due_on = fields.Date(required=True)
    is_open = fields.Boolean(required=True, metadata={"description": "No reply sent yet."})
    reply_notes = fields.String(required=True)
    opened_by = fields.Nested(UserRefSchema, required=True)
    opened_at = fields.DateTime(required=True)
    answered_on = fields.Date(allow_none=True, required=True)
    answered_by = fields.Nested(UserRefSchema, allow_none=True, required=True)


class InformationRequestDetailSchema(InformationRequestSchema):
    documents = fields.List(fields.Nested(RequestDocumentSchema), required=True, metadata={
        "description": "The documents uploaded for the request: they go with the reply."})


class InformationRequestListSchema(StrictSchema):
    items = fields.List(fields.Nested(InformationRequestSchema), required=True)


class ReplyNotesInputSchema(StrictSchema):
    notes = Text(multi_line=True, required=True, validate=validate.Length(
        max=submission_service.MAX_DETAILS_LENGTH))


class SendReplyInputSchema(StrictSchema):
    sent_on = fields.Date(required=True, metadata={
        "description": "The day the reply went to ImmD: not in the future, not before the "
                       "request."})


def _request_detail(request: InformationRequest) -> dict[str, Any]:
    return {"id": request.id, "requested_on": request.requested_on, "details": request.details,
            "due_on": request.due_on, "is_open": request.is_open,
            "reply_notes": request.reply_notes, "opened_by": request.opened_by,
            "opened_at": request.opened_at, "answered_on": request.answered_on,
            "answered_by": request.answered_by,
            "documents": submission_service.request_documents(request)}


def _request_path(case: Case, request: InformationRequest) -> str:
    return f"/api/v1/cases/{case.reference}/information-requests/{request.id}"


@blp.get("/cases/<reference>/information-requests")
@blp.response(200, InformationRequestListSchema, headers=ETAG_HEADER)
def list_information_requests(reference: str) -> Any:
    """ImmD's requests for further information on the case, newest first."""
    case = case_or_404(reference)
    return {"items": case_information_requests(case)}, 200, etag_headers(case)


@blp.post("/cases/<reference>/information-requests")
@roles_allowed(*MANAGERS)
@blp.arguments(InformationRequestInputSchema)
@blp.response(201, InformationRequestDetailSchema, headers=_location("The request."))
@blp.doc(parameters=[IF_MATCH])
def open_information_request(data: dict[str, Any], reference: str) -> Any:
    """Record ImmD's request for further information on a submitted case (managers and
    admins). Documents can be uploaded for it until the reply is sent."""
    case = case_or_404(reference)
    user = require_role(*MANAGERS)
    request = submission_service.open_information_request(
        user, case, data["requested_on"], data["details"], data["due_on"], expected_version())
    return _request_detail(request), 201, {**etag_headers(case),
                                           "Location": _request_path(case, request)}


@blp.get("/cases/<reference>/information-requests/<int:request_id>")
@blp.response(200, InformationRequestDetailSchema, headers=ETAG_HEADER)
def read_information_request(reference: str, request_id: int) -> Any:
    """One request with its reply notes and the documents uploaded for it."""
    case = case_or_404(reference)
    request = found_or_404(get_information_request(case, request_id))
    return _request_detail(request), 200, etag_headers(case)


@blp.put("/cases/<reference>/information-requests/<int:request_id>/notes")
@blp.arguments(ReplyNotesInputSchema)
@blp.response(200, InformationRequestDetailSchema, headers=ETAG_HEADER)
@blp.doc(parameters=[IF_MATCH])
def save_reply_notes(data: dict[str, Any], reference: str, request_id: int) -> Any:
    """Keep the notes that go with the reply while the documents are gathered."""
    case = case_or_404(reference)
    request = found_or_404(get_information_request(case, request_id))
    submission_service.save_reply_notes(api_user(), case, request, data["notes"],
                                        expected_version())
    return _request_detail(request), 200, etag_headers(case)


@blp.post("/cases/<reference>/information-requests/<int:request_id>/reply")
@blp.arguments(SendReplyInputSchema)
@blp.response(201, PackageSchema, headers=_location("The package, as sent."))
@blp.doc(parameters=[IF_MATCH])
def send_reply(data: dict[str, Any], reference: str, request_id: int) -> Any:
    """Send the reply: the notes and the documents uploaded for the request are frozen as a
    further-information package, and the request is closed."""
    case = case_or_404(reference)
    request = found_or_404(get_information_request(case, request_id))
    package = submission_service.send_reply(api_user(), case, request, data["sent_on"],
                                            expected_version())
    return _package(package), 201, {**etag_headers(case),
                                          "Location": _package_path(case, package)}


# ---- the correspondence log --------------------------------------------------------------------

class CorrespondenceInputSchema(StrictSchema):
    dated = fields.Date(required=True, metadata={"description": "The date of the letter: not "
                                                                "in the future."})
    direction = fields.String(required=True, validate=validate.OneOf(
        [d.value for d in Direction]))
    kind = fields.String(required=True, validate=validate.OneOf(
        [k.value for k in CorrespondenceKind]))
    summary = _text(submission_service.MAX_DETAILS_LENGTH, required=True, metadata={
        "description": "What the letter says."})


class CorrespondenceSchema(StrictSchema):
    id = fields.Integer(required=True)
    dated = fields.Date(required=True)
    direction = fields.String(required=True, validate=validate.OneOf(
        [d.value for d in Direction]))
    kind = fields.String(required=True, validate=validate.OneOf(
        [k.value for k in CorrespondenceKind]))
    summary = fields.String(required=True)
    document_id = fields.Integer(allow_none=True, required=True)
    recorded_by = fields.Nested(UserRefSchema, required=True)
    recorded_at = fields.DateTime(required=True)


class CorrespondenceListSchema(StrictSchema):
    items = fields.List(fields.Nested(CorrespondenceSchema), required=True)


@blp.get("/cases/<reference>/correspondence")
@blp.response(200, CorrespondenceListSchema, headers=ETAG_HEADER)
def list_correspondence(reference: str) -> Any:
    """The letters to and from ImmD, newest first."""
    case = case_or_404(reference)
    return {"items": case_correspondence(case)}, 200, etag_headers(case)


@blp.post("/cases/<reference>/correspondence")
@blp.arguments(CorrespondenceInputSchema)
@blp.response(201, CorrespondenceSchema, headers=_location("The entry."))
@blp.doc(parameters=[IF_MATCH])
def log_correspondence(data: dict[str, Any], reference: str) -> Any:
    """Log a letter to or from ImmD on a submitted case (a decided, closed case too: the log
    only grows)."""
    case = case_or_404(reference)
    entry = submission_service.log_correspondence(
        api_user(), case, data["dated"], Direction(data["direction"]),
        CorrespondenceKind(data["kind"]), data["summary"], expected_version())
    return entry, 201, {**etag_headers(case), "Location":
                        f"/api/v1/cases/{case.reference}/correspondence/{entry.id}"}


@blp.get("/cases/<reference>/correspondence/<int:entry_id>")
@blp.response(200, CorrespondenceSchema, headers=ETAG_HEADER)
def read_correspondence(reference: str, entry_id: int) -> Any:
    """One logged letter."""
    case = case_or_404(reference)
    entry: Correspondence | None = get_correspondence(case, entry_id)
    if entry is None:
        abort(404)
    return entry, 200, etag_headers(case)


# ---- reassignment ------------------------------------------------------------------------------

class ReassignInputSchema(StrictSchema):
    consultant_id = fields.Integer(required=True, validate=validate.Range(1, MAX_ID), metadata={
        "description": "The active consultant who takes the case."})
    reason = _text(reassign_service.MAX_REASON_LENGTH, required=True, metadata={
        "description": "Goes on the case's history."})


class BulkReassignInputSchema(ReassignInputSchema):
    references = fields.List(
        fields.String(validate=validate.Regexp(r"^[A-Za-z0-9-]{1,20}$",
                                               error="Not a case reference.")),
        required=True, validate=validate.Length(min=1, max=reassign_service.MAX_SELECTED),
        metadata={"description": "The cases to reassign (at most "
                                 f"{reassign_service.MAX_SELECTED:,})."})


class ReassignResultSchema(StrictSchema):
    consultant = fields.Nested(UserRefSchema, required=True)
    moved = fields.Integer(required=True)
    unchanged = fields.Integer(required=True, metadata={
        "description": "Already with the consultant."})
    closed = fields.Integer(required=True, metadata={
        "description": "Closed, so read-only: skipped."})


def _consultant(consultant_id: int) -> User:
    consultant = db.session.get(User, consultant_id)
    if consultant is None:
        raise ValidationFailed({"consultant_id": ["There is no user with this id."]})
    return consultant


@contextmanager
def _consultant_is_consultant_id() -> Iterator[None]:
    """The service names the consultant `consultant` (the page's field); a request names
    it `consultant_id`, so its refusal is filed there, as it is."""
    try:
        yield
    except ValidationFailed as error:
        error.errors = {("consultant_id" if name == "consultant" else name): messages
                        for name, messages in error.errors.items()}
        raise


def _result(result: reassign_service.ReassignResult, consultant: User) -> dict[str, Any]:
    return {"consultant": consultant, "moved": result.moved, "unchanged": result.unchanged,
            "closed": result.closed}


@blp.post("/cases/<reference>/reassign")
@roles_allowed(*MANAGERS)
@blp.arguments(ReassignInputSchema)
@blp.response(200, ReassignResultSchema, headers=ETAG_HEADER)
@blp.doc(parameters=[IF_MATCH])
def reassign_case(data: dict[str, Any], reference: str) -> Any:
    """Give the case to another consultant (managers and admins). A closed case is
    read-only (409)."""
    user = require_role(*MANAGERS)
    case = case_or_404(reference)
    ensure_editable(case)
    check_version(case, expected_version())
    consultant = _consultant(data["consultant_id"])
    with _consultant_is_consultant_id():
        result = reassign_service.reassign(user, [case.id], consultant, data["reason"])
    return _result(result, consultant), 200, etag_headers(case)


@blp.post("/reassign")
@roles_allowed(*MANAGERS)
@blp.arguments(BulkReassignInputSchema)
@blp.response(200, ReassignResultSchema)
def reassign_cases(data: dict[str, Any]) -> Any:
    """Give several cases to another consultant (managers and admins), as the case list's
    selection does: closed cases are skipped and counted, as are cases already with the
    consultant. Names no single case, so no If-Match: each case's version moves on, so a
    change prepared before the reassignment conflicts (412) when sent after it."""
    user = require_role(*MANAGERS)
    references = list(dict.fromkeys(data["references"]))
    found: dict[str, int] = {reference: case_id for reference, case_id in db.session.execute(
        select(Case.reference, Case.id).where(Case.reference.in_(references), visible_to(user)))}
    unknown = [r for r in references if r not in found]
    if unknown:
        raise ValidationFailed({"references": ["There is no case " + ", ".join(unknown) + "."]})
    consultant = _consultant(data["consultant_id"])
    with _consultant_is_consultant_id():
        result = reassign_service.reassign(user, list(found.values()), consultant,
                                           data["reason"])
    return _result(result, consultant)
