"""Cases: the list (the managers' filters, search, sort and cursor pages), open, read, update.

The list reads its filters with `queries.case_filters.parse_filters`, exactly as the case
list page does; the schema below only documents them and refuses names it does not know.
"""

from __future__ import annotations

from typing import Any

from flask import request
from marshmallow import fields, validate

from caseapp.api.base import (
    ETAG_HEADER,
    IF_MATCH,
    ApiBlueprint,
    api_user,
    case_or_404,
    etag_headers,
    expected_version,
    require_role,
    roles_allowed,
)
from caseapp.api.people import ApplicantInputSchema, ApplicantSchema
from caseapp.api.schemas import (
    CursorPageSchema,
    DecimalString,
    StrictSchema,
    UserRefSchema,
)
from caseapp.models import Case, Role
from caseapp.queries.case_filters import TICKED, parse_filters
from caseapp.queries.case_list import MAX_PER_PAGE, SORT_KEYS, PageRequest, case_page
from caseapp.rules.workflow import CaseStatus
from caseapp.services import cases as case_service
from caseapp.services.errors import ValidationFailed

blp = ApiBlueprint("api_cases", __name__, url_prefix="/api/v1/cases",
                   description="Client files: list, open, read and update cases.")

STATUSES = [s.value for s in CaseStatus]
SORTS = [*SORT_KEYS, *(f"-{k}" for k in SORT_KEYS)]
# What the list's own parser (queries.case_filters) reads as ticked, and as not.
ATTENTION_VALUES = [*TICKED, "0", "false", "no", "off"]


class CaseListQuery(StrictSchema):
    q = fields.String(metadata={"description": "Search applicants' names and case references "
                                               "(at least 2 letters). Never put a passport "
                                               "number in an address: it would reach logs."})
    status = fields.List(fields.String(validate=validate.OneOf(STATUSES)))
    consultant = fields.List(fields.Integer(), metadata={"description": "Consultant ids "
                                                         "(managers and admins)."})
    verdict = fields.List(fields.String(validate=validate.OneOf(
        ["eligible", "incomplete", "not_eligible", "unchecked"])))
    nationality = fields.List(fields.String(metadata={"description": "ISO 3166 alpha-3."}))
    family = fields.String(validate=validate.OneOf(["single", "family"]))
    waiting = fields.String(validate=validate.OneOf(["documents", "deposit"]))
    opened_from = fields.Date()
    opened_to = fields.Date()
    updated_from = fields.Date()
    updated_to = fields.Date()
    planned_from = fields.Date()
    planned_to = fields.Date()
    entered = fields.List(fields.String(validate=validate.OneOf(STATUSES)),
                          metadata={"description": "Entered one of these statuses ..."})
    entered_from = fields.Date(metadata={"description": "... on or after this day"})
    entered_to = fields.Date(metadata={"description": "... on or before this day"})
    stale = fields.Integer(validate=validate.Range(1, 3650), metadata={
        "description": "Not updated for this many days."})
    attention = fields.String(validate=validate.OneOf(ATTENTION_VALUES), metadata={
        "description": "1 (or true, yes, on): only cases that need attention."})
    sort = fields.String(validate=validate.OneOf(SORTS), load_default="-updated")
    after = fields.String(validate=validate.Length(max=1000),
                          metadata={"description": "next_cursor of the page before."})
    before = fields.String(validate=validate.Length(max=1000),
                           metadata={"description": "prev_cursor of the page after."})
    per_page = fields.Integer(validate=validate.Range(1, MAX_PER_PAGE), load_default=50)


class CaseSummarySchema(StrictSchema):
    reference = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(STATUSES))
    consultant = fields.Nested(UserRefSchema, required=True)
    applicant_name = fields.Method("_applicant_name", required=True)
    nationality = fields.Method("_nationality", allow_none=True)
    planned_submission_date = fields.Date(allow_none=True, required=True)
    opened_at = fields.DateTime(required=True)
    updated_at = fields.DateTime(required=True)
    latest_verdict = fields.String(required=True)
    version = fields.Integer(required=True)

    def _applicant_name(self, case: Case) -> str:
        return f"{case.applicant.given_name} {case.applicant.family_name}"

    def _nationality(self, case: Case) -> str | None:
        return case.applicant.nationality


