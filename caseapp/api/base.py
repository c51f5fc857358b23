"""What every API blueprint shares: the argument parser, the signed-in user, case lookup with
ownership, the case ETag and If-Match, and the documented error responses.

Views here parse and serialise; the services decide and write, the queries read. A view
lets a ServiceError propagate: `api.errors` turns it into the JSON error response.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

import flask_smorest
import marshmallow as ma
from flask import Request, Response, abort, current_app, g, request
from webargs.flaskparser import FlaskParser, is_json_request
from webargs.flaskparser import abort as parser_abort
from werkzeug.exceptions import NotFound
from werkzeug.routing import BaseConverter

from caseapp.models import Case, Role, User
from caseapp.queries.cases import get_case
from caseapp.services.cases import ExpectedVersion
from caseapp.web.security import MAX_ID

F = TypeVar("F", bound=Callable[..., Any])


class ApiParser(FlaskParser):
    """webargs, strict: unknown fields are refused wherever they are sent (body, query,
    form), and a body that is not JSON where JSON is expected is a 415."""

    DEFAULT_UNKNOWN_BY_LOCATION: dict[str, str | None] = {
        **FlaskParser.DEFAULT_UNKNOWN_BY_LOCATION,
        "json": ma.RAISE,
        "query": ma.RAISE,
        "querystring": ma.RAISE,
        "form": ma.RAISE,
        "files": ma.RAISE,
    }

    def load_json(self, req: Request, schema: ma.Schema) -> Any:
        if not is_json_request(req) and (req.content_length or req.headers.get(
                "Transfer-Encoding")):
            abort(415, description="Send the body as JSON (Content-Type: application/json).")
        try:
            return super().load_json(req, schema)
        except (ValueError, RecursionError):
            # Not a JSONDecodeError (webargs answers that itself): nesting too deep to read,
            # or an integer longer than Python converts.
            parser_abort(400, messages={"json": ["The body is not JSON this API can read (nested "
                                          "too deeply, or a number too long)."]})


class ApiIdConverter(BaseConverter):
    """`<int:...>` under /api/: any run of digits routes, and one that is no id (0, or
    beyond the 32-bit id columns) is 404, like an id nobody has. (The pages' converter lets
    such a path match no rule; under the API that surfaced as a 405 from a sibling rule.)"""

    regex = r"\d+"
    weight = 50

    def to_python(self, value: str) -> int:
        number = int(value)
        if not 1 <= number <= MAX_ID:
            raise NotFound()
        return number

    def to_url(self, value: Any) -> str:
        return str(int(value))


class CaseReferenceConverter(BaseConverter):
    """A case reference in an API path: letters, digits and hyphens (QM-2026-000123), so that
    /api/v1/cases/export.csv is never read as a case."""

    regex = r"[A-Za-z0-9-]{1,40}"


PATH_CONVERTERS = {"api_id": ApiIdConverter, "case_reference": CaseReferenceConverter}
CONVERTER_SCHEMAS = {
    ApiIdConverter: {"type": "integer", "minimum": 1, "maximum": MAX_ID},
    CaseReferenceConverter: {"type": "string", "pattern": "^[A-Za-z0-9-]{1,40}$"},
}


class ApiBlueprint(flask_smorest.Blueprint):
    """A flask-smorest blueprint whose every route needs a signed-in user (`api.auth`).

    Its rules read `<int:...>` and `<reference>` with the API's own converters."""

    ARGUMENTS_PARSER = ApiParser()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from caseapp.api.auth import authenticate_request, end_request

        self.before_request(authenticate_request)
        self.before_request(_refuse_undeclared_query)
        self.after_request(_not_stored)
        self.teardown_request(end_request)

    def route(self, rule: str, **options: Any) -> Any:
        rule = rule.replace("<int:", "<api_id:").replace("<reference>",
                                                           "<case_reference:reference>")
        return super().route(rule, **options)


def _refuse_undeclared_query() -> None:
    """Unknown fields are refused everywhere: a route that reads no query parameters refuses
    any it is sent (one that does reads them with a strict schema)."""
    if not request.args or request.endpoint is None:
        return
    view = current_app.view_functions.get(request.endpoint)
    arguments = getattr(view, "_apidoc", {}).get("arguments", {})
    if any(p.get("in") in ("query", "querystring") for p in arguments.get("parameters", [])):
        return
    parser_abort(422, messages={"query": {name: ["Unknown field."] for name in request.args}})


def _not_stored(response: Response) -> Response:
    """Client files (passport numbers, bank statements) stay out of every cache: the pages do
    this for a signed-in session; an API token is no session, so the API says it itself."""
    response.headers["Cache-Control"] = "no-store"
    return response


def api_user() -> User:
    """Who the request acts as: the token's user, or the signed-in user of a browser session."""
    return cast(User, g.api_user)


def require_role(*roles: Role) -> User:
    """The user, if they have one of `roles`; otherwise 403."""
    user = api_user()
    if user.role not in roles:
        abort(403, description="Your role does not allow this.")
    return user


def roles_allowed(*roles: Role) -> Callable[[F], F]:
    """Refuse (403) every other role before the request is read: between the route and its
    ``arguments``, so a caller who may not use the route learns that, not what the body lacks.
    The view takes the user with ``require_role`` (or ``api_user``) as before."""

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            require_role(*roles)
            return view(*args, **kwargs)

        return cast(F, wrapped)

    return decorator


T = TypeVar("T")


def found_or_404(found: T | None) -> T:
    """What a query found for the case (a dependant, a document, ...), or 404 when none."""
    if found is None:
        abort(404)
    return found


def case_or_404(reference: str) -> Case:
    """The case if the user may see it; otherwise 404, as on the pages."""
    case = get_case(api_user(), reference)
    if case is None:
        abort(404)
    return case


# ---- optimistic locking over HTTP ----------------------------------------------------------

def case_etag(case: Case) -> str:
    return f'"{case.version}"'


def etag_headers(case: Case) -> dict[str, str]:
    return {"ETag": case_etag(case)}


def expected_version() -> ExpectedVersion:
    """The case version the client read, from `If-Match`: 428 when the header is missing.

    `*` or a tag that is not one of ours reads as no version (the service refuses it as
    stale: 412), so nothing is ever saved without the client naming the version it saw.
    """
    raw = request.headers.get("If-Match")
    if raw is None or not raw.strip():
        abort(428, description="Send If-Match with the ETag of the case you read.")
    tags = request.if_match
    if tags.star_tag or len(tags.as_set()) != 1:
        return None
    tag = next(iter(tags.as_set()))
    return int(tag) if tag.isascii() and tag.isdigit() and len(tag) < 10 else None


IF_MATCH = {
    "in": "header",
    "name": "If-Match",
    "required": True,
    "description": "The ETag of the case as you read it (for example \"7\"). A stale one is "
                   "refused with 412 and the current version; a missing one with 428.",
    "schema": {"type": "string", "minLength": 1},
}

ETAG_HEADER = {"ETag": {"description": "The case's version, for If-Match on the next write.",
                        "schema": {"type": "string"}}}
