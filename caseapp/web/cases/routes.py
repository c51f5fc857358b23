"""A client file: open a case, its page, history, the applicant and the dependants."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, render_template
from flask_login import login_required
from werkzeug.wrappers import Response

from caseapp.models import Role
from caseapp.queries.cases import get_dependant
from caseapp.queries.history import audit_page
from caseapp.services import cases as case_service
from caseapp.services.checks import configured_rule_set, rule_set_for_case
from caseapp.services.errors import ServiceError
from caseapp.web.access import acting_user, case_or_404, roles_required
from caseapp.web.case_page import case_page_context
from caseapp.web.cases.forms import ApplicantForm, CaseDetailsForm, ConfirmForm, DependantForm
from caseapp.web.formflow import case_page, form_failed, page_arg, refuse_if_locked, save_form

bp = Blueprint("cases", __name__)


@bp.route("/cases/new", methods=["GET", "POST"])
@roles_required(Role.CONSULTANT)
def new_case() -> Any:
    rule_set = configured_rule_set()
    form = ApplicantForm().for_test(rule_set.general_points_kind)
    if form.validate_on_submit():
        try:
            case = case_service.open_case(acting_user(), form.applicant_values())
        except ServiceError as error:
            form_failed(form, error)
        else:
            flash(f"Case {case.reference} opened.", "success")
            return case_page(case)
    return render_template("cases/applicant_form.html", form=form, case=None, rule_set=rule_set)


@bp.route("/cases/<reference>")
@login_required
def show(reference: str) -> str:
    case = case_or_404(reference)
    return render_template(
        "cases/show.html", case=case, **case_page_context(acting_user(), case)
    )


@bp.route("/cases/<reference>/history")
@login_required
def history(reference: str) -> str:
    case = case_or_404(reference)
    entries = audit_page(case, page_arg())
    return render_template("cases/history.html", case=case, entries=entries)


@bp.route("/cases/<reference>/applicant", methods=["GET", "POST"])
@login_required
def edit_applicant(reference: str) -> Any:
    case = case_or_404(reference)
    if (closed := refuse_if_locked(case)) is not None:
        return closed
    # The facts the rule set in force for this case reads (by its lodging date).
    rule_set = rule_set_for_case(case)
    form = ApplicantForm(obj=case.applicant).for_test(rule_set.general_points_kind)
    return save_form(
        case, form,
        save=lambda: case_service.update_applicant(
            acting_user(), case, form.applicant_values(), form.expected_version()),
        success=lambda changes: "Applicant saved." if changes else "Nothing changed.",
        render=lambda: render_template("cases/applicant_form.html", form=form, case=case,
                                       rule_set=rule_set),
    )


@bp.route("/cases/<reference>/details", methods=["GET", "POST"])
@login_required
def edit_details(reference: str) -> Any:
    case = case_or_404(reference)
    if (closed := refuse_if_locked(case)) is not None:
        return closed
    form = CaseDetailsForm(obj=case)
    return save_form(
        case, form,
        save=lambda: case_service.update_case_details(
            acting_user(), case, form.planned_submission_date.data, form.expected_version()),
        success=lambda changes: "Case details saved." if changes else "Nothing changed.",
        render=lambda: render_template("cases/details_form.html", form=form, case=case),
    )


@bp.route("/cases/<reference>/dependants/new", methods=["GET", "POST"])
@login_required
def add_dependant(reference: str) -> Any:
    case = case_or_404(reference)
    if (closed := refuse_if_locked(case)) is not None:
        return closed
    form = DependantForm()
    return save_form(
        case, form,
        save=lambda: case_service.add_dependant(
            acting_user(), case, form.dependant_values(), form.expected_version()),
        success=lambda dependant: f"{dependant.full_name} added.",
        render=lambda: render_template(
            "cases/dependant_form.html", form=form, case=case, dependant=None),
    )


@bp.route("/cases/<reference>/dependants/<int:dependant_id>", methods=["GET", "POST"])
@login_required
def edit_dependant(reference: str, dependant_id: int) -> Any:
    case = case_or_404(reference)
    dependant = get_dependant(case, dependant_id)
    if dependant is None:
        abort(404)
    if (closed := refuse_if_locked(case)) is not None:
        return closed
    form = DependantForm(obj=dependant)
    return save_form(
        case, form,
        save=lambda: case_service.update_dependant(
            acting_user(), case, dependant, form.dependant_values(), form.expected_version()),
        success=lambda changes: f"{dependant.full_name} saved." if changes
        else "Nothing changed.",
        render=lambda: render_template(
            "cases/dependant_form.html", form=form, case=case, dependant=dependant,
            remove_form=ConfirmForm(version=str(case.version))),
    )


@bp.route("/cases/<reference>/dependants/<int:dependant_id>/remove", methods=["POST"])
@login_required
def remove_dependant(reference: str, dependant_id: int) -> Response:
    case = case_or_404(reference)
    dependant = get_dependant(case, dependant_id)
    if dependant is None:
        abort(404)
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    name = dependant.full_name
    try:
        case_service.remove_dependant(acting_user(), case, dependant, form.expected_version())
    except ServiceError as error:
        flash(error.message, "error")
    else:
        flash(f"{name} removed from the case.", "success")
    return case_page(case)
