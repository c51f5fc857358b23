"""The case list every role works from: a consultant's own cases, or all of them for managers
and admins, with the filters in the URL so a view can be bookmarked, shared and saved."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import current_app, render_template, request
from flask_login import login_required
from werkzeug.datastructures import MultiDict

from caseapp.models import User
from caseapp.queries.case_filters import (
    FAMILY,
    VERDICT_LABELS,
    WAITING,
    CaseFilters,
    ParsedFilters,
    parse_filters,
)
from caseapp.queries.case_list import (
    PageRequest,
    case_page,
    parse_sort,
    sort_options,
)
from caseapp.queries.users import consultants_for_filter
from caseapp.queries.views import saved_views_for
from caseapp.rules.workflow import CaseStatus
from caseapp.services.people import without_unsafe_characters
from caseapp.web.access import acting_user
from caseapp.web.cases.routes import bp


def parsed_list_args(args: MultiDict[str, str] | None = None) -> ParsedFilters:
    """The filters of the current request (or of ``args``) as the list reads them."""
    return parse_filters(args if args is not None else request.args)


class ListLinks:
    """URLs of the list that keep the filter and sort and change one thing."""

    def __init__(self, filters: CaseFilters, sort: str) -> None:
        self.filters = filters
        self.sort = sort

    def _url(self, **extra: str) -> str:
        items = [*self.filters.query_items(), *extra.items()]
        return "/?" + urlencode(items) if items else "/"

    def page(self, **cursor: str) -> str:
        return self._url(sort=self.sort, **cursor)

    def sorted_by(self, key: str) -> str:
        """Sort by ``key``; the column already sorted on flips direction."""
        current = self.sort.removeprefix("-")
        if current == key:
            return self._url(sort=key if self.sort.startswith("-") else f"-{key}")
        return self._url(sort=key)

    def arrow(self, key: str) -> str:
        if self.sort.removeprefix("-") != key:
            return ""
        return " ↓" if self.sort.startswith("-") else " ↑"

    @property
    def query_string(self) -> str:
        """Filters and sort (no cursor): what a saved view or an export keeps."""
        return urlencode([*self.filters.query_items(), ("sort", self.sort)])


@bp.route("/")
@login_required
def index() -> str:
    user = acting_user()
    parsed = parsed_list_args()
    sort = parse_sort(request.args.get("sort"))
    page = case_page(user, parsed.filters, PageRequest(
        sort=sort,
        # A cursor the list could not have made (forged, or carrying a NUL) is read as the
        # first page by queries.case_list.decode_cursor.
        after=request.args.get("after"),
        before=request.args.get("before"),
        last=request.args.get("last") == "1",
        per_page=int(current_app.config["CASES_PER_PAGE"]),
    ))
    return render_template(
        "cases/index.html", page=page, filters=parsed.filters, errors=parsed.errors,
        typed=typed_without_unsafe(request.args), links=ListLinks(parsed.filters, page.sort),
        **list_choices(user),
    )


def typed_without_unsafe(args: MultiDict[str, str]) -> MultiDict[str, str]:
    """What was typed in the filter form, to show back in it: without the invisible control
    and text-direction characters the list refused, which the user could not find to remove."""
    return MultiDict([(name, without_unsafe_characters(value))
                      for name, value in args.items(multi=True)])


def list_choices(user: User) -> dict[str, Any]:
    """What the filter form and side bar offer: one statement each, whatever the list holds."""
    return {
        "consultants": consultants_for_filter() if user.sees_all_cases else [],
        "saved_views": saved_views_for(user),
        "sort_options": sort_options(),
        "statuses": list(CaseStatus),
        "verdict_labels": VERDICT_LABELS,
        "waiting_labels": WAITING,
        "family_labels": FAMILY,
    }
