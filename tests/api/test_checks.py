"""Check runs over the API: run them (If-Match), list them a page at a time, read one."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import func, select

from caseapp import clock
from caseapp.models import Case, CheckRun, Role, User
from caseapp.rules.workflow import CaseStatus
from caseapp.services import cases as case_service
from caseapp.services.checks import run_checks
from tests.api.conftest import ApiClient
from tests.factories import dependant_values, open_case
from tests.services.test_checks import add_verified_deposit


def runs(db) -> int:
    return db.session.scalar(select(func.count(CheckRun.id)))


def path(case: Case, tail: str = "") -> str:
    return f"/api/v1/cases/{case.reference}/checks{tail}"


def test_running_the_checks_keeps_the_run_and_answers_with_its_whole_result(
        consultant: User, consultant_api: ApiClient, db) -> None:
    case = open_case(consultant)
    add_verified_deposit(db, case, consultant, "250000.00", clock.today())
    version = case.version

    response = consultant_api.post(path(case), if_match=case)
    assert response.status_code == 201, response.json
    run = response.json
    assert response.headers["Location"] == path(case, f"/{run['id']}")
    assert response.headers["ETag"] == f'"{version}"'  # a run is a record: no new version
    assert run["verdict"] == "eligible" and run["current"] is True
    assert run["run_by"] == {"id": consultant.id, "name": consultant.name}
    assert run["case_version"] == version
    result = run["result"]
    assert result["verdict"] == "eligible" and result["headline"] == []
    assert [p["code"] for p in result["prerequisites"]] == [f"P{n}" for n in range(1, 8)]
    assert all(p["outcome"] == "pass" for p in result["prerequisites"])
    p2 = result["prerequisites"][1]
    assert p2["data"]["total_hkd"] == "250000.00"  # money stays a decimal string
    points = result["general_points"]
    assert points["kind"] == "points_table"  # the tests pin qmas-2006-165
    assert points["pass_mark"] == 80 and points["total"] >= 80 and points["passed"] is True
    assert "criteria" not in points
    assert result["rule_set_version"] == "qmas-2006-165"
    assert result["check_date"] == clock.today().isoformat()
    assert result["lodging_date"] == clock.today().isoformat()
    assert result["achievement_points"]["outcome"] in ("pass", "fail", "missing")

    assert runs(db) == 1
    assert consultant_api.get(response.headers["Location"]).json == run
    listed = consultant_api.get(f"/api/v1/cases/{case.reference}").json
    assert listed["latest_verdict"] == "eligible" and listed["version"] == version


def test_the_criteria_test_shows_each_criterion(app: Flask, consultant: User,
                                                 consultant_api: ApiClient) -> None:
    app.config["RULE_SET_VERSION"] = None  # as deployed: the lodging date decides
    try:
        case = open_case(consultant)
        result = consultant_api.post(path(case), if_match=case).json["result"]
    finally:
        app.config["RULE_SET_VERSION"] = "qmas-2006-165"
    points = result["general_points"]
    assert points["kind"] == "criteria"
    assert points["threshold"] >= 1 and len(points["criteria"]) >= points["threshold"]
    assert {c["status"] for c in points["criteria"]} <= {"met", "not_met", "unknown"}
    assert "factors" not in points
    assert result["rule_set_effective_date"] == "2024-11-01"
    assert result["verdict"] == "incomplete"  # no deposit evidence yet
    assert any(item["code"] == "P2" for item in result["headline"])


def test_an_incomplete_case_says_what_to_collect(consultant: User,
                                                 consultant_api: ApiClient) -> None:
    case = open_case(consultant)
    run = consultant_api.post(path(case), if_match=case).json
    assert run["verdict"] == "incomplete"
    assert run["result"]["headline"][0]["code"] == "P2"
    assert any("bank statements" in action for action in run["result"]["next_actions"])


def test_running_needs_if_match_and_a_stale_one_stores_no_run(
        consultant: User, consultant_api: ApiClient, db) -> None:
    case = open_case(consultant)
    missing = consultant_api.post(path(case))
    assert missing.status_code == 428
    assert "If-Match" in missing.json["errors"]
    stale = consultant_api.post(path(case), if_match=f'"{case.version + 1}"')
    assert stale.status_code == 412
    assert stale.json["current_version"] == case.version
    assert runs(db) == 0
    db.session.expire_all()
    assert db.session.get(Case, case.id).latest_check_at is None


def test_a_closed_case_is_not_checked_again(consultant: User, consultant_api: ApiClient,
                                            db) -> None:
    case = open_case(consultant)
    case.status = CaseStatus.WITHDRAWN
    db.session.commit()
    response = consultant_api.post(path(case), if_match=case)
    assert response.status_code == 409
    assert response.json["errors"]["request"] == [
        "This case is withdrawn and can no longer be changed."]
    assert runs(db) == 0


def test_another_consultants_case_and_its_runs_are_not_found(
        consultant: User, other_consultant: User, api_for, db) -> None:
    case = open_case(consultant)
    run = run_checks(consultant, case)
    other = api_for(other_consultant)
    assert other.post(path(case), if_match=case).status_code == 404
    assert other.get(path(case)).status_code == 404
    assert other.get(path(case, f"/{run.id}")).status_code == 404
    assert runs(db) == 1


def test_a_manager_reads_any_cases_runs(consultant: User, manager_api: ApiClient) -> None:
    case = open_case(consultant)
    run = run_checks(consultant, case)
    response = manager_api.get(path(case, f"/{run.id}"))
    assert response.status_code == 200
    assert response.json["id"] == run.id


def test_a_run_of_another_case_is_not_found_under_this_one(consultant: User,
                                                           consultant_api: ApiClient) -> None:
    case, other = open_case(consultant), open_case(consultant, family_name="Lee")
    run = run_checks(consultant, other)
    assert consultant_api.get(path(case, f"/{run.id}")).status_code == 404
    assert consultant_api.get(path(other, f"/{run.id}")).status_code == 200


def test_a_run_says_when_the_case_changed_since(consultant: User, consultant_api: ApiClient
                                                ) -> None:
    case = open_case(consultant)
    run = run_checks(consultant, case)
    case_service.add_dependant(consultant, case, dependant_values(), case.version)
    read = consultant_api.get(path(case, f"/{run.id}")).json
    assert read["current"] is False
    assert read["case_version"] == run.case_version < case.version


def test_the_runs_come_newest_first_a_page_at_a_time(consultant: User,
                                                      consultant_api: ApiClient) -> None:
    case = open_case(consultant)
    made = [run_checks(consultant, case).id for _ in range(5)]
    seen: list[int] = []
    cursor = None
    pages = 0
    while True:
        query = "?per_page=2" + (f"&after={cursor}" if cursor else "")
        page = consultant_api.get(path(case, query))
        assert page.status_code == 200, page.json
        seen += [item["id"] for item in page.json["items"]]
        pages += 1
        if not page.json["has_next"]:
            assert page.json["next_cursor"] is None
            break
        cursor = page.json["next_cursor"]
    assert seen == list(reversed(made))
    assert pages == 3
    first = consultant_api.get(path(case)).json["items"][0]
    assert first["verdict"] == "incomplete" and "summary" in first and "result" not in first


@pytest.mark.parametrize("query,field", [
    ("?after=bm90LWEtY3Vyc29y", "after"),
    ("?after=WyIyMDI2LTAxLTAxVDAwOjAwOjAwIiwxXQ", "after"),  # a naive time: not ours
    ("?per_page=0", "per_page"),
    ("?per_page=101", "per_page"),
    ("?page=2", "page"),
])
def test_an_unreadable_page_request_is_422(consultant: User, consultant_api: ApiClient,
                                           query: str, field: str) -> None:
    case = open_case(consultant)
    response = consultant_api.get(path(case, query))
    assert response.status_code == 422
    assert list(response.json["errors"]) == [field]


def test_the_runs_list_costs_the_same_statements_for_2_runs_as_for_6(
        consultant: User, consultant_api: ApiClient, make_user, db, count_statements) -> None:
    case = open_case(consultant)
    consultant_api.get("/api/v1/me")  # the token's first use is noted once (a write)

    def statements_for_list(expected_runs: int) -> int:
        db.session.expire_all()  # nothing read before the request helps it
        count_statements.reset()
        response = consultant_api.get(path(case))
        assert response.status_code == 200
        assert len(response.json["items"]) == expected_runs
        # each run names who ran it: six different managers
        assert len({item["run_by"]["id"] for item in response.json["items"]}) == expected_runs
        return count_statements.count

    for _ in range(2):
        run_checks(make_user(Role.MANAGER), case)
    with_two = statements_for_list(2)
    for _ in range(4):
        run_checks(make_user(Role.MANAGER), case)
    assert statements_for_list(6) == with_two
