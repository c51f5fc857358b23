"""Role and ownership checks for routes."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from flask import abort
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
