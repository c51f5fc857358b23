"""Running the QMAS checks from the case page, and reading a stored run."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import login_required
from werkzeug.wrappers import Response

from caseapp.queries.checks import get_check_run
from caseapp.queries.history import check_runs_page
from caseapp.services.cases import VersionCheck
from caseapp.services.checks import is_current, run_checks_on_request, stored_result
from caseapp.services.errors import ServiceError
from caseapp.web.access import acting_user, case_or_404
from caseapp.web.cases.forms import ConfirmForm
from caseapp.web.formflow import page_arg, refusal

bp = Blueprint("checks", __name__)


@bp.route("/cases/<reference>/checks", methods=["POST"])
@login_required
def run(reference: str) -> Response:
    case = case_or_404(reference)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    back = redirect(url_for("cases.show", reference=case.reference, _anchor="checks"))
    try:
        # The button carries no version: a run is a record, it changes nothing being edited.
        check_run = run_checks_on_request(acting_user(), case, VersionCheck.SKIP)
    except ServiceError as error:  # a closed case is read-only
        flash(refusal(error), "error")
        return back
    verdict = stored_result(check_run).verdict
    flash(f"Checks run: {verdict.label.lower()}.", "success")
    return back


@bp.route("/cases/<reference>/checks")
@login_required
def index(reference: str) -> str:
    case = case_or_404(reference)
    return render_template("checks/index.html", case=case,
                           runs=check_runs_page(case, page_arg()))


@bp.route("/cases/<reference>/checks/<int:run_id>")
@login_required
def show(reference: str, run_id: int) -> str:
    case = case_or_404(reference)
    check_run = get_check_run(case, run_id)
    if check_run is None:
        abort(404)
    return render_template(
        "checks/run.html",
        case=case,
        run=check_run,
        result=stored_result(check_run),
        current=is_current(check_run, case),
    )
