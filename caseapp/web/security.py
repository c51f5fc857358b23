"""Request hygiene for every route: bounded ids, no control characters, protective headers."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask, abort, request
from flask_login import current_user
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter
from werkzeug.wrappers import Response

# Ids are 32-bit integer columns on PostgreSQL; a larger number in a URL matches no route.
MAX_ID = 2**31 - 1
# C0 controls and DEL, except tab and newlines that a text area may carry. PostgreSQL refuses
# NUL in text outright, and none of them belongs in a name, a reference or a search.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class IdConverter(IntegerConverter):
    """``<int:...>`` in this app: a positive id that fits the database's integer column."""

    def __init__(self, map: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("min", 1)
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def _has_control_characters() -> bool:
    values = [request.path, *request.args.values(), *request.form.values()]
    return any(CONTROL_CHARACTERS.search(value) for value in values)


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
    def refuse_control_characters() -> None:
        if _has_control_characters():
            abort(400, description="The request contains characters that are not allowed "
                                   "(control characters). Nothing was saved.")

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
