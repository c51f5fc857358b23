"""Saved views of the case list: save the current filter under a name, rename, delete."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import login_required
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response
from wtforms import HiddenField, StringField
from wtforms.validators import DataRequired, Length

from caseapp.queries.case_list import parse_sort
from caseapp.queries.views import saved_view_of
from caseapp.services import views as view_service
from caseapp.services.errors import ServiceError, ValidationFailed
from caseapp.web.access import acting_user
from caseapp.web.cases.listing import ListLinks, parsed_list_args
from caseapp.web.cases.routes import bp
from caseapp.web.formflow import form_failed
from caseapp.web.textcheck import SafeTextForm


class SavedViewForm(SafeTextForm):
    name = StringField("Name", validators=[
        DataRequired(message="Give the view a name."),
        Length(max=view_service.MAX_NAME_LENGTH)])
    query = HiddenField()


class ConfirmDeleteForm(SafeTextForm):
    pass


def _normalised_query(raw: str) -> str:
    """Only what the list understands, in its own spelling: no cursor, nothing unknown."""
    args = MultiDict(_pairs(raw))
    parsed = parsed_list_args(args)
    return ListLinks(parsed.filters, parse_sort(args.get("sort"))).query_string


def _pairs(raw: str) -> list[tuple[str, str]]:
    return parse_qsl(raw[:view_service.MAX_QUERY_LENGTH * 2], keep_blank_values=True)


@bp.route("/views/new", methods=["GET", "POST"])
@login_required
def new_view() -> Any:
    form = SavedViewForm()
    if request.method == "GET":
        form.query.data = _normalised_query(request.query_string.decode("utf-8", "replace"))
    if form.validate_on_submit():
        query = _normalised_query(form.query.data or "")
        try:
            view = view_service.save_view(acting_user(), form.name.data or "", query)
        except ServiceError as error:
            form_failed(form, error)
        else:
            flash(f"View “{view.name}” saved.", "success")
            return redirect("/?" + view.query)
    return render_template("cases/view_form.html", form=form, view=None,
                           query=_normalised_query(form.query.data or ""))


@bp.route("/views/<int:view_id>", methods=["GET", "POST"])
@login_required
def edit_view(view_id: int) -> Any:
    view = saved_view_of(acting_user(), view_id)
    if view is None:
        abort(404)
    form = SavedViewForm(obj=view)
    if form.validate_on_submit():
        try:
            view_service.rename_view(acting_user(), view, form.name.data or "")
        except ValidationFailed as error:
            form_failed(form, error)
        else:
            flash(f"View renamed to “{view.name}”.", "success")
            return redirect("/?" + view.query)
    return render_template("cases/view_form.html", form=form, view=view, query=view.query,
                           delete_form=ConfirmDeleteForm())


@bp.route("/views/<int:view_id>/delete", methods=["POST"])
@login_required
def delete_view(view_id: int) -> Response:
    view = saved_view_of(acting_user(), view_id)
    if view is None:
        abort(404)
    if not ConfirmDeleteForm().validate_on_submit():
        abort(400)
    name = view.name
    view_service.delete_view(acting_user(), view)
    flash(f"View “{name}” deleted.", "success")
    return redirect(url_for("cases.index"))
