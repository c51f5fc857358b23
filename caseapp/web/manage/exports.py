"""Placeholder until the area lands (being replaced by the export work)."""

from flask import abort

from caseapp.web.manage.routes import bp


@bp.route("/export.csv")
def export_csv() -> None:
    abort(404)


@bp.route("/export.xlsx")
def export_xlsx() -> None:
    abort(404)
