"""The admins' blueprint: the table of reference exchange rates to HKD."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from caseapp.models import Role
from caseapp.queries.rates import Cursor, format_rate, get_rate, rates_page
from caseapp.services import rates as rate_service
from caseapp.services.deposits import HKD, currencies, currency_error
from caseapp.services.errors import ServiceError
from caseapp.web.access import acting_user, roles_required
from caseapp.web.admin.forms import DeleteForm, RateForm
from caseapp.web.formflow import form_failed

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.route("/")
@roles_required(Role.ADMIN)
def index() -> Response:
    return redirect(url_for("admin.rates"))


def _currency_filter() -> tuple[str | None, str | None]:
    """The currency to list, and a message when the one asked for is no currency (it is then
    left out, and the whole table listed)."""
    asked = request.args.get("currency", "").strip().upper()
    if not asked:
        return None, None
    problem = "HKD is always 1: the table holds no HKD rates." if asked == HKD else (
        currency_error(asked))
    return (None, problem) if problem else (asked, None)


@bp.route("/rates")
@roles_required(Role.ADMIN)
def rates() -> str:
    currency, filter_error = _currency_filter()
    page = rates_page(currency, after=Cursor.decode(request.args.get("after")),
                      before=Cursor.decode(request.args.get("before")))
    return render_template(
        "admin/rates.html", page=page, currency=currency, filter_error=filter_error,
        typed_currency=request.args.get("currency", ""),
        currencies=[c for c in currencies() if c[0] != HKD],
        delete_form=DeleteForm(), format_rate=format_rate)


@bp.route("/rates/new", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def new_rate() -> Any:
    form = RateForm()
    if form.validate_on_submit():
        try:
            rate = rate_service.add_rate(acting_user(), form.rate_values())
        except ServiceError as error:
            form_failed(form, error)
        else:
            flash(f"Rate added: {rate.currency} {rate.rate_date.isoformat()} "
                  f"{format_rate(rate.rate)} ({rate.source}).", "success")
            return redirect(url_for("admin.rates", currency=rate.currency))
    return render_template("admin/rate_form.html", form=form)


@bp.route("/rates/<int:rate_id>/delete", methods=["POST"])
@roles_required(Role.ADMIN)
def delete_rate(rate_id: int) -> Response:
    form = DeleteForm()
    if not form.validate_on_submit():
        abort(400)
    rate = get_rate(rate_id)
    if rate is None:
        flash("That rate is no longer in the table (deleted already?).", "error")
    else:
        described = rate_service.delete_rate(acting_user(), rate)
        flash(f"Rate deleted: {described}. Deposit evidence compared with it keeps the rate it "
              "was compared with.", "success")
    return redirect(url_for("admin.rates", currency=request.args.get("currency") or None))
