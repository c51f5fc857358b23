"""The browsable API documentation: Swagger UI, served by the app from its vendored copy."""

from __future__ import annotations

from flask import Blueprint, render_template, url_for

SWAGGER_UI = "vendor/swagger-ui-dist-5.35.0"

bp = Blueprint("api_docs", __name__)


@bp.route("/api/v1/docs")
def docs() -> str:
    return render_template("api/docs.html", swagger_ui=SWAGGER_UI,
                           spec_url=url_for("api-docs.openapi_json"))
