"""Who an API request acts as.

`Authorization: Bearer <token>` names a personal API token (`services.tokens`); it needs
no CSRF token, since a browser never adds that header by itself. Without the header, a
browser's signed-in session may use the API too, and then every write needs the CSRF token
(`X-CSRFToken`), exactly like a form. Anything else is 401.

Every change made inside the request is marked in the audit trail as made through the API,
with the token it came with.
"""

from __future__ import annotations

from flask import current_app, g, request
from flask_login import current_user
from werkzeug.exceptions import Unauthorized

from caseapp.extensions import csrf
from caseapp.services import audit, tokens

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class TokenRefused(Unauthorized):
    def __init__(self, message: str) -> None:
        super().__init__(description=message)


def bearer_secret() -> str | None:
    """The secret of `Authorization: Bearer <secret>`, "" for any other scheme, None when
    the header is absent."""
    header = request.headers.get("Authorization")
    if header is None:
        return None
    scheme, _, secret = header.strip().partition(" ")
    if scheme.lower() != "bearer":
        return ""
    return secret.strip()


def authenticate_request() -> None:
    secret = bearer_secret()
    if secret is not None:
        if not secret:
            raise TokenRefused("Send the token as Authorization: Bearer <token>.")
        outcome = tokens.authenticate(secret)
        if isinstance(outcome, tokens.Refusal):
            raise TokenRefused(outcome.value)
        g.api_user, g.api_token = outcome.user, outcome.token
        audit.enter_channel(audit.Channel(via="api", api_token_id=outcome.token.id))
        return
    if current_user.is_authenticated:
        if request.method not in SAFE_METHODS and current_app.config.get("WTF_CSRF_ENABLED"):
            csrf.protect()  # a CSRFError: 400, as JSON
        g.api_user, g.api_token = current_user._get_current_object(), None
        audit.enter_channel(audit.Channel(via="api"))
        return
    raise TokenRefused("Sign in: send a personal API token as Authorization: Bearer <token>.")


def end_request(_error: BaseException | None = None) -> None:
    audit.leave_channel()
