"""Reassigning cases (managers and admins): the cases selected on the list, every case matching
the list's filter, or one case from its page. The service does the checks and the work in
bounded transactions; these routes read the form and say what happened."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response
from wtforms import HiddenField, SelectField, TextAreaField

from caseapp.extensions import db
from caseapp.models import User
from caseapp.queries.case_filters import FAMILY, VERDICT_LABELS, WAITING, CaseFilters
from caseapp.queries.case_list import parse_sort
from caseapp.queries.exports import count_matching, selected_cases
from caseapp.queries.users import active_consultants, consultants_for_filter
from caseapp.services.errors import ServiceError
from caseapp.services.reassign import (
    MAX_REASON_LENGTH,
    MAX_SELECTED,
    ReassignResult,
    reassign,
    reassign_matching,
)
from caseapp.web.access import acting_user, case_or_404, roles_required, safe_next
from caseapp.web.cases.listing import ListLinks, parsed_list_args
from caseapp.web.formflow import form_failed, refusal
from caseapp.web.manage.routes import MANAGERS, bp
from caseapp.web.textcheck import SafeTextForm

PREVIEW_ROWS = 50
MAX_ID = 2**31 - 1


def _optional_id(value: Any) -> int | None:
    """A user id from the form, or None for nothing chosen or something that is not an id."""
    if isinstance(value, int):
        return value
    text = str(value or "").strip()
    return int(text) if text.isdigit() and 0 < int(text) <= MAX_ID else None


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


class ReassignForm(SafeTextForm):
    # No validators here: the service checks consultant and reason together and says why.
    consultant = SelectField("To consultant", coerce=_optional_id, validate_choice=False)
    reason = TextAreaField("Reason", filters=[_strip],
                           render_kw={"maxlength": MAX_REASON_LENGTH, "rows": 3})
    next = HiddenField()


class FilteredReassignForm(ReassignForm):
    # The count the manager confirmed: if the filter holds another number by the time they
    # send the form, they confirm again.
    expected = HiddenField()


def _with_choices(form: ReassignForm) -> ReassignForm:
    form.consultant.choices = [("", "Choose…")] + [
        (c.id, c.name) for c in active_consultants()]
    return form


def _chosen(form: ReassignForm) -> User | None:
    user_id = form.consultant.data
    return db.session.get(User, user_id) if user_id is not None else None


def _cases(count: int, noun: str = "case") -> str:
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


def _report(result: ReassignResult) -> None:
    """Flash what happened: moved, already there, skipped."""
    parts = [f"{_cases(result.moved)} reassigned to {result.consultant}."]
    if result.unchanged:
        parts.append(f"{_cases(result.unchanged)} already with {result.consultant}.")
    if result.closed:
        parts.append(f"{_cases(result.closed, 'closed case')} skipped: closed cases are "
                     "read-only.")
    if result.missing:
        parts.append(f"{_cases(result.missing)} no longer found.")
    flash(" ".join(parts), "success" if result.moved else "info")


def _selected_ids(values: list[str]) -> list[int]:
    ids = (_optional_id(value) for value in values[:MAX_SELECTED + 1])
    return list(dict.fromkeys(i for i in ids if i is not None))


# ---- the cases selected on the list -----------------------------------------------------------

@bp.route("/reassign", methods=["POST"])
@roles_required(*MANAGERS)
def reassign_selected() -> Any:
    form = ReassignForm()
    back = safe_next(form.next.data)
    case_ids = _selected_ids(request.form.getlist("case_id"))
    if not case_ids:
        flash("Select the cases to reassign first (the boxes in the list).", "error")
        return redirect(back)
    if len(case_ids) > MAX_SELECTED:
        flash(f"Select at most {MAX_SELECTED:,} cases at a time, or reassign all the cases "
              "matching a filter.", "error")
        return redirect(back)
    if form.validate_on_submit():
        try:
            result = reassign(acting_user(), case_ids, _chosen(form), form.reason.data or "")
        except ServiceError as error:
            form_failed(form, error)
        else:
            _report(result)
            return redirect(back)
    # Refused: the confirmation page, with the selection and what was typed kept.
    return render_template(
        "manage/reassign.html", form=_with_choices(form), case_ids=case_ids, back=back,
        preview=selected_cases(case_ids, PREVIEW_ROWS),
        more=max(0, len(case_ids) - PREVIEW_ROWS))


# ---- every case matching the list's filter ----------------------------------------------------

def describe_filters(filters: CaseFilters, consultant_names: Callable[[], dict[int, str]]
                     ) -> list[tuple[str, str]]:
    """The filter as a manager reads it: (what, which) pairs, empty for every case."""
    f = filters
    described: list[tuple[str, str]] = []

    def add(label: str, values: list[str]) -> None:
        if values:
            described.append((label, ", ".join(values)))

    def span(start: Any, end: Any) -> list[str]:
        if start and end:
            return [f"{start.isoformat()} to {end.isoformat()}"]
        if start:
            return [f"from {start.isoformat()}"]
        return [f"until {end.isoformat()}"] if end else []

    add("Status", [s.label for s in f.statuses])
    if f.consultant_ids:
        names = consultant_names()
        add("Consultant", [names.get(i, f"user #{i}") for i in f.consultant_ids])
    add("Latest check", [VERDICT_LABELS[v] for v in f.verdicts])
    add("Nationality", list(f.nationalities))
    add("Application", [FAMILY[f.family]] if f.family else [])
    add("Opened", span(f.opened_from, f.opened_to))
    add("Updated", span(f.updated_from, f.updated_to))
    add("Planned submission", span(f.planned_from, f.planned_to))
    if f.entered or f.entered_from or f.entered_to:
        statuses = ", ".join(s.label for s in f.entered) or "any status"
        add("Entered", [" ".join([statuses, *span(f.entered_from, f.entered_to)])])
    if f.stale_days is not None:
        add("Stale", [f"open, no change for {f.stale_days} days or more"])
    add("Needs attention", ["yes"] if f.attention else [])
    add("Waiting", [WAITING[f.waiting]] if f.waiting else [])
    add("Search", [f"“{f.search}”"] if f.search else [])
    return described


def _consultant_names() -> dict[int, str]:
    return {c.id: c.name for c in consultants_for_filter()}


@bp.route("/reassign/all", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def reassign_filtered() -> Any:
    user = acting_user()
    parsed = parsed_list_args()
    links = ListLinks(parsed.filters, parse_sort(request.args.get("sort")))
    list_url = "/?" + links.query_string
    form = FilteredReassignForm()
    matching = count_matching(user, parsed.filters) if not parsed.errors else 0
    if request.method == "GET":
        form.expected.data = str(matching)
    elif not parsed.errors and matching and form.validate_on_submit():
        if form.expected.data != str(matching):
            flash(f"The filter now matches {_cases(matching)}, not {form.expected.data}: "
                  "check the number and confirm again.", "error")
            form.expected.data = str(matching)
        else:
            try:
                result = reassign_matching(user, parsed.filters, _chosen(form),
                                           form.reason.data or "")
            except ServiceError as error:
                form_failed(form, error)
            else:
                _report(result)
                return redirect(list_url)
    return render_template(
        "manage/reassign_all.html", form=_with_choices(form), matching=matching,
        errors=parsed.errors,
        described=describe_filters(parsed.filters, _consultant_names), list_url=list_url,
        action=url_for("manage.reassign_filtered") + "?" + links.query_string)


# ---- one case, from its page ------------------------------------------------------------------

@bp.app_context_processor
def _reassign_choices() -> dict[str, Any]:
    # The case page's reassign form lists active consultants; only that form calls this.
    return {"reassign_consultants": active_consultants}


@bp.route("/reassign/<reference>", methods=["POST"])
@roles_required(*MANAGERS)
def reassign_case(reference: str) -> Response:
    case = case_or_404(reference)
    back = redirect(url_for("cases.show", reference=case.reference, _anchor="reassign"))
    form = ReassignForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        result = reassign(acting_user(), [case.id], _chosen(form), form.reason.data or "")
    except ServiceError as error:
        flash(f"The case was not reassigned: {refusal(error)}", "error")
    else:
        if result.moved:
            flash(f"{case.reference} reassigned to {result.consultant}.", "success")
        elif result.closed:
            flash(f"{case.reference} is closed and read-only: it was not reassigned.", "error")
        else:
            flash(f"{case.reference} is already with {result.consultant}.", "info")
    return back
