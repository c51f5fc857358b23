"""Placeholder until the area lands (being replaced by the dashboard work)."""

from flask import abort

from caseapp.web.manage.routes import bp


@bp.route("/")
def dashboard() -> None:
    abort(404)
