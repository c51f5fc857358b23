"""The JSON API, `/api/v1`: the same services, queries and permissions as the pages.

flask-smorest builds it: marshmallow schemas validate the input (webargs) and generate the
OpenAPI document (apispec) at `/api/v1/openapi.json`; `/api/v1/docs` shows it with a
Swagger UI the app serves itself. Each area has a module with its blueprint.
"""

from __future__ import annotations

from typing import Any

import flask_smorest
from flask import Flask, current_app, request

from caseapp.api.auth import bearer_secret
from caseapp.api.base import CONVERTER_SCHEMAS, PATH_CONVERTERS
from caseapp.api.schemas import DecimalString, ErrorSchema
from caseapp.api.spec import ErrorResponses, register_error_responses
from caseapp.extensions import csrf, limiter
from caseapp.services.tokens import hash_secret

API_PREFIX = "/api/v1"


class Api(flask_smorest.Api):
    ERROR_SCHEMA = ErrorSchema
    # Each operation lists its own error statuses (api.spec), not a catch-all "default".
    DEFAULT_ERROR_RESPONSE_NAME = None

    def _register_error_handlers(self) -> None:
        """Not app-wide JSON errors: `web.errors` answers JSON under /api/ and HTML elsewhere."""


def _rate_limit_key() -> str:
    """Per token when one is presented (by its hash: nothing to look up), else per address."""
    secret = bearer_secret()
    if secret:
        return "token:" + hash_secret(secret)[:32]
    return "address:" + (request.remote_addr or "unknown")


def _address_key() -> str:
    return "address:" + (request.remote_addr or "unknown")


# Made once: the limiter keeps a set of limits per blueprint name, and the same Limit objects
# applied again by a second app (the tests make many) are not counted twice.
PER_TOKEN = limiter.shared_limit(
    lambda: current_app.config["API_RATE_LIMIT_PER_TOKEN"], scope="api-token",
    key_func=_rate_limit_key)
PER_ADDRESS = limiter.shared_limit(
    lambda: current_app.config["API_RATE_LIMIT_PER_ADDRESS"], scope="api-address",
    key_func=_address_key)


def _blueprints() -> list[flask_smorest.Blueprint]:
    from caseapp.api import (
        cases,
        checks,
        deposits,
        documents,
        exports,
        me,
        people,
        users,
        workflow,
    )

    return [me.blp, cases.blp, people.blp, deposits.blp, documents.blp, checks.blp,
            workflow.blp, exports.blp, users.blp]


def init_api(app: Flask) -> Api:
    spec_kwargs: dict[str, Any] = {
        "info": {"description": "Cases, applicants, dependants, deposit evidence, documents, "
                                "QMAS checks and status moves, with the same rules, roles and "
                                "audit as the pages. Authenticate with a personal API token "
                                "(your profile page): `Authorization: Bearer <token>`."},
        "security": [{"bearerAuth": []}],
        "extra_plugins": [ErrorResponses()],
    }
    app.url_map.converters.update(PATH_CONVERTERS)
    api = Api(app, spec_kwargs=spec_kwargs)
    for converter, schema in CONVERTER_SCHEMAS.items():
        api.register_converter(converter, lambda _converter, schema=schema: dict(schema))
    api.spec.components.security_scheme(
        "bearerAuth", {"type": "http", "scheme": "bearer",
                       "description": "A personal API token from your profile page."})
    api.register_field(DecimalString, "string", "decimal")
    register_error_responses(api.spec)
    for blp in _blueprints():
        csrf.exempt(blp)  # a token needs no CSRF token; api.auth checks a browser session's
        PER_TOKEN(blp)
        PER_ADDRESS(blp)
        api.register_blueprint(blp)
    from caseapp.api import docs

    app.register_blueprint(docs.bp)
    return api