class CasePageSchema(CursorPageSchema):
    items = fields.List(fields.Nested(CaseSummarySchema), required=True)


class CaseSchema(CaseSummarySchema):
    status_label = fields.Method("_status_label", required=True)
    updated_by = fields.Nested(UserRefSchema, allow_none=True, required=True)
    latest_check_at = fields.DateTime(allow_none=True, required=True)
    counted_hkd = DecimalString(allow_none=True, required=True, metadata={
        "description": "Deposit evidence the checks count, in HKD."})
    attention_on = fields.Date(allow_none=True, required=True)
    attention_reasons = fields.List(fields.String(), required=True)
    immd_file_number = fields.String(allow_none=True, required=True)
    submitted_on = fields.Date(allow_none=True, required=True)
    file_is_locked = fields.Boolean(required=True, metadata={
        "description": "Submitted to ImmD or closed: the client file no longer changes."})
    is_closed = fields.Boolean(required=True)
    applicant = fields.Nested(ApplicantSchema, required=True)

    def _status_label(self, case: Case) -> str:
        return case.status.label


class CaseCreateSchema(StrictSchema):
    applicant = fields.Nested(ApplicantInputSchema, required=True)
    planned_submission_date = fields.Date(allow_none=True)


class CaseUpdateSchema(StrictSchema):
    planned_submission_date = fields.Date(allow_none=True, required=True)


@blp.get("")
@blp.arguments(CaseListQuery, location="query", as_kwargs=True)
@blp.response(200, CasePageSchema)
def list_cases(**_parsed: Any) -> dict[str, Any]:
    """The cases you may see (a consultant's own; all for managers and admins), a page at a
    time. Follow `next_cursor` with `after`; the filters are those of the case list."""
    parsed = parse_filters(request.args)
    if parsed.errors:
        raise ValidationFailed(parsed.errors)
    page = case_page(api_user(), parsed.filters, PageRequest(
        sort=request.args.get("sort", "-updated"),
        after=request.args.get("after"), before=request.args.get("before"),
        per_page=int(request.args.get("per_page", 50))))
    return {"items": page.items, "total": page.total, "total_is_exact": page.total_is_exact,
            "next_cursor": page.next_cursor if page.has_next else None,
            "prev_cursor": page.prev_cursor if page.has_prev else None,
            "has_next": page.has_next, "has_prev": page.has_prev}


@blp.post("")
@roles_allowed(Role.CONSULTANT)
@blp.arguments(CaseCreateSchema)
@blp.response(201, CaseSchema, headers=ETAG_HEADER)
def open_case(data: dict[str, Any]) -> Any:
    """Open a client file, assigned to you: consultants open cases, as on the pages (a
    manager moves one to another consultant with the reassignment)."""
    user = require_role(Role.CONSULTANT)
    case = case_service.open_case(user, data["applicant"], None,
                                  data.get("planned_submission_date"))
    return case, 201, {**etag_headers(case),
                       "Location": f"/api/v1/cases/{case.reference}"}


@blp.get("/<reference>")
@blp.response(200, CaseSchema, headers=ETAG_HEADER)
def read_case(reference: str) -> Any:
    """One case with its applicant. The ETag is the case's version: send it as If-Match
    with any change to the case."""
    case = case_or_404(reference)
    return case, 200, etag_headers(case)


@blp.patch("/<reference>")
@blp.arguments(CaseUpdateSchema)
@blp.response(200, CaseSchema, headers=ETAG_HEADER)
@blp.doc(parameters=[IF_MATCH])
def update_case(data: dict[str, Any], reference: str) -> Any:
    """Change the planned submission date (the checks warn about what goes stale by then)."""
    case = case_or_404(reference)
    case_service.update_case_details(api_user(), case, data["planned_submission_date"],
                                     expected_version())
    return case, 200, etag_headers(case)
