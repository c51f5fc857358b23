"""The admins' user pages (on the ``admin`` blueprint, admins only): the list, a new user, one
user with their sign-in history, editing the name and role, deactivating and reactivating,
and resetting a password.

A temporary password (a new user's, or a reset's) is shown once, in the response to the POST
that made it: never in a redirect's URL, never in a flash message (those travel in the
session cookie), never in a log. Signed-in pages are served ``no-store`` (web.security).
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from caseapp.extensions import db
from caseapp.models import Role, User
from caseapp.queries.signins import decode_sign_in_cursor, reason_label, sign_in_page
from caseapp.queries.users import user_page
from caseapp.services import users as user_service
from caseapp.services.errors import ServiceError, ValidationFailed
from caseapp.web.access import acting_user, roles_required
from caseapp.web.admin.forms import (
    ROLE_CHOICES,
    UserActionForm,
    UserCreateForm,
    UserEditForm,
)
from caseapp.web.admin.routes import bp
from caseapp.web.formflow import form_failed, refusal

USERS_PER_PAGE = 50
ACTIVE_CHOICES = [("", "Active and deactivated"), ("yes", "Active only"),
                  ("no", "Deactivated only")]


def _user_or_404(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    return user


def _list_filters() -> tuple[str | None, str, str | None]:
    """The role and active state ("yes", "no" or "" for both) to list, and a message when the
    role asked for is none (it is then left out)."""
    asked_role = request.args.get("role", "")
    role = asked_role if asked_role in {value for value, _label in ROLE_CHOICES} else None
    problem = ("There is no such role: showing every role."
               if asked_role and role is None else None)
    active = request.args.get("active", "")
    return role, active if active in ("yes", "no") else "", problem


@bp.route("/users")
@roles_required(Role.ADMIN)
def users() -> str:
    role, active, filter_error = _list_filters()
    only_active = {"yes": True, "no": False}.get(active)
    try:
        page = user_page(role, only_active, request.args.get("after"),
                         request.args.get("before"), USERS_PER_PAGE)
    except ValidationFailed as error:  # a cursor this list did not give
        filter_error = refusal(error)
        page = user_page(role, only_active, None, None, USERS_PER_PAGE)
    return render_template(
        "admin/users.html", page=page, role=role, active=active, filter_error=filter_error,
        role_choices=ROLE_CHOICES, active_choices=ACTIVE_CHOICES)


@bp.route("/users/new", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def new_user() -> Any:
    form = UserCreateForm()
    if form.validate_on_submit():
        try:
            user, temporary = user_service.create_user_with_temporary_password(
                acting_user(), form.email.data or "", form.name.data or "",
                Role(form.role.data))
        except ServiceError as error:
            form_failed(form, error)
        else:
            # Rendered here, in this response only: the page that shows the password.
            return render_template("admin/user_created.html", user=user, temporary=temporary)
    return render_template("admin/user_form.html", form=form, user=None)


@bp.route("/users/<int:user_id>")
@roles_required(Role.ADMIN)
def user(user_id: int) -> str:
    shown = _user_or_404(user_id)
    asked = request.args.get("after")
    after = decode_sign_in_cursor(asked)
    history = sign_in_page(shown, after)
    return render_template(
        "admin/user.html", user=shown, history=history, reason_label=reason_label,
        bad_cursor=bool(asked) and after is None, action_form=UserActionForm(),
        is_self=shown.id == acting_user().id)


@bp.route("/users/<int:user_id>/edit", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def edit_user(user_id: int) -> Any:
    edited = _user_or_404(user_id)
    if request.method == "POST":
        form = UserEditForm()
    else:
        shown = user_service.shown_values(edited)
        form = UserEditForm(data={**shown, "seen_name": shown["name"],
                                  "seen_role": shown["role"]})
    if form.validate_on_submit():
        actor = acting_user()
        try:
            changes = user_service.update_user(
                actor, edited, name=form.name.data or "", role=Role(form.role.data),
                seen=form.seen())
        except user_service.ChangedMeanwhile as error:
            flash(error.message, "error")
            # What is current now: saving again (after checking) goes through.
            current = user_service.shown_values(edited)
            form.seen_name.data, form.seen_role.data = current["name"], current["role"]
        except ServiceError as error:
            form_failed(form, error)
        else:
            if not changes:
                flash("Nothing changed.", "info")
            else:
                flash(f"Saved: {edited.name}, {edited.role.label}.", "success")
            if actor.role is not Role.ADMIN:  # an admin who made themselves something else
                return redirect(url_for("profile.index"))
            return redirect(url_for("admin.user", user_id=edited.id))
    return render_template("admin/user_form.html", form=form, user=edited)


def _set_active(user_id: int, active: bool) -> Response:
    target = _user_or_404(user_id)
    form = UserActionForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        user_service.set_active(target, active, acting_user())
    except ServiceError as error:
        flash(refusal(error), "error")
    else:
        flash(f"{target.name} can sign in again." if active else
              f"{target.name} is deactivated: signed out everywhere, and their API tokens no "
              "longer work.", "success")
    return redirect(url_for("admin.user", user_id=target.id))


@bp.route("/users/<int:user_id>/deactivate", methods=["POST"])
@roles_required(Role.ADMIN)
def deactivate_user(user_id: int) -> Response:
    return _set_active(user_id, False)


@bp.route("/users/<int:user_id>/reactivate", methods=["POST"])
@roles_required(Role.ADMIN)
def reactivate_user(user_id: int) -> Response:
    return _set_active(user_id, True)


@bp.route("/users/<int:user_id>/reset-password", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def reset_password(user_id: int) -> Any:
    """GET: what a reset does, and the button. POST: the reset, and its password, once."""
    target = _user_or_404(user_id)
    form = UserActionForm()
    if form.validate_on_submit():
        try:
            temporary = user_service.reset_password(acting_user(), target)
        except ServiceError as error:
            flash(refusal(error), "error")
            return redirect(url_for("admin.user", user_id=target.id))
        return render_template("admin/password_reset.html", user=target, temporary=temporary)
    return render_template("admin/password_reset_confirm.html", user=target, form=form,
                           is_self=target.id == acting_user().id)
