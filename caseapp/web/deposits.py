"""Deposit evidence pages (record, edit, verify, reject)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, render_template
from flask_login import login_required
from werkzeug.wrappers import Response

from caseapp.models import Case, DepositEvidence
from caseapp.queries.deposits import get_deposit
from caseapp.services import deposits as deposit_service
from caseapp.services.errors import ServiceError
from caseapp.web.access import acting_user, case_or_404
from caseapp.web.deposits_forms import DepositForm, RejectForm, VerifyForm
from caseapp.web.formflow import case_page, refuse_if_locked, save_form
from caseapp.web.helpers import format_money

bp = Blueprint("deposits", __name__)
ANCHOR = "deposits"


def _evidence_or_404(case: Case, evidence_id: int) -> DepositEvidence:
    evidence = get_deposit(case, evidence_id)
    if evidence is None:
        abort(404)
    return evidence


def _describe(evidence: DepositEvidence) -> str:
    """'HSBC, 2026-01-31, USD 100,000.00': how the flash messages name a statement."""
    return (f"{evidence.bank}, {evidence.statement_date.isoformat()}, "
            f"{format_money(evidence.amount, evidence.currency)}")


@bp.route("/cases/<reference>/deposits/new", methods=["GET", "POST"])
@login_required
def new(reference: str) -> Any:
    case = case_or_404(reference)
    if (closed := refuse_if_locked(case, ANCHOR)) is not None:
        return closed
    form = DepositForm()
    return save_form(
        case, form,
        save=lambda: deposit_service.record_deposit(
            acting_user(), case, form.deposit_values(), form.expected_version()),
        success=lambda evidence: (
            f"Deposit evidence recorded ({_describe(evidence)}, "
            f"{format_money(evidence.amount_hkd)}); it is pending verification."),
        render=lambda: render_template("deposits/form.html", form=form, case=case,
                                       evidence=None),
        anchor=ANCHOR,
    )


@bp.route("/cases/<reference>/deposits/<int:evidence_id>/edit", methods=["GET", "POST"])
@login_required
def edit(reference: str, evidence_id: int) -> Any:
    case = case_or_404(reference)
    evidence = _evidence_or_404(case, evidence_id)
    if (closed := refuse_if_locked(case, ANCHOR)) is not None:
        return closed
    form = DepositForm(obj=evidence)
    return save_form(
        case, form,
        save=lambda: deposit_service.update_deposit(
            acting_user(), case, evidence, form.deposit_values(), form.expected_version()),
        success=lambda changes: _saved_message(evidence, changes),
        render=lambda: render_template("deposits/form.html", form=form, case=case,
                                       evidence=evidence),
        anchor=ANCHOR,
    )


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
    if (closed := refuse_if_locked(case, ANCHOR)) is not None:
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
    return case_page(case, ANCHOR)


@bp.route("/cases/<reference>/deposits/<int:evidence_id>/reject", methods=["GET", "POST"])
@login_required
def reject(reference: str, evidence_id: int) -> Any:
    case = case_or_404(reference)
    evidence = _evidence_or_404(case, evidence_id)
    if (closed := refuse_if_locked(case, ANCHOR)) is not None:
        return closed
    form = RejectForm()
    return save_form(
        case, form,
        save=lambda: deposit_service.reject_deposit(
            acting_user(), case, evidence, form.reason.data, form.expected_version()),
        success=lambda _: f"Deposit evidence rejected ({_describe(evidence)}).",
        render=lambda: render_template("deposits/reject.html", form=form, case=case,
                                       evidence=evidence),
        anchor=ANCHOR,
    )
