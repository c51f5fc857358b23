"""Placeholder until the area lands (being replaced by the reassignment work)."""

from flask import abort

from caseapp.web.manage.routes import bp


@bp.route("/reassign", methods=["POST"])
def reassign_selected() -> None:
    abort(404)


@bp.route("/reassign/all", methods=["GET", "POST"])
def reassign_filtered() -> None:
    abort(404)
