from __future__ import annotations

from typing import Any

from flask import Flask, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from caseapp.api import errors as api_errors
from caseapp.extensions import db
from caseapp.services.errors import ServiceError


def register_error_handlers(app: Flask) -> None:
    """HTML error pages; under /api/ the same errors answer as JSON (``api.errors``)."""

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError) -> Any:
        message = "Your form expired or was sent from another page. Please try again."
        if api_errors.is_api_request():
            return api_errors.error_response(400, {"X-CSRFToken": [
                "A signed-in browser session sends the CSRF token with every change "
                "(X-CSRFToken); an API token needs none."]})
        return render_template("errors/error.html", code=400, message=message), 400

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Any:
        if api_errors.is_api_request():
            return api_errors.http_error(error)
        code = error.code or 500
        messages = {
            403: "You do not have access to this page.",
            404: "There is nothing here, or you do not have access to it.",
            413: "That upload is too large.",
            429: "Too many attempts. Please wait a minute and try again.",
        }
        message = messages.get(code, error.description or "Something went wrong.")
        return render_template("errors/error.html", code=code, message=message), code

    @app.errorhandler(ServiceError)
    def service_error(error: ServiceError) -> Any:
        # The pages catch a service's refusal and show it beside the input; the API lets it
        # through to here. Anywhere else it is a defect: the unexpected-error page.
        if api_errors.is_api_request():
            db.session.rollback()
            return api_errors.service_error(error)
        return unexpected_error(error)

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception) -> Any:
        db.session.rollback()
        app.logger.exception("Unhandled error on %s %s", request.method, request.path)
        if api_errors.is_api_request():
            return api_errors.unexpected_error()
        message = "Something went wrong on our side; nothing was saved. Please try again."
        return render_template("errors/error.html", code=500, message=message), 500
