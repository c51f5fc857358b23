"""The profile pages: the signed-in user's personal API tokens, their calendar feed, and
their password.

A new token's secret is shown once, in the response to the POST that created it: never in a
redirect's URL, never in a flash message (those travel in the session cookie), never in a
log. Reloading that page would send the form again, and the service refuses a second working
token of the same name, so no second secret appears by accident. Only the secret's hash is
kept (``services.tokens``).

The calendar feed's address is shown the same way: once, in the response to the POST that
turned the feed on (it holds the token). Turning it on again makes a new address and stops
the old one; turning it off asks first.

A password change ends every other session of the user (the service moves their session
epoch on); this one is signed in again with the new epoch, so it carries on.
"""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import login_required, login_user

from caseapp.extensions import limiter
from caseapp.models import ApiToken
from caseapp.queries.calendar import latest_feed
from caseapp.queries.tokens import get_token, token_status, tokens_of
from caseapp.services import calendar as calendar_service
from caseapp.services import signins
from caseapp.services import tokens as token_service
from caseapp.services import users as user_service
from caseapp.services.calendar import IssuedFeed
from caseapp.services.errors import ServiceError, ValidationFailed
from caseapp.services.tokens import IssuedToken, last_valid_day, max_days
from caseapp.web.access import acting_user
from caseapp.web.auth import throttled_message
from caseapp.web.formflow import form_failed, refusal
from caseapp.web.profile.forms import (
    CalendarFeedForm,
    PasswordChangeForm,
    RevokeForm,
    TokenForm,
)

bp = Blueprint("profile", __name__, url_prefix="/profile")


def _render(form: TokenForm, issued: IssuedToken | None = None,
            issued_feed: IssuedFeed | None = None) -> str:
    user = acting_user()
    feed_url = (url_for("calendar_feed.feed", token=issued_feed.token, _external=True)
                if issued_feed is not None else None)
    return render_template(
        "profile/index.html", user=user, tokens=tokens_of(user), form=form, issued=issued,
        revoke_form=RevokeForm(), token_status=token_status, last_valid_day=last_valid_day,
        max_days=max_days(), feed=latest_feed(user), feed_url=feed_url,
        feed_form=CalendarFeedForm())


def _own_token_or_404(token_id: int) -> ApiToken:
    token = get_token(acting_user(), token_id)
    if token is None:
        abort(404)
    return token


@bp.route("/")
@login_required
def index() -> str:
    return _render(TokenForm())


@bp.route("/tokens", methods=["POST"])
@login_required
def create_token() -> Any:
    form = TokenForm()
    if form.validate_on_submit():
        user = acting_user()
        try:
            issued = token_service.create_token(user, user, form.name.data,
                                                form.expires_on.data)
        except ServiceError as error:
            form_failed(form, error)
        else:
            # Rendered here, in this response only: the page that shows the secret.
            return _render(TokenForm(formdata=None), issued=issued)
    return _render(form)


@bp.route("/tokens/<int:token_id>/revoke", methods=["GET", "POST"])
@login_required
def revoke_token(token_id: int) -> Any:
    token = _own_token_or_404(token_id)
    form = RevokeForm()
    if form.validate_on_submit():
        try:
            token_service.revoke_token(acting_user(), token)
        except ServiceError as error:
            flash(refusal(error), "error")
        else:
            flash(f"The token \"{token.name}\" ({token.prefix}…) is revoked: anything that "
                  "uses it is refused from now on.", "success")
        return redirect(url_for("profile.index"))
    return render_template("profile/revoke.html", token=token, form=form,
                           status=token_status(token), last_valid_day=last_valid_day)


@bp.route("/calendar", methods=["POST"])
@login_required
def turn_on_calendar_feed() -> Any:
    form = CalendarFeedForm()
    if form.validate_on_submit():
        try:
            issued = calendar_service.turn_on(acting_user())
        except ServiceError as error:
            flash(refusal(error), "error")
        else:
            # Rendered here, in this response only: the page that shows the address.
            return _render(TokenForm(formdata=None), issued_feed=issued)
    return redirect(url_for("profile.index", _anchor="calendar-head"))


@bp.route("/calendar/off", methods=["GET", "POST"])
@login_required
def turn_off_calendar_feed() -> Any:
    user = acting_user()
    form = CalendarFeedForm()
    if form.validate_on_submit():
        try:
            calendar_service.turn_off(user)
        except ServiceError as error:
            flash(refusal(error), "error")
        else:
            flash("Your calendar feed is off: calendars subscribed to it get nothing more "
                  "from now on.", "success")
        return redirect(url_for("profile.index", _anchor="calendar-head"))
    return render_template("profile/calendar_off.html", form=form, feed=latest_feed(user))


def _password_limit() -> str:
    # As many tries as at the sign-in: a session left open is no way to guess the password.
    return str(current_app.config["LOGIN_RATE_LIMIT"])


@bp.route("/password", methods=["GET", "POST"])
@limiter.limit(_password_limit, methods=["POST"])
@login_required
def change_password() -> Any:
    user = acting_user()
    form = PasswordChangeForm()
    if form.validate_on_submit():
        # The sign-in's lock holds here too: an open session is no way to guess the password.
        locked = signins.password_check_locked(user, request.remote_addr)
        try:
            if locked is not None:
                raise ValidationFailed({"current_password": [throttled_message(locked)]})
            user_service.change_password(user, form.current_password.data or "",
                                         form.new_password.data or "", form.confirm.data or "")
        except ServiceError as error:
            if (locked is None and isinstance(error, ValidationFailed)
                    and "current_password" in error.errors):
                signins.record_wrong_current_password(user, request.remote_addr,
                                                      request.user_agent.string)
            form_failed(form, error)
        else:
            login_user(user)  # this session, with the new epoch; every other one has ended
            flash("Your password is changed. Any other place you were signed in is signed "
                  "out.", "success")
            return redirect(url_for("profile.index"))
    return render_template("profile/password.html", form=form, user=user,
                           min_length=user_service.MIN_PASSWORD_LENGTH)
