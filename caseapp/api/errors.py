"""Every error under `/api/` is JSON: `{"errors": {"field": ["message", ...]}}`.

The app's error handlers (`web.errors`) hand API requests here, so an unknown route, a
wrong method, a malformed body, an oversized upload or an unexpected exception under
`/api/` never answers with an HTML page. A service's refusal maps onto a status:
ValidationFailed 422 (a file over MAX_UPLOAD_BYTES: 413), NotAllowed 409, ConflictError 412
(the If-Match was stale).
"""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, jsonify, request
from werkzeug.exceptions import HTTPException

from caseapp.services.documents import UploadTooLarge
from caseapp.services.errors import ConflictError, NotAllowed, ServiceError, ValidationFailed

API_PREFIX = "/api/"
GENERAL = "request"  # the key of a message that belongs to no field

MESSAGES = {
    400: "The request could not be read.",
    401: "Sign in: send a personal API token as Authorization: Bearer <token>.",
    403: "Your role does not allow this.",
    404: "There is nothing here, or you do not have access to it.",
    405: "This address does not take that method.",
    413: "The request is too large.",
    415: "Send the body as JSON (Content-Type: application/json).",
    428: "Send If-Match with the ETag of the case you read.",
    429: "Too many requests: wait and try again (see Retry-After).",
    500: "Something went wrong on our side; nothing was saved. Please try again.",
}
# Where a status's message belongs when it names no field of its own.
FIELD_BY_STATUS = {401: "Authorization", 415: "Content-Type", 428: "If-Match"}
KEPT_HEADERS = ("Allow", "Retry-After", "WWW-Authenticate", "ETag")


def is_api_request() -> bool:
    return request.path.startswith(API_PREFIX) or request.path == API_PREFIX.rstrip("/")


def error_response(status: int, errors: dict[str, Any],
                   headers: dict[str, str] | None = None, **extra: Any) -> Response:
    response = jsonify({"errors": errors, **extra})
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    response.headers["Cache-Control"] = "no-store"
    return response


def _flatten(messages: dict[str, Any]) -> dict[str, Any]:
    """webargs reports `{location: {field: [...]}}`: the client wants the fields."""
    flat: dict[str, Any] = {}
    for location, fields in messages.items():
        if isinstance(fields, dict):
            for name, problems in fields.items():
                flat[GENERAL if name == "_schema" else name] = problems
        else:  # the body as a whole: not JSON at all
            flat["body" if location == "json" else location] = fields
    return flat


def http_error(error: HTTPException) -> Response:
    status = error.code or 500
    data = getattr(error, "data", None) or {}
    headers = {name: value for name, value in error.get_headers() if name in KEPT_HEADERS}
    headers.update(data.get("headers") or {})
    if status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="caseapp"'
    if "messages" in data:  # webargs: the request did not match its schema
        return error_response(status, _flatten(data["messages"]), headers)
    message = MESSAGES.get(status, error.name)
    default = type(error).description
    if error.description and error.description != default and status != 500:
        message = error.description
    if status == 429:  # Flask-Limiter describes the limit: "600 per 1 minute"
        message = (f"Too many requests (the limit is {error.description}): wait and try "
                   "again after Retry-After seconds.")
    if status == 413:
        limit = current_app.config.get("MAX_UPLOAD_BYTES")
        if limit:
            message = f"The request is too large: an upload may be at most {limit // 2**20} MB."
    field = FIELD_BY_STATUS.get(status, GENERAL)
    return error_response(status, {field: [message]}, headers)


def service_error(error: ServiceError) -> Response:
    if isinstance(error, ConflictError):
        return error_response(412, {"If-Match": [error.message]},
                              {"ETag": f'"{error.current_version}"'},
                              current_version=error.current_version)
    if isinstance(error, UploadTooLarge):  # as for a body over MAX_CONTENT_LENGTH
        return error_response(413, error.errors)
    if isinstance(error, ValidationFailed):
        return error_response(422, error.errors)
    if isinstance(error, NotAllowed):
        return error_response(409, {GENERAL: [error.message]})
    return error_response(409, {GENERAL: [error.message]})


def unexpected_error() -> Response:
    return error_response(500, {GENERAL: [MESSAGES[500]]})
