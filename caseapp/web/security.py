"""Request hygiene for every route: bounded ids, no control characters in the path,
protective headers.

Query arguments and form values are checked where they are read, so the message stands
beside the field with the rest of the input kept: the forms derive from
``web.textcheck.SafeTextForm`` and the case list's filters from ``queries.case_filters``.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, abort, request
from flask_login import current_user
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter
from werkzeug.wrappers import Response

from caseapp.services.people import has_unsafe_characters

# Ids are 32-bit integer columns on PostgreSQL; a larger number in a URL matches no route.
MAX_ID = 2**31 - 1


class IdConverter(IntegerConverter):
    """``<int:...>`` in this app: a positive id that fits the database's integer column."""

    def __init__(self, map: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("min", 1)
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def register_request_guards(app: Flask) -> None:
    """Install the converter before any blueprint adds a rule, then the request hooks."""
    app.url_map.converters["int"] = IdConverter
    if app.config.get("TRUSTED_PROXIES"):
        # Behind a reverse proxy: the client's address (rate limits) and https scheme.
        proxies = int(app.config["TRUSTED_PROXIES"])
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies
        )

    @app.before_request
    def refuse_control_characters_in_the_path() -> None:
        # No reference or id holds one, and a path has no field to show a message beside:
        # PostgreSQL would refuse a NUL in a reference lookup.
        if has_unsafe_characters(request.path):
            abort(400, description="The address contains characters that are not allowed "
                                   "(control or text-direction characters).")

    @app.after_request
    def protective_headers(response: Response) -> Response:
        headers = response.headers
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Content-Security-Policy", "frame-ancestors 'none'")
        headers.setdefault("Referrer-Policy", "same-origin")
        if current_user and current_user.is_authenticated:
            # Client files (passport numbers, bank statements) must not stay in shared caches.
            headers["Cache-Control"] = "private, no-store"
        return response
