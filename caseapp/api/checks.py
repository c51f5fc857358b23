"""QMAS check runs: run the checks on a case now, list its runs, read one with its result.

A run is a record kept as it was shown: the verdict, the headline, each prerequisite, the
General Points Test (a points table, or from 1 November 2024 a count of criteria), the
Achievement-based Points Test, and the rule set used with why (its effective date and the
lodging date). The result is rebuilt with `services.checks.stored_result`, as the run page
renders it, so a run stored by an older version of the app reads the same way.
"""

from __future__ import annotations

from typing import Any

from flask import abort
from marshmallow import fields, validate

from caseapp.api.base import (
    ETAG_HEADER,
    IF_MATCH,
    ApiBlueprint,
    api_user,
    case_or_404,
    etag_headers,
    expected_version,
)
from caseapp.api.schemas import StrictSchema, UserRefSchema
from caseapp.models import CheckRun
from caseapp.queries.checks import (
    MAX_RUNS_PER_PAGE,
    check_runs_page,
    decode_run_cursor,
    get_check_run,
)
from caseapp.rules import Verdict
from caseapp.rules.outcome import (
    CriterionStatus,
    GeneralCriteriaResult,
    GeneralPointsResult,
    Outcome,
)
from caseapp.services.checks import is_current, run_checks_on_request, stored_result
from caseapp.services.errors import ValidationFailed

blp = ApiBlueprint("api_checks", __name__, url_prefix="/api/v1/cases",
                   description="QMAS requirement checks: run them, list the runs, read one.")

VERDICTS = [v.value for v in Verdict]
OUTCOMES = [o.value for o in Outcome]
DATA = {"description": "The inputs and figures the rule used: JSON values, amounts as "
                       "decimal strings, dates ISO."}


def _texts(description: str) -> fields.List:
    return fields.List(fields.String(), required=True, metadata={"description": description})


# ---- the stored result ----------------------------------------------------------------------

class HeadlineItemSchema(StrictSchema):
    code = fields.String(required=True, metadata={"description": "P1 .. P7."})
    title = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(["fail", "missing",
                                                                   "flagged"]),
                           metadata={"description": "flagged: a dependant P7 leaves out of "
                                                    "the family application."})
    text = fields.String(required=True)


class PrerequisiteSchema(StrictSchema):
    code = fields.String(required=True, metadata={"description": "P1 .. P7."})
    title = fields.String(required=True)
    outcome = fields.String(required=True, validate=validate.OneOf(OUTCOMES))
    reason = fields.String(required=True, metadata={
        "description": "A sentence a consultant can read to the client."})
    short = fields.String(required=True, metadata={
        "description": "A few words for the headline; empty: the reason serves."})
    data = fields.Dict(keys=fields.String(), values=fields.Raw(), required=True, metadata=DATA)
    actions = _texts("What to collect or fix, or what would change the outcome.")
    warnings = _texts("Warnings.")


class PointsFactorSchema(StrictSchema):
    code = fields.String(required=True, metadata={
        "description": "age, education, work_experience, language or family."})
    title = fields.String(required=True)
    points = fields.Integer(required=True, metadata={"description": "Counting what is known."})
    max = fields.Integer(required=True)
    best_case = fields.Integer(required=True, metadata={
        "description": "If every unknown input turned out as well as possible."})
    complete = fields.Boolean(required=True)
    explanation = fields.String(required=True)
    missing = _texts("The unknown inputs that could change the points.")
    actions = _texts("What to collect.")


class CriterionSchema(StrictSchema):
    number = fields.Integer(required=True)
    code = fields.String(required=True)
    title = fields.String(required=True)
    status = fields.String(required=True,
                           validate=validate.OneOf([s.value for s in CriterionStatus]))
    reason = fields.String(required=True)
    data = fields.Dict(keys=fields.String(), values=fields.Raw(), required=True, metadata=DATA)
    missing = _texts("The inputs to record while the criterion is unknown.")
    actions = _texts("How to record them.")


class GeneralPointsSchema(StrictSchema):
    """Either shape of the General Points Test: `kind` says which fields it has."""

    kind = fields.String(required=True, validate=validate.OneOf(
        [GeneralPointsResult.kind, GeneralCriteriaResult.kind]), metadata={
        "description": "points_table (rule sets before 1 November 2024) or criteria."})
    passed = fields.Boolean(allow_none=True, required=True, metadata={
        "description": "null while it could still go either way."})
    complete = fields.Boolean(required=True, metadata={
        "description": "Every input the test needs is known."})
    best_possible = fields.Integer(required=True, metadata={
        "description": "Points (or criteria met) if every unknown input turned out well."})
    reason = fields.String(required=True)
    missing = _texts("The unknown inputs.")
    actions = _texts("What to collect.")
    warnings = _texts("Warnings.")
    # points_table
    factors = fields.List(fields.Nested(PointsFactorSchema), metadata={
        "description": "points_table only."})
    total = fields.Integer(metadata={"description": "points_table only: the known points."})
    pass_mark = fields.Integer(metadata={"description": "points_table only."})
    maximum = fields.Integer(metadata={"description": "points_table only."})
    # criteria
    criteria = fields.List(fields.Nested(CriterionSchema), metadata={
        "description": "criteria only."})
    met = fields.Integer(metadata={"description": "criteria only."})
    not_met = fields.Integer(metadata={"description": "criteria only."})
    unknown = fields.Integer(metadata={"description": "criteria only."})
    threshold = fields.Integer(metadata={"description": "criteria only: how many are needed."})


class AchievementPointsSchema(StrictSchema):
    outcome = fields.String(required=True, validate=validate.OneOf(OUTCOMES))
    points = fields.Integer(required=True)
    pass_mark = fields.Integer(required=True)
    complete = fields.Boolean(required=True)
    passed = fields.Boolean(allow_none=True, required=True)
    reason = fields.String(required=True)
    actions = _texts("What to collect.")


