"""Role and ownership checks for routes."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast
from urllib.parse import urlsplit

from flask import abort, url_for
from flask_login import current_user, login_required

from caseapp.models import Case, Role, User
from caseapp.queries.cases import get_case

F = TypeVar("F", bound=Callable[..., Any])


def roles_required(*roles: Role) -> Callable[[F], F]:
    """Logged in with one of ``roles``; anyone else gets 403."""

    def decorator(view: F) -> F:
        @wraps(view)
        @login_required
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return cast(F, wrapped)

    return decorator


def acting_user() -> User:
    return cast(User, current_user._get_current_object())


def case_or_404(reference: str) -> Case:
    """The case if the current user may see it; otherwise 404, so that its existence leaks not."""
    case = get_case(acting_user(), reference)
    if case is None:
        abort(404)
    return case


def safe_next(target: str | None) -> str:
    """Only a path on this site: never redirect a signed-in user to another host.

    Browsers drop tabs and newlines and read a backslash as a slash, so "/\t/evil.example"
    would leave the site: anything but a plain path goes to the case list.
    """
    fallback = url_for("cases.index")
    if not target or any(c in target for c in "\\\t\r\n") or not target.isprintable():
        return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return fallback
    return target
