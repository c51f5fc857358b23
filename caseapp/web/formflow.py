"""The flow every case form follows: render with the case version, validate, call one
service, show its refusal beside the input or go back to the case page with a message."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import flash, redirect, request, url_for
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from caseapp.models import Case
from caseapp.services.errors import ConflictError, ServiceError, ValidationFailed

T = TypeVar("T")


MAX_PAGE = 1_000_000


def page_arg(name: str = "page") -> int:
    """A page number from the query string: 1 for anything unreadable, never absurdly large."""
    try:
        return min(max(1, int(request.args.get(name, 1))), MAX_PAGE)
    except ValueError:
        return 1


def case_page(case: Case, anchor: str | None = None) -> Response:
    return redirect(url_for("cases.show", reference=case.reference, _anchor=anchor))


def refuse_if_closed(case: Case, anchor: str | None = None,
                     message: str | None = None) -> Response | None:
    """A redirect with the reason when ``case`` is closed (read-only), else None."""
    if not case.is_closed:
        return None
    flash(message or f"This case is {case.status.label.lower()} and can no longer be changed.",
          "error")
    return case_page(case, anchor)


def refuse_if_locked(case: Case, anchor: str | None = None,
                     message: str | None = None) -> Response | None:
    """A redirect with the reason when the client file may not change (the case is closed,
    or submitted to ImmD: what was sent stays as sent), else None."""
    if (closed := refuse_if_closed(case, anchor, message)) is not None:
        return closed
    if not case.file_is_locked:
        return None
    from caseapp.services.cases import locked_message

    flash(locked_message(case), "error")
    return case_page(case, anchor)


def refusal(error: ServiceError) -> str:
    """A service's refusal as one sentence, for a flash where no form field can carry it."""
    if isinstance(error, ValidationFailed):
        return " ".join(m for messages in error.errors.values() for m in messages)
    return error.message


def form_failed(form: FlaskForm, error: ServiceError) -> None:
    """Put a service's refusal on the form so the page shows it beside the user's input.

    After a conflict the form carries the case's current version, so saving again (after
    reviewing what the other person changed) goes through.
    """
    if isinstance(error, ValidationFailed):
        for field_name, messages in error.errors.items():
            field = getattr(form, field_name, None)
            if field is not None:
                field.errors = [*field.errors, *messages]
            else:
                flash("; ".join(messages), "error")
    else:
        flash(error.message, "error")
    if isinstance(error, ConflictError) and hasattr(form, "version"):
        form.version.data = str(error.current_version)


def save_form(
    case: Case,
    form: FlaskForm,
    save: Callable[[], T],
    success: Callable[[T], str],
    render: Callable[[], Any],
    anchor: str | None = None,
) -> Any:
    """GET: ``render`` the form stamped with the case version. POST: validate, ``save``,
    then flash ``success(outcome)`` and go back to the case page, or ``render`` again with
    the errors and the user's input intact."""
    if request.method == "GET" and hasattr(form, "version"):
        form.version.data = str(case.version)
    if form.validate_on_submit():
        try:
            outcome = save()
        except ServiceError as error:
            form_failed(form, error)
        else:
            flash(success(outcome), "success")
            return case_page(case, anchor)
    return render()