class CheckResultSchema(StrictSchema):
    verdict = fields.String(required=True, validate=validate.OneOf(VERDICTS))
    summary = fields.String(required=True, metadata={"description": "The verdict in a sentence."})
    headline = fields.List(fields.Nested(HeadlineItemSchema), required=True, metadata={
        "description": "Every prerequisite that is not a pass (P7: each flagged dependant). "
                       "Empty for runs stored before it existed."})
    next_actions = _texts("What to do next, most useful first.")
    warnings = _texts("Warnings.")
    prerequisites = fields.List(fields.Nested(PrerequisiteSchema), required=True)
    general_points = fields.Nested(GeneralPointsSchema, required=True)
    achievement_points = fields.Nested(AchievementPointsSchema, required=True)
    family_application = fields.Boolean(allow_none=True, required=True, metadata={
        "description": "null while a dependant's eligibility is undecided."})
    rule_set_version = fields.String(required=True)
    rule_set_effective_date = fields.Date(allow_none=True, required=True, metadata={
        "description": "When the rule set took effect (null for older runs)."})
    rule_set_overrides = fields.Dict(keys=fields.String(), values=fields.Raw(), required=True,
                                     metadata={"description": "The consultancy's threshold "
                                                              "overrides applied."})
    check_date = fields.Date(required=True, metadata={"description": "Checked as of."})
    planned_submission_date = fields.Date(allow_none=True, required=True)
    lodging_date = fields.Date(allow_none=True, required=True, metadata={
        "description": "The date that chose the rule set (null for older runs)."})


# ---- runs -----------------------------------------------------------------------------------

class RunSummarySchema(StrictSchema):
    id = fields.Integer(required=True)
    run_at = fields.DateTime(required=True)
    run_by = fields.Nested(UserRefSchema, allow_none=True, required=True, metadata={
        "description": "null: the nightly re-check."})
    check_date = fields.Date(required=True)
    rule_set_version = fields.String(required=True)
    verdict = fields.String(required=True, validate=validate.OneOf(VERDICTS))
    summary = fields.String(required=True, metadata={"description": "The verdict in a "
                                                                     "sentence."})
    case_version = fields.Integer(required=True, metadata={
        "description": "The case version the run checked."})


class RunSchema(RunSummarySchema):
    current = fields.Boolean(required=True, metadata={
        "description": "The case's facts are unchanged since this run."})
    result = fields.Nested(CheckResultSchema, required=True)


class RunPageSchema(StrictSchema):
    items = fields.List(fields.Nested(RunSummarySchema), required=True)
    has_next = fields.Boolean(required=True)
    next_cursor = fields.String(allow_none=True, required=True, metadata={
        "description": "Pass as `after` for older runs."})


class RunListQuery(StrictSchema):
    after = fields.String(validate=validate.Length(max=200),
                          metadata={"description": "next_cursor of the page before."})
    per_page = fields.Integer(validate=validate.Range(1, MAX_RUNS_PER_PAGE), load_default=20)


class RunInputSchema(StrictSchema):
    """Nothing to send (or `{}`): the case is checked as it is now."""


LOCATION = {"Location": {"description": "The run.", "schema": {"type": "string"}}}


def _summary(run: CheckRun) -> dict[str, Any]:
    return {"id": run.id, "run_at": run.run_at, "run_by": run.run_by,
            "check_date": run.check_date, "rule_set_version": run.rule_set_version,
            "verdict": run.verdict, "case_version": run.case_version,
            "summary": str(run.result.get("summary", ""))}


def _run(run: CheckRun, current: bool) -> dict[str, Any]:
    return {**_summary(run), "current": current, "result": stored_result(run)}


@blp.post("/<reference>/checks")
@blp.arguments(RunInputSchema, required=False)
@blp.response(201, RunSchema, headers={**ETAG_HEADER, **LOCATION})
@blp.doc(parameters=[IF_MATCH])
def run_case_checks(_body: dict[str, Any], reference: str) -> Any:
    """Run the QMAS checks on the case as it is now and keep the run. A closed case is not
    checked again (409). The case's version does not move: a run is a record."""
    case = case_or_404(reference)
    run = run_checks_on_request(api_user(), case, expected_version())
    return _run(run, True), 201, {**etag_headers(case),
                                  "Location": f"/api/v1/cases/{case.reference}/checks/{run.id}"}


@blp.get("/<reference>/checks")
@blp.arguments(RunListQuery, location="query", as_kwargs=True)
@blp.response(200, RunPageSchema, headers=ETAG_HEADER)
def list_runs(reference: str, per_page: int, after: str | None = None) -> Any:
    """The case's check runs, newest first, a page at a time: follow `next_cursor` with
    `after`."""
    case = case_or_404(reference)
    boundary = None
    if after is not None:
        boundary = decode_run_cursor(after)
        if boundary is None:
            raise ValidationFailed({"after": ["This is not a cursor this list gave out."]})
    page = check_runs_page(case, boundary, per_page)
    items = [_summary(run) for run in page.items]
    return ({"items": items, "has_next": page.has_next, "next_cursor": page.next_cursor}, 200,
            etag_headers(case))


@blp.get("/<reference>/checks/<int:run_id>")
@blp.response(200, RunSchema, headers=ETAG_HEADER)
def read_run(reference: str, run_id: int) -> Any:
    """One run with its full result, as it was shown; `current` says whether the case's
    facts have changed since."""
    case = case_or_404(reference)
    run = get_check_run(case, run_id)
    if run is None:
        abort(404)
    return _run(run, is_current(run, case)), 200, etag_headers(case)
