"""Request hygiene for every route: bounded ids, no control characters in the path,
protective headers, and cache-busted static files.

Headers: a Content-Security-Policy allowing only this site's own scripts, styles and images
(no inline script or style anywhere: templates load static files), no framing, forms posting
only here; HSTS where configured (production); pages for a signed-in user are never cached.
Static files are addressed as ``/static/app.css?v=<digest of the file>``: that address can be
cached for a year, and a changed file gets a new one. The server's name and version are the
WSGI server's to send: gunicorn (production, ``make run``) sends "gunicorn" with no version.

Query arguments and form values are checked where they are read, so the message stands
beside the field with the rest of the input kept: the forms derive from
``web.textcheck.SafeTextForm`` and the case list's filters from ``queries.case_filters``.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path
from typing import Any

from flask import Flask, abort, current_app, request
from flask_login import current_user
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter
from werkzeug.security import safe_join
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

    @app.url_defaults
    def version_static_urls(endpoint: str, values: dict[str, Any]) -> None:
        if endpoint == "static" and "filename" in values and "v" not in values:
            digest = static_digest(values["filename"])
            if digest is not None:
                values["v"] = digest

    @app.after_request
    def protective_headers(response: Response) -> Response:
        headers = response.headers
        config = current_app.config
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Content-Security-Policy", config["CONTENT_SECURITY_POLICY"])
        headers.setdefault("Referrer-Policy", "same-origin")
        if config["HSTS_SECONDS"]:
            headers.setdefault("Strict-Transport-Security",
                               f"max-age={int(config['HSTS_SECONDS'])}; includeSubDomains")
        if request.endpoint == "static":
            _static_cache_control(response)
        elif current_user and current_user.is_authenticated:
            # Client files (passport numbers, bank statements) must not stay in shared caches.
            headers["Cache-Control"] = "private, no-store"
        return response


def _static_cache_control(response: Response) -> None:
    filename = (request.view_args or {}).get("filename", "")
    asked = request.args.get("v")
    if response.status_code == 200 and asked and asked == static_digest(filename):
        max_age = int(current_app.config["STATIC_MAX_AGE_SECONDS"])
        response.headers["Cache-Control"] = f"public, max-age={max_age}, immutable"
    else:  # an address without the file's digest (or an old one): ask again every time
        response.headers["Cache-Control"] = "no-cache"


def static_digest(filename: str) -> str | None:
    """The first 16 hex digits of the static file's SHA-256, or None when there is no such file."""
    folder = current_app.static_folder
    found = safe_join(folder, filename) if folder else None
    if found is None:
        return None
    path = Path(found)
    try:
        stat = path.stat()
    except OSError:
        return None
    return _digest(str(path), stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=512)
def _digest(path: str, mtime_ns: int, size: int) -> str | None:
    # Keyed on the file's time and size too: a file edited while the server runs is read again.
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16]
    except OSError:
        return None
