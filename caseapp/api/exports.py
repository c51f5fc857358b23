"""`GET /api/v1/cases/export.csv`: the case list as CSV, for managers and admins.

The filters, search and sort are those of `GET /api/v1/cases` (its `CaseListQuery`,
without the paging: an export holds every matching case). The file is written by
`caseapp.exports_csv`, the same code as the managers' page `/manage/export.csv`, so the
same filter gives the same rows; and like the page's, each export is on the audit trail
(who, which filter, how many rows) before a byte is sent. No passport numbers, dates of
birth or e-mails are in it.
"""

from __future__ import annotations

from typing import Any

from flask import request
from werkzeug.wrappers import Response

from caseapp.api.base import ApiBlueprint, api_user, require_role
from caseapp.api.cases import CaseListQuery
from caseapp.exports_csv import CSV_MIMETYPE, case_export, csv_response
from caseapp.models import Role
from caseapp.queries.case_filters import parse_filters
from caseapp.queries.case_list import parse_sort
from caseapp.queries.exports import EXPORT_HEADERS
from caseapp.services.errors import ValidationFailed

blp = ApiBlueprint("api_exports", __name__, url_prefix="/api/v1/cases",
                   description="Exports of the case list (managers and admins).")

PAGING = ("after", "before", "per_page")


@blp.before_request
def _managers_only() -> None:
    require_role(Role.MANAGER, Role.ADMIN)


@blp.get("/export.csv")
@blp.arguments(CaseListQuery(exclude=PAGING), location="query", as_kwargs=True)
@blp.response(
    200, {"type": "string"}, content_type=CSV_MIMETYPE,
    description="Every matching case in the list's order, as CSV (UTF-8 with a byte order "
                "mark, for Excel) with the columns " + ", ".join(EXPORT_HEADERS) + ". Text "
                "a spreadsheet would run as a formula starts with an apostrophe.",
    headers={"Content-Disposition": {
        "description": "attachment; filename=cases-YYYY-MM-DD.csv",
        "schema": {"type": "string"}}})
def export_csv(**_parsed: Any) -> Response:
    """The cases you may see that match the filters of the case list, in its sort order:
    the same file as the managers' export page gives for the same filter."""
    parsed = parse_filters(request.args)
    if parsed.errors:
        raise ValidationFailed(parsed.errors)
    if request.method == "HEAD":  # a probe is not an export
        return Response(mimetype=CSV_MIMETYPE)
    export = case_export(api_user(), parsed.filters, parse_sort(request.args.get("sort")))
    return csv_response(export)
