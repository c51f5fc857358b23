"""Deposit evidence pages (record, edit, verify, reject) and the reference-rate look-up the
deposit form's script asks."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, abort, flash, jsonify, render_template, request
from flask_login import login_required
from werkzeug.wrappers import Response

from caseapp import clock
from caseapp.models import Case, DepositEvidence
from caseapp.queries.deposits import bank_statement_choices, get_deposit
from caseapp.queries.rates import ReferenceRate, format_rate
from caseapp.services import deposits as deposit_service
from caseapp.services.errors import ServiceError
from caseapp.web.access import acting_user, case_or_404
from caseapp.web.deposits.forms import DepositForm, RejectForm, VerifyForm
from caseapp.web.formflow import case_page, refuse_if_locked, save_form
from caseapp.web.helpers import format_money

bp = Blueprint("deposits", __name__)
ANCHOR = "deposits"


@bp.app_template_global()
def deposit_review_refusal(evidence: DepositEvidence) -> str | None:
    """Why the signed-in user may not verify or reject ``evidence`` (four-eyes), or None."""
    return deposit_service.review_refusal(acting_user(), evidence)


@bp.app_template_global()
def deposit_verification_blocker(evidence: DepositEvidence) -> str | None:
    return deposit_service.verification_blocker(evidence)


def _evidence_or_404(case: Case, evidence_id: int) -> DepositEvidence:
    evidence = get_deposit(case, evidence_id)
    if evidence is None:
        abort(404)
    return evidence


def _describe(evidence: DepositEvidence) -> str:
    """'HSBC, 2026-01-31, USD 100,000.00': how the flash messages name a statement."""
    return (f"{evidence.bank}, {evidence.statement_date.isoformat()}, "
            f"{format_money(evidence.amount, evidence.currency)}")


def reference_text(currency: str, on_date: date) -> str:
    """What the form says beside the rate: the reference rate of the statement date."""
    if currency == deposit_service.HKD:
        return "HKD is always 1."
    reference = deposit_service.reference_for(currency, on_date)
    if reference is None:
        return f"No reference rate for {currency} on or before {on_date.isoformat()}."
    return f"Reference rate {reference.label}"


def _form_page(form: DepositForm, case: Case, evidence: DepositEvidence | None) -> str:
    """The deposit form, with the reference rate of the currency and date it shows, so that
    the page tells it without JavaScript too (after a refused save, say)."""
    currency, on_date = form.currency.data, form.statement_date.data
    reference = None
    if (isinstance(on_date, date) and on_date <= clock.today()
            and deposit_service.currency_error(currency or "") is None):
        reference = reference_text(currency, on_date)
    return render_template(
        "deposits/form.html", form=form, case=case, evidence=evidence, reference=reference,
        may_confirm=deposit_service.may_confirm_rates(acting_user()),
        tolerance=format_rate(deposit_service.tolerance_percent()))


def _deposit_form(case: Case, evidence: DepositEvidence | None) -> DepositForm:
    form = DepositForm(obj=evidence)
    form.set_statements(bank_statement_choices(case, evidence))
    return form


@bp.route("/cases/<reference>/deposits/new", methods=["GET", "POST"])
@login_required
def new(reference: str) -> Any:
    case = case_or_404(reference)
    if (closed := refuse_if_locked(case, ANCHOR)) is not None:
        return closed
    form = _deposit_form(case, None)
    return save_form(
        case, form,
        save=lambda: deposit_service.record_deposit(
            acting_user(), case, form.deposit_values(), form.expected_version(),
            form.confirmation()),
        success=lambda evidence: (
            f"Deposit evidence recorded ({_describe(evidence)}, "
            f"{format_money(evidence.amount_hkd)}); it is pending verification."),
        render=lambda: _form_page(form, case, None),
        anchor=ANCHOR,
    )


@bp.route("/cases/<reference>/deposits/<int:evidence_id>/edit", methods=["GET", "POST"])
@login_required
def edit(reference: str, evidence_id: int) -> Any:
    case = case_or_404(reference)
    evidence = _evidence_or_404(case, evidence_id)
    if (closed := refuse_if_locked(case, ANCHOR)) is not None:
        return closed
    form = _deposit_form(case, evidence)
    return save_form(
        case, form,
        save=lambda: deposit_service.update_deposit(
            acting_user(), case, evidence, form.deposit_values(), form.expected_version(),
            form.confirmation()),
        success=lambda changes: _saved_message(evidence, changes),
        render=lambda: _form_page(form, case, evidence),
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
                                       evidence=evidence,
                                       refusal=deposit_service.review_refusal(
                                           acting_user(), evidence, "rejects")),
        anchor=ANCHOR,
    )


# ---- the reference rate, for the deposit form's script ---------------------------------------

def _rate_json(currency: str, on_date: date, reference: ReferenceRate | None) -> dict[str, Any]:
    found = reference is not None
    return {
        "currency": currency,
        "date": on_date.isoformat(),
        "rate": format_rate(reference.rate) if found else None,
        "rate_date": reference.rate_date.isoformat() if found else None,
        "source": reference.source if found else None,
        "label": reference_text(currency, on_date),
    }


@bp.route("/deposits/reference-rate")
@login_required
def reference_rate() -> Response | tuple[Response, int]:
    """``?currency=USD&date=2026-11-20``: the reference rate of that day or the latest before
    it, as JSON. The same for every signed-in user: rates are no client's data."""
    currency = request.args.get("currency", "").strip().upper()
    text = request.args.get("date", "").strip()
    try:
        on_date = date.fromisoformat(text) if len(text) == 10 else None
    except ValueError:
        on_date = None
    if (problem := deposit_service.currency_error(currency)) is not None:
        return jsonify({"error": problem}), 400
    if on_date is None:
        return jsonify({"error": "Give the date as YYYY-MM-DD."}), 400
    if on_date > clock.today():
        return jsonify({"error": "The statement date cannot be in the future."}), 400
    return jsonify(_rate_json(currency, on_date, deposit_service.reference_for(currency,
                                                                               on_date)))
