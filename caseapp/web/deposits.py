"""Deposit evidence pages (record, edit, verify, reject)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import login_required
from werkzeug.wrappers import Response

from caseapp.models import Case, DepositEvidence
from caseapp.queries.deposits import get_deposit
from caseapp.services import deposits as deposit_service
from caseapp.services.errors import ConflictError, ServiceError, ValidationFailed
from caseapp.web.access import acting_user, case_or_404
from caseapp.web.cases_forms import VersionedForm
from caseapp.web.deposits_forms import DepositForm, RejectForm, VerifyForm
from caseapp.web.helpers import format_money

bp = Blueprint("deposits", __name__)


def _case_page(case: Case) -> Response:
    return redirect(url_for("cases.show", reference=case.reference, _anchor="deposits"))


def _evidence_or_404(case: Case, evidence_id: int) -> DepositEvidence:
    evidence = get_deposit(case, evidence_id)
    if evidence is None:
        abort(404)
    return evidence


def _refuse_if_closed(case: Case) -> Response | None:
    if case.is_closed:
        flash(f"This case is {case.status.label.lower()} and can no longer be changed.", "error")
        return _case_page(case)
    return None


def _form_failed(form: VersionedForm, error: ServiceError) -> None:
    """Put a service's refusal on the form so the page shows it beside the user's input."""
    if isinstance(error, ValidationFailed):
        for field_name, messages in error.errors.items():
            field = getattr(form, field_name, None)
            if field is not None:
                field.errors = [*field.errors, *messages]
            else:
                flash("; ".join(messages), "error")
    else:
        flash(error.message, "error")
    if isinstance(error, ConflictError):
        form.version.data = str(error.current_version)


def _describe(evidence: DepositEvidence) -> str:
    """'HSBC, 2026-01-31, USD 100,000.00': how the flash messages name a statement."""
    return (f"{evidence.bank}, {evidence.statement_date.isoformat()}, "
            f"{format_money(evidence.amount, evidence.currency)}")


@bp.route("/cases/<reference>/deposits/new", methods=["GET", "POST"])
@login_required
def new(reference: str) -> Any:
    case = case_or_404(reference)
    if (closed := _refuse_if_closed(case)) is not None:
        return closed
    form = DepositForm()
    if request.method == "GET":
        form.version.data = str(case.version)
    if form.validate_on_submit():
        try:
            evidence = deposit_service.record_deposit(
                acting_user(), case, form.deposit_values(), form.expected_version()
            )
        except ServiceError as error:
            _form_failed(form, error)
        else:
            flash(f"Deposit evidence recorded ({_describe(evidence)}, "
                  f"{format_money(evidence.amount_hkd)}); it is pending verification.",
                  "success")
            return _case_page(case)
    return render_template("deposits/form.html", form=form, case=case, evidence=None)


@bp.route("/cases/<reference>/deposits/<int:evidence_id>/edit", methods=["GET", "POST"])
@login_required
def edit(reference: str, evidence_id: int) -> Any:
    case = case_or_404(reference)
    evidence = _evidence_or_404(case, evidence_id)
    if (closed := _refuse_if_closed(case)) is not None:
        return closed
    form = DepositForm(obj=evidence)
    if request.method == "GET":
        form.version.data = str(case.version)
    if form.validate_on_submit():
        try:
            changes = deposit_service.update_deposit(
                acting_user(), case, evidence, form.deposit_values(), form.expected_version()
            )
        except ServiceError as error:
            _form_failed(form, error)
        else:
            flash(_saved_message(evidence, changes), "success")
            return _case_page(case)
    return render_template("deposits/form.html", form=form, case=case, evidence=evidence)


def _saved_message(evidence: DepositEvidence, changes: dict[str, Any]) -> str:
    if not changes:
        return "Nothing changed."
    if "status" in changes:
        return (f"Deposit evidence saved ({_describe(evidence)}). It was "
                f"{changes['status'][0]} and is pending again: it needs verifying anew.")
    return f"Deposit evidence saved ({_describe(evidence)})."


@bp.route("/cases/<reference>/deposits/<int:evidence_id>/verify", methods=["POST"])
@login_required
def verify(reference: str, evidence_id: int) -> Response:
    case = case_or_404(reference)
    evidence = _evidence_or_404(case, evidence_id)
    if (closed := _refuse_if_closed(case)) is not None:
        return closed
    form = VerifyForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        deposit_service.verify_deposit(acting_user(), case, evidence, form.expected_version())
    except ServiceError as error:
        flash(f"Not verified: {error.message}", "error")
    else:
        flash(f"Deposit evidence verified ({_describe(evidence)}).", "success")
    return _case_page(case)


@bp.route("/cases/<reference>/deposits/<int:evidence_id>/reject", methods=["GET", "POST"])
@login_required
def reject(reference: str, evidence_id: int) -> Any:
    case = case_or_404(reference)
    evidence = _evidence_or_404(case, evidence_id)
    if (closed := _refuse_if_closed(case)) is not None:
        return closed
    form = RejectForm()
    if request.method == "GET":
        form.version.data = str(case.version)
    if form.validate_on_submit():
        try:
            deposit_service.reject_deposit(
                acting_user(), case, evidence, form.reason.data, form.expected_version()
            )
        except ServiceError as error:
            _form_failed(form, error)
        else:
            flash(f"Deposit evidence rejected ({_describe(evidence)}).", "success")
            return _case_page(case)
    return render_template("deposits/reject.html", form=form, case=case, evidence=evidence)
