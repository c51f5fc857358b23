"""Status moves from the case page."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, url_for
from flask_login import login_required
from werkzeug.wrappers import Response
from wtforms import StringField, TextAreaField
from wtforms.validators import Length

from caseapp.models import Case, User
from caseapp.rules.workflow import CaseStatus
from caseapp.services.errors import ServiceError
from caseapp.services.workflow import MAX_REASON_LENGTH, move_status, moves_for
from caseapp.web.access import acting_user, case_or_404
from caseapp.web.cases.forms import VersionedForm
from caseapp.web.formflow import refusal

bp = Blueprint("workflow", __name__)


class MoveForm(VersionedForm):
    target = StringField()
    reason = TextAreaField("Reason", validators=[Length(max=MAX_REASON_LENGTH)])


def workflow_panel_context(user: User, case: Case) -> dict[str, Any]:
    return {
        "moves": moves_for(user, case),
        "move_form": MoveForm(version=str(case.version)),
    }


@bp.route("/cases/<reference>/status", methods=["POST"])
@login_required
def move(reference: str) -> Response:
    case = case_or_404(reference)
    form = MoveForm()
    back = redirect(url_for("cases.show", reference=case.reference, _anchor="workflow"))
    if not form.validate_on_submit():
        flash("The move was not made: " + "; ".join(
            m for messages in form.errors.values() for m in messages), "error")
        return back
    if not (form.target.data or "").strip():
        flash("The move was not made: choose the status to move the case to.", "error")
        return back
    target = CaseStatus._value2member_map_.get(form.target.data or "")
    if not isinstance(target, CaseStatus):
        flash("The move was not made: that status does not exist.", "error")
        return back
    try:
        move_status(
            acting_user(), case, target, form.reason.data or "", form.expected_version())
    except ServiceError as error:
        flash(f"The move was not made: {refusal(error)}", "error")
    else:
        flash(f"{case.reference} moved to {target.label}.", "success")
    return back
