"""Stored check results: both kinds of General Points Test survive JSON, and a result stored
before issue 9 (points table, no kind key) loads and serialises exactly as it was."""

from __future__ import annotations

import copy
import json
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from caseapp.rules import (
    CheckResult,
    CriterionStatus,
    GeneralCriteriaResult,
    GeneralPointsResult,
    evaluate,
    rule_set_for,
)
from caseapp.rules.outcome import general_result_from_dict

from .builders import UNKNOWN, YES, applicant, case
from .stored_results import POINTS_RESULT_BEFORE_ISSUE_9, stored_case, stored_rules


def _old() -> dict[str, Any]:
    return copy.deepcopy(POINTS_RESULT_BEFORE_ISSUE_9)


def test_an_old_points_result_loads_and_gives_back_every_key() -> None:
    result = CheckResult.from_dict(_old())
    assert isinstance(result.general_points, GeneralPointsResult)
    assert result.general_points.kind == "points_table"
    assert (result.lodging_date, result.rule_set_effective_date) == (None, None)
    assert result.to_dict() == POINTS_RESULT_BEFORE_ISSUE_9
    assert "kind" not in result.to_dict()["general_points"]


def test_the_2006_rule_set_still_scores_the_stored_case_the_same() -> None:
    """Evaluating the same facts today gives the stored result plus the two new dates."""
    now = evaluate(stored_case(), stored_rules()).to_dict()
    assert now.pop("lodging_date") == "2026-05-01"
    assert now.pop("rule_set_effective_date") == "2006-06-28"
    assert now == POINTS_RESULT_BEFORE_ISSUE_9


def test_an_unknown_general_points_kind_is_refused() -> None:
    data = _old()
    data["general_points"]["kind"] = "lottery"
    with pytest.raises(ValueError, match="lottery"):
        CheckResult.from_dict(data)
    explicit = _old()["general_points"] | {"kind": "points_table"}
    assert isinstance(general_result_from_dict(explicit), GeneralPointsResult)


def _criteria_result() -> CheckResult:
    facts = case(
        applicant=applicant(
            date_of_birth=date(1975, 3, 3),
            degree_eligible_university=YES,
            degree_stem=UNKNOWN,
            two_languages=YES,
            multinational_work_years=4,
            income_hkd=Decimal("1000000.00"),
            business_profit_hkd=Decimal("0"),
        ),
        planned_submission_date=date(2026, 5, 1),
    )
    return evaluate(facts, rule_set_for("qmas-2024-11"))


def test_a_criteria_result_round_trips_through_json() -> None:
    result = _criteria_result()
    data = result.to_dict()
    text = json.dumps(data)  # JSON types only: no Decimal, no date
    again = CheckResult.from_dict(json.loads(text))
    assert again == result
    assert again.to_dict() == data
    general = again.general_points
    assert isinstance(general, GeneralCriteriaResult)
    assert data["general_points"]["kind"] == "criteria"
    assert data["general_points"]["met"] == general.met
    assert data["general_points"]["threshold"] == 6
    assert data["lodging_date"] == "2026-05-01"
    assert data["rule_set_effective_date"] == "2024-11-01"
    stored = {c["code"]: c["status"] for c in data["general_points"]["criteria"]}
    assert stored["stem_degree"] == "unknown" and stored["income"] == "met"
    assert general.criterion("income").data == {"income_hkd": "1000000.00", "min_hkd": "1000000"}
    assert general.criterion("age").status is CriterionStatus.NOT_MET  # 51 on 2026-05-01


def test_a_points_result_round_trips_with_its_new_dates() -> None:
    result = evaluate(stored_case(), stored_rules())
    again = CheckResult.from_dict(json.loads(json.dumps(result.to_dict())))
    assert again == result
    assert again.lodging_date == date(2026, 5, 1)
