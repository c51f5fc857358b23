"""The check result page with the General Points Test as criteria (issue 9), and a points-table
result stored before it rendering exactly as it did."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

from flask import Flask

from caseapp.extensions import db as _db
from caseapp.rules import CheckResult, evaluate, rule_set_for
from caseapp.rules.vocab import Answer
from caseapp.services.checks import run_checks
from tests.factories import open_case
from tests.rules.builders import applicant, case
from tests.rules.stored_results import POINTS_RESULT_BEFORE_ISSUE_9

GOLDEN = Path(__file__).resolve().parents[1] / "rules" / "data"
GOLDEN /= "points_result_before_issue_9.html"


def _render(app: Flask, result: CheckResult) -> str:
    with app.test_request_context():
        template = app.jinja_env.get_template("checks/_result.html")
        return str(template.module.render_result(result))


def _criteria_result() -> CheckResult:
    facts = case(
        applicant=applicant(
            degree_eligible_university=Answer.YES,
            degree_stem=Answer.NO,
            two_languages=Answer.UNKNOWN,
            multinational_work_years=1,
            sector_work_years=None,
            international_work_years=0,
            income_hkd=None,
            business_profit_hkd=Decimal("0"),
            owns_listed_company=Answer.NO,
        ),
        planned_submission_date=date(2026, 6, 1),
    )
    return evaluate(facts, rule_set_for("qmas-2024-11"))


def test_a_points_result_stored_before_issue_9_renders_byte_for_byte_as_it_did(app):
    result = CheckResult.from_dict(POINTS_RESULT_BEFORE_ISSUE_9)
    assert _render(app, result) == GOLDEN.read_text(encoding="utf-8")


def test_a_criteria_result_shows_each_criterion_the_count_and_the_threshold(app):
    result = _criteria_result()
    page = _render(app, CheckResult.from_dict(result.to_dict()))

    # met: 1 age, 2 degree, 5 English, 6 work years; open: 4, 8, 10; not met: 3, 7, 9, 11, 12
    assert (
        "<h3>General Points Test: 4 of 12 criteria met (at least 6 needed) · undecided</h3>"
        in page
    )
    assert "4 of the 12 criteria met and 3 still open: 2 more needed to reach 6." in page
    assert '<table class="list points">' not in page
    criteria = page.split('<table class="list criteria">', 1)[1].split("</table>", 1)[0]
    rows = criteria.split("<tr data-criterion=")[1:]
    assert len(rows) == 12
    statuses = {row.split('"')[1]: row for row in rows}
    assert '<span class="outcome outcome-pass">Met</span>' in statuses["degree"]
    assert '<span class="outcome outcome-fail">Not met</span>' in statuses["stem_degree"]
    assert "is not in a STEM subject." in statuses["stem_degree"]
    income = statuses["income"]
    assert '<span class="outcome outcome-missing">Not yet known</span>' in income
    assert "Record the applicant&#39;s income in the last full year before applying, in HKD." in (
        income
    )
    assert "The applicant is 36 on the lodging date 2026-06-01 (the planned submission date)" in (
        statuses["age"]
    )
    assert "<strong>4</strong> of 12</td><td>at least 6 needed; 3 not yet known" in criteria
    # what would change the verdict: the cheapest open criteria, also among the next actions
    cheapest = (
        "2 more criteria needed (3 still open): record whether the applicant has good written "
        "and spoken proficiency in two languages (criterion 4), and the applicant&#39;s years of "
        "graduate-level work in innovation and technology, finance or international trade "
        "(criterion 8)."
    )
    assert page.count(cheapest) == 2
    assert (
        "Rule set qmas-2024-11 (in force from 2024-11-01) · checked as of 2026-03-02 · planned "
        "submission 2026-06-01 · lodging date 2026-06-01" in page
    )


def test_a_passed_and_a_failed_criteria_test_say_so(app):
    met = _criteria_result().to_dict()
    for item in met["general_points"]["criteria"]:
        item.update(status="met", missing=[], actions=[])
    met["general_points"]["passed"] = True
    page = _render(app, CheckResult.from_dict(met))
    assert "12 of 12 criteria met (at least 6 needed) · passed</h3>" in page
    assert "not yet known</td>" not in page

    failed = _criteria_result().to_dict()
    for item in failed["general_points"]["criteria"]:
        item.update(status="not_met", missing=[], actions=[])
    failed["general_points"]["passed"] = False
    page = _render(app, CheckResult.from_dict(failed))
    assert "0 of 12 criteria met (at least 6 needed) · not passed</h3>" in page


def test_a_stored_criteria_run_renders_on_the_case_and_run_pages(app, db, consultant,
                                                                 consultant_client):
    case_row = open_case(consultant)
    run = run_checks(consultant, case_row)
    stored = _criteria_result().to_dict()
    run.result = stored
    _db.session.commit()
    _db.session.expire_all()

    for url in (f"/cases/{case_row.reference}", f"/cases/{case_row.reference}/checks/{run.id}"):
        response = consultant_client.get(url)
        assert response.status_code == 200
        page = response.get_data(as_text=True)
        assert "4 of 12 criteria met (at least 6 needed) · undecided" in page
        assert '<tr data-criterion="listed_company">' in page
        assert "Rule set qmas-2024-11 (in force from 2024-11-01)" in page
