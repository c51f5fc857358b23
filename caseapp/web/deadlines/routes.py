"""The "This week" page and the two marks a line takes (done, snoozed until a date).

A consultant sees the open deadlines of their own open cases; managers and admins see the
consultancy's, filterable by consultant. A deadline the user may not act on is a 404 (its
existence leaks not). A refused mark shows the page again with the message beside the field
of that line and what was typed still in it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import login_required
from werkzeug.wrappers import Response

from caseapp import clock
from caseapp.models import Deadline, User
from caseapp.queries import deadlines as deadline_queries
from caseapp.queries.users import consultants_for_filter
from caseapp.services import deadlines as deadline_service
from caseapp.services.errors import ServiceError, ValidationFailed
from caseapp.web.access import acting_user
from caseapp.web.deadlines.forms import DoneForm, MarkForm, SnoozeForm

bp = Blueprint("deadlines", __name__)

FILTER_MESSAGE = "Choose a consultant from the list."


@dataclass(frozen=True)
class Filter:
    """The page's consultant filter: whose deadlines, and what was asked for."""

    consultant_id: int | None
    typed: str = ""
    error: str | None = None


@dataclass(frozen=True)
class FailedMark:
    """A mark the service or the form refused: shown on its line, as typed."""

    deadline_id: int
    action: str  # "done" or "snooze"
    form: MarkForm


def _consultant_filter(user: User, typed: str | None,
                       consultants: list[User]) -> Filter:
    if not user.sees_all_cases:
        return Filter(user.id)  # a consultant's page is their own, whatever is asked
    text = (typed or "").strip()
    if not text:
        return Filter(None)
    known = {str(c.id) for c in consultants}
    if text not in known:
        return Filter(None, text, FILTER_MESSAGE)
    return Filter(int(text), text)


def _page(filter_text: str | None, failed: FailedMark | None = None) -> str:
    user = acting_user()
    consultants = consultants_for_filter() if user.sees_all_cases else []
    chosen = _consultant_filter(user, filter_text, consultants)
    today = clock.today()
    return render_template(
        "deadlines/this_week.html", week=deadline_queries.this_week(
            today, chosen.consultant_id, limit=deadline_queries.THIS_WEEK_LIMIT),
        chosen=chosen, consultants=consultants, manager=user.sees_all_cases, failed=failed,
        latest_snooze=deadline_service.latest_snooze(today), timedelta=timedelta,
        max_reason=deadline_service.MAX_REASON_LENGTH)


@bp.get("/this-week")
@login_required
def this_week() -> str:
    return _page(request.args.get("consultant"))


def _deadline_or_404(deadline_id: int) -> Deadline:
    deadline = deadline_queries.visible_deadline(acting_user(), deadline_id)
    if deadline is None:
        abort(404)
    return deadline


def _back(form: MarkForm, deadline_id: int | None = None) -> Response:
    """To the page with the same filter, at the line's day when there is one."""
    consultant = (form.consultant.data or "").strip()
    args = {"consultant": consultant} if consultant and acting_user().sees_all_cases else {}
    url = url_for("deadlines.this_week", **args)
    return redirect(url if deadline_id is None else f"{url}#deadline-{deadline_id}")


def _describe(deadline: Deadline) -> str:
    return f"{deadline.kind.label} of {deadline.case.reference}, due {deadline.due_on.isoformat()}"


def _mark(deadline_id: int, action: str, form: MarkForm, save: Any, success: str) -> Any:
    deadline = _deadline_or_404(deadline_id)
    if form.validate_on_submit():
        try:
            save(deadline)
        except ValidationFailed as error:
            for name, messages in error.errors.items():
                field = getattr(form, name, None)
                if field is not None:
                    field.errors = [*field.errors, *messages]
        except ServiceError as error:  # NotAllowed: a closed case, done meanwhile
            flash(f"Not saved: {error.message}", "error")
            return _back(form)
        else:
            flash(f"{success}: {_describe(deadline)}.", "success")
            return _back(form)
    return _page(form.consultant.data, FailedMark(deadline.id, action, form))


@bp.post("/deadlines/<int:deadline_id>/done")
@login_required
def mark_done(deadline_id: int) -> Any:
    form = DoneForm()
    return _mark(deadline_id, "done", form,
                 lambda deadline: deadline_service.mark_done(
                     acting_user(), deadline, form.reason.data, form.seen_due_on()),
                 "Marked done")


@bp.post("/deadlines/<int:deadline_id>/snooze")
@login_required
def snooze(deadline_id: int) -> Any:
    form = SnoozeForm()
    return _mark(deadline_id, "snooze", form,
                 lambda deadline: deadline_service.snooze(
                     acting_user(), deadline, form.until.data, form.reason.data,
                     form.seen_due_on()),
                 "Snoozed")
