from __future__ import annotations

from flask import Flask, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from caseapp.extensions import db


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError) -> tuple[str, int]:
        message = "Your form expired or was sent from another page. Please try again."
        return render_template("errors/error.html", code=400, message=message), 400

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> tuple[str, int]:
        code = error.code or 500
        messages = {
            403: "You do not have access to this page.",
            404: "There is nothing here, or you do not have access to it.",
            413: "That upload is too large.",
            429: "Too many attempts. Please wait a minute and try again.",
        }
        message = messages.get(code, error.description or "Something went wrong.")
        return render_template("errors/error.html", code=code, message=message), code

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception) -> tuple[str, int]:
        db.session.rollback()
        app.logger.exception("Unhandled error on %s %s", request.method, request.path)
        message = "Something went wrong on our side; nothing was saved. Please try again."
        return render_template("errors/error.html", code=500, message=message), 500
