"""The error responses every operation documents, added in one place (an apispec plugin), so
the OpenAPI document lists exactly the statuses the API answers with."""

from __future__ import annotations

from typing import Any

from apispec import BasePlugin

from caseapp.api.schemas import ErrorSchema, StaleVersionSchema

_TEXT = {"schema": {"type": "string"}}
# status: (component name, description, headers)
ERRORS: dict[str, tuple[str, str, dict[str, Any]]] = {
    "400": ("BadRequest", "The request could not be read (a malformed body, characters "
            "not allowed in the address, a missing CSRF token of a browser session).", {}),
    "401": ("Unauthorized", "No token, or one that is unknown, expired or revoked, or whose "
            "user is deactivated.", {"WWW-Authenticate": _TEXT}),
    "403": ("Forbidden", "Your role does not allow this.", {}),
    "404": ("NotFound", "Nothing here, or not yours to see (another consultant's case).", {}),
    "409": ("Conflict", "Not possible now: the case is closed or submitted, the workflow or "
            "a rule refuses it (the message says which).", {}),
    "412": ("StaleVersion", "The If-Match names an older version: nothing was saved. The "
            "body and the ETag give the current version.", {"ETag": _TEXT}),
    "413": ("TooLarge", "The request (an upload) is larger than allowed.", {}),
    "415": ("UnsupportedMediaType", "The body is not of the content type this operation "
            "reads.", {}),
    "422": ("ValidationError", "The input breaks a rule: the messages are per field, and "
            "nothing was changed.", {}),
    "428": ("PreconditionRequired", "If-Match is missing: send the ETag of the case you "
            "read.", {}),
    "429": ("TooManyRequests", "Rate limit reached: retry after Retry-After seconds.",
            {"Retry-After": _TEXT}),
}
READ_ERRORS = ("400", "401", "403", "404", "422", "429")
WRITE_ERRORS = ("409", "413", "415")
VERSIONED_WRITE_ERRORS = ("412", "428")
WRITE_METHODS = {"post", "put", "patch", "delete"}


def register_error_responses(spec: Any) -> None:
    for status, (name, description, headers) in ERRORS.items():
        schema = StaleVersionSchema if status == "412" else ErrorSchema
        response: dict[str, Any] = {
            "description": description,
            "content": {"application/json": {"schema": schema}}}
        if headers:
            response["headers"] = headers
        spec.components.response(name, response)


def _needs_if_match(operation: dict[str, Any]) -> bool:
    return any(isinstance(p, dict) and p.get("name") == "If-Match" and p.get("in") == "header"
               for p in operation.get("parameters", []))


class ErrorResponses(BasePlugin):
    def operation_helper(self, path: str | None = None,
                         operations: dict[str, Any] | None = None, **kwargs: Any) -> None:
        for method, operation in (operations or {}).items():
            responses = operation.setdefault("responses", {})
            statuses = list(READ_ERRORS)
            if method in WRITE_METHODS:
                statuses += WRITE_ERRORS
            if _needs_if_match(operation):
                statuses += VERSIONED_WRITE_ERRORS
            for status in statuses:
                responses.setdefault(status, ERRORS[status][0])
