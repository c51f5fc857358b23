"""The private calendar feed: ``GET /calendar/<token>.ics``, for calendar clients that cannot
sign in. The token in the URL is the only key (``services.calendar``); an unknown or revoked
token, or one of a deactivated user, is a plain 404 that says not which.

The response is ``Cache-Control: private, no-store``, like every signed-in page: it lists case
references and what is due on them, a revoked URL must stop at once (a cached copy would go
on answering), and calendar clients poll on their own schedule (hours for Google) whatever
max-age says, so caching would save next to nothing. Polling is bounded by the rate limit per
address instead. The view never reads or writes the session, so no cookie is set.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, url_for

from caseapp.extensions import limiter
from caseapp.services import calendar as calendar_service

bp = Blueprint("calendar_feed", __name__, url_prefix="/calendar")

DEFAULT_RATE_LIMIT = "60 per minute"


def _rate_limit() -> str:
    return str(current_app.config.get("CALENDAR_FEED_RATE_LIMIT", DEFAULT_RATE_LIMIT))


def _case_url(reference: str) -> str:
    return url_for("cases.show", reference=reference, _external=True)


@bp.route("/<token>.ics")
@limiter.limit(_rate_limit)
def feed(token: str) -> Response:
    found = calendar_service.authenticate(token)
    if found is None:
        abort(404)
    body = calendar_service.build_ics(found.user, _case_url)
    response = Response(body, mimetype="text/calendar")
    response.headers["Content-Type"] = "text/calendar; charset=utf-8"
    response.headers["Content-Disposition"] = 'inline; filename="caseapp-deadlines.ics"'
    response.headers["Cache-Control"] = "private, no-store"
    return response
