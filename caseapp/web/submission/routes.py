"""The way to ImmD and back, from the case page: review, submit, answer ImmD, log letters."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, render_template
from flask_login import login_required
from werkzeug.wrappers import Response

from caseapp.downloads import package_download
from caseapp.models import Case, InformationRequest, ReviewOutcome
from caseapp.queries.submission import get_information_request, get_package, package_content
from caseapp.services import submission as submission_service
from caseapp.services.workflow import may_override
from caseapp.web.access import acting_user, case_or_404
from caseapp.web.formflow import case_page, save_form
from caseapp.web.submission.forms import (
    CorrespondenceForm,
    InformationRequestForm,
    ReplyNotesForm,
    ReviewForm,
    SendReplyForm,
    SubmitForm,
)

bp = Blueprint("submission", __name__)
ANCHOR = "submission"


def _refuse_unless_reviewer(case: Case, doing: str) -> Response | None:
    """Consultants, and the case's own consultant, are sent back with the reason."""
    user = acting_user()
    if not may_override(user):
        flash(f"Only a manager can {doing}.", "error")
        return case_page(case, ANCHOR)
    if user.id == case.consultant_id:
        flash(f"The case's own consultant cannot {doing}: another manager does.", "error")
        return case_page(case, ANCHOR)
    return None


def _gates(case: Case) -> list[submission_service.Gate]:
    return submission_service.submission_gates(case)


@bp.route("/cases/<reference>/review", methods=["GET", "POST"])
@login_required
def review(reference: str) -> Any:
    case = case_or_404(reference)
    if (refused := _refuse_unless_reviewer(case, "review a case")) is not None:
        return refused
    form = ReviewForm()
    return save_form(
        case, form,
        save=lambda: submission_service.review_case(
            acting_user(), case, ReviewOutcome(form.outcome.data), form.comment.data or "",
            form.expected_version()),
        success=lambda r: (f"{case.reference} approved for submission." if r.outcome is
                           ReviewOutcome.APPROVED else
                           f"{case.reference} returned to {case.consultant.name}."),
        render=lambda: render_template("submission/review.html", form=form, case=case,
                                       gates=_gates(case)),
        anchor=ANCHOR,
    )


@bp.route("/cases/<reference>/submit", methods=["GET", "POST"])
@login_required
def submit(reference: str) -> Any:
    case = case_or_404(reference)
    if (refused := _refuse_unless_reviewer(case, "submit a case to ImmD")) is not None:
        return refused
    form = SubmitForm()
    return save_form(
        case, form,
        save=lambda: submission_service.submit_case(
            acting_user(), case, form.immd_file_number.data or "", form.submitted_on.data,
            form.expected_version(), override=bool(form.override.data),
            reason=form.reason.data or ""),
        success=lambda package: (f"{case.reference} submitted to ImmD on "
                                 f"{package.sent_on.isoformat()} (file {case.immd_file_number})."),
        render=lambda: render_template("submission/submit.html", form=form, case=case,
                                       gates=_gates(case)),
        anchor=ANCHOR,
    )


@bp.route("/cases/<reference>/packages/<int:package_id>")
@login_required
def package(reference: str, package_id: int) -> str:
    case = case_or_404(reference)
    found = get_package(case, package_id)
    if found is None:
        abort(404)
    return render_template("submission/package.html", case=case, package=found,
                           content=package_content(found))


@bp.route("/cases/<reference>/packages/<int:package_id>/download")
@login_required
def download_package(reference: str, package_id: int) -> Response:
    """The frozen text exactly as stored: its SHA-256 is the one shown on the page."""
    case = case_or_404(reference)
    found = get_package(case, package_id)
    if found is None:
        abort(404)
    return package_download(case, found)


@bp.route("/cases/<reference>/information-requests/new", methods=["GET", "POST"])
@login_required
def new_request(reference: str) -> Any:
    case = case_or_404(reference)
    if not may_override(acting_user()):
        flash("Only a manager can open a request for further information.", "error")
        return case_page(case, ANCHOR)
    form = InformationRequestForm()
    return save_form(
        case, form,
        save=lambda: submission_service.open_information_request(
            acting_user(), case, form.requested_on.data, form.details.data or "",
            form.due_on.data, form.expected_version()),
        success=lambda r: (f"Request for further information recorded, reply due "
                           f"{r.due_on.isoformat()}. Documents can be uploaded for it now."),
        render=lambda: render_template("submission/request_form.html", form=form, case=case),
        anchor=ANCHOR,
    )


def _request_or_404(case: Case, request_id: int) -> InformationRequest:
    found = get_information_request(case, request_id)
    if found is None:
        abort(404)
    return found


def _reply_page(case: Case, request: InformationRequest, notes_form: ReplyNotesForm,
                send_form: SendReplyForm) -> str:
    return render_template(
        "submission/reply.html", case=case, request=request, notes_form=notes_form,
        send_form=send_form, documents=submission_service.request_documents(request))


@bp.route("/cases/<reference>/information-requests/<int:request_id>", methods=["GET", "POST"])
@login_required
def reply(reference: str, request_id: int) -> Any:
    case = case_or_404(reference)
    request = _request_or_404(case, request_id)
    notes_form = ReplyNotesForm(notes=request.reply_notes)
    send_form = SendReplyForm(formdata=None, version=str(case.version))
    return save_form(
        case, notes_form,
        save=lambda: submission_service.save_reply_notes(
            acting_user(), case, request, notes_form.notes.data or "",
            notes_form.expected_version()),
        success=lambda changes: "Reply notes saved." if changes else "Nothing changed.",
        render=lambda: _reply_page(case, request, notes_form, send_form),
        anchor=ANCHOR,
    )


@bp.route("/cases/<reference>/information-requests/<int:request_id>/send", methods=["POST"])
@login_required
def send_reply(reference: str, request_id: int) -> Any:
    case = case_or_404(reference)
    request = _request_or_404(case, request_id)
    send_form = SendReplyForm()
    notes_form = ReplyNotesForm(formdata=None, notes=request.reply_notes,
                                version=str(case.version))
    return save_form(
        case, send_form,
        save=lambda: submission_service.send_reply(
            acting_user(), case, request, send_form.sent_on.data,
            send_form.expected_version()),
        success=lambda package: (f"Reply sent to ImmD on {package.sent_on.isoformat()}; "
                                 "the package is kept as sent."),
        render=lambda: _reply_page(case, request, notes_form, send_form),
        anchor=ANCHOR,
    )


@bp.route("/cases/<reference>/correspondence/new", methods=["GET", "POST"])
@login_required
def log_correspondence(reference: str) -> Any:
    case = case_or_404(reference)
    form = CorrespondenceForm()
    return save_form(
        case, form,
        save=lambda: submission_service.log_correspondence(
            acting_user(), case, form.dated.data, form.direction.data, form.kind.data,
            form.summary.data or "", form.expected_version()),
        success=lambda entry: f"{entry.kind.label} of {entry.dated.isoformat()} logged.",
        render=lambda: render_template("submission/correspondence_form.html", form=form,
                                       case=case),
        anchor=ANCHOR,
    )
