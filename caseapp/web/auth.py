"""Signing in and out, and the rules every signed-in request passes first.

- A sign-in starts a new session: whatever the cookie held before (a CSRF token, anything a
  visitor was handed before signing in) is dropped, so a session fixed beforehand is worth
  nothing afterwards.
- Attempts are throttled per account and per address (``services.signins``); an unknown
  email, a wrong password and a deactivated account get the same message.
- A session idle for ``SESSION_IDLE_MINUTES`` ends.
- A user whose password an admin reset must choose a new one before anything else.
- Sessions carry the user's session epoch (``User.get_id``): a password change, a reset or a
  deactivation ends every other session of that user.
"""

from __future__ import annotations

import time
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_required, login_user, logout_user
from werkzeug.wrappers import Response
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Length

from caseapp.clock import business_timezone
from caseapp.extensions import limiter
from caseapp.models import User
from caseapp.services import signins
from caseapp.web.access import safe_next
from caseapp.web.textcheck import SafeTextForm

bp = Blueprint("auth", __name__)

REFUSED = "Wrong email or password, or the account is deactivated."
# The session key of the last request's time (seconds since the epoch).
LAST_SEEN = "_seen"
# Refreshed at most this often, so that not every response re-sends the cookie.
LAST_SEEN_RESOLUTION = 60
# A user who must choose a new password may still reach these.
CHANGE_PASSWORD = "profile.change_password"
OPEN_DURING_PASSWORD_CHANGE = frozenset({CHANGE_PASSWORD, "auth.logout", "auth.login",
                                         "static"})


class LoginForm(SafeTextForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=1024)])


def throttled_message(throttled: signins.Throttled) -> str:
    until = throttled.until.astimezone(business_timezone())
    return ("Too many failed sign-ins for this account or from this address: try again after "
            f"{until:%H:%M} ({business_timezone().key} time).")


def _login_limit() -> str:
    return str(current_app.config["LOGIN_RATE_LIMIT"])


def start_session(user: User) -> None:
    """Sign ``user`` in on a fresh session (also after a password change: the new epoch)."""
    session.clear()
    login_user(user)
    session[LAST_SEEN] = int(time.time())


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def login() -> Any:
    if current_user.is_authenticated:
        return redirect(url_for("cases.index"))
    form = LoginForm()
    if form.validate_on_submit():
        outcome = signins.attempt(form.email.data or "", form.password.data or "",
                                  request.remote_addr, request.user_agent.string)
        if isinstance(outcome, User):
            target = safe_next(request.args.get("next"))
            start_session(outcome)
            if outcome.must_change_password:
                return redirect(url_for(CHANGE_PASSWORD))
            return redirect(target)
        if isinstance(outcome, signins.Throttled):
            form.password.errors = [throttled_message(outcome)]
        else:
            form.password.errors = [REFUSED]
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout() -> Response:
    logout_user()
    session.clear()
    flash("You are signed out.", "info")
    return redirect(url_for("auth.login"))


@bp.before_app_request
def session_rules() -> Response | None:
    """End an idle session; hold a user who must change their password to that page."""
    if request.endpoint == "static" or not current_user.is_authenticated:
        return None
    api = request.path.startswith("/api/")
    if api and request.headers.get("Authorization"):
        return None  # a token, not this session, says who is asking
    now = int(time.time())
    idle_limit = int(current_app.config["SESSION_IDLE_MINUTES"]) * 60
    seen = session.get(LAST_SEEN)
    if isinstance(seen, int) and idle_limit > 0 and now - seen > idle_limit:
        logout_user()
        session.clear()
        if api:
            return None  # the API answers 401 for a request with no one signed in
        hours = idle_limit / 3600
        flash(f"You were signed out after {hours:g} hours without activity: sign in again.",
              "info")
        target = request.full_path.rstrip("?") if request.method == "GET" else None
        return redirect(url_for("auth.login", next=target))
    if not isinstance(seen, int) or now - seen >= LAST_SEEN_RESOLUTION:
        session[LAST_SEEN] = now
    if current_user.must_change_password and request.endpoint not in (
            OPEN_DURING_PASSWORD_CHANGE):
        if api:
            abort(403, description="An admin reset your password: choose a new one on the "
                                   "profile page first.")
        return redirect(url_for(CHANGE_PASSWORD))  # the page says why
    return None
