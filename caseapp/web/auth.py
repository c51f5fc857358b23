"""Signing in and out."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Length

from caseapp.extensions import limiter
from caseapp.services.users import authenticate

bp = Blueprint("auth", __name__)


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=1024)])


def _login_limit() -> str:
    from flask import current_app

    return str(current_app.config["LOGIN_RATE_LIMIT"])


def _safe_next(target: str | None) -> str:
    """Only a path on this site: never redirect a signed-in user to another host.

    Browsers drop tabs and newlines and read a backslash as a slash, so "/\t/evil.example"
    would leave the site: anything but a plain path goes to the case list.
    """
    fallback = url_for("cases.index")
    if not target or any(c in target for c in "\\\t\r\n") or not target.isprintable():
        return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return fallback
    return target


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def login() -> Any:
    if current_user.is_authenticated:
        return redirect(url_for("cases.index"))
    form = LoginForm()
    if form.validate_on_submit():
        user = authenticate(form.email.data or "", form.password.data or "")
        if user is not None:
            login_user(user)
            return redirect(_safe_next(request.args.get("next")))
        form.password.errors = ["Wrong email or password, or the account is deactivated."]
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout() -> Response:
    logout_user()
    flash("You are signed out.", "info")
    return redirect(url_for("auth.login"))
