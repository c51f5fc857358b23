"""Which rule set applies: the one in force on the date the application is lodged."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from caseapp.rules import (
    CaseFacts,
    GeneralCriteriaResult,
    GeneralPointsResult,
    evaluate,
    load_rule_set,
    lodging_date,
    packaged_rule_sets,
    rule_set_for,
    rule_set_in_force,
)

from .builders import applicant, case

OLD, NEW = "qmas-2006-165", "qmas-2024-11"


@pytest.mark.parametrize(
    ("check", "planned", "submitted", "lodged"),
    [
        pytest.param(date(2026, 3, 2), None, None, date(2026, 3, 2), id="check-date"),
        pytest.param(date(2026, 3, 2), date(2026, 6, 1), None, date(2026, 6, 1), id="planned"),
        pytest.param(
            date(2026, 3, 2), date(2026, 3, 2), None, date(2026, 3, 2), id="planned-today"
        ),
        pytest.param(
            date(2026, 3, 2), date(2026, 1, 5), None, date(2026, 3, 2), id="planned-in-the-past"
        ),
        pytest.param(
            date(2026, 3, 2), date(2026, 6, 1), date(2025, 12, 1), date(2025, 12, 1),
            id="submitted-wins",
        ),
        pytest.param(
            date(2025, 11, 1), None, date(2025, 12, 1), date(2025, 12, 1),
            id="submitted-after-the-check-date",
        ),
    ],
)
def test_lodging_date(
    check: date, planned: date | None, submitted: date | None, lodged: date
) -> None:
    assert lodging_date(check, planned, submitted) == lodged
    facts = case(check_date=check, planned_submission_date=planned, submitted_on=submitted)
    assert facts.lodging_date == lodged


@given(st.dates(), st.one_of(st.none(), st.dates()))
def test_a_case_not_yet_submitted_is_never_lodged_before_its_check_date(
    check: date, planned: date | None
) -> None:
    lodged = lodging_date(check, planned, None)
    assert lodged >= check
    assert lodged in (check, planned)


def test_packaged_rule_sets_oldest_first() -> None:
    assert [r.version for r in packaged_rule_sets()] == [OLD, NEW]
    assert packaged_rule_sets()[0] is rule_set_for(OLD)
    assert rule_set_for(NEW).effective_date == date(2024, 11, 1)
    assert rule_set_for(OLD).general_points_kind == "points_table"
    assert rule_set_for(NEW).general_points_kind == "criteria"


@pytest.mark.parametrize(
    ("on", "version"),
    [
        (date(2006, 6, 28), OLD),
        (date(2024, 10, 31), OLD),
        (date(2024, 11, 1), NEW),
        (date(2026, 3, 2), NEW),
    ],
)
def test_rule_set_in_force_around_1_november_2024(on: date, version: str) -> None:
    assert rule_set_in_force(packaged_rule_sets(), on).version == version
    assert rule_set_in_force(reversed(packaged_rule_sets()), on).version == version  # any order


def test_no_rule_set_in_force_is_a_clear_error() -> None:
    with pytest.raises(LookupError, match="no rule set is in force on 2006-06-27"):
        rule_set_in_force(packaged_rule_sets(), date(2006, 6, 27))
    with pytest.raises(LookupError):
        rule_set_in_force([], date(2026, 1, 1))


def test_two_rule_sets_taking_effect_the_same_day_are_refused() -> None:
    twin = rule_set_for(NEW).to_dict() | {"version": "qmas-2024-11-twin"}
    rules = (*packaged_rule_sets(), load_rule_set(twin))
    with pytest.raises(ValueError, match="qmas-2024-11, qmas-2024-11-twin all take effect"):
        rule_set_in_force(rules, date(2025, 1, 1))
    assert rule_set_in_force(rules, date(2024, 10, 31)).version == OLD


def _checked(facts: CaseFacts) -> GeneralPointsResult | GeneralCriteriaResult:
    rules = rule_set_in_force(packaged_rule_sets(), facts.lodging_date)
    result = evaluate(facts, rules)
    assert result.rule_set_version == rules.version
    assert result.lodging_date == facts.lodging_date
    assert result.rule_set_effective_date == rules.effective_date
    return result.general_points


@pytest.mark.parametrize(
    ("check", "planned", "submitted", "kind"),
    [
        pytest.param(date(2024, 10, 20), date(2024, 10, 31), None, "points_table",
                     id="lodged-2024-10-31"),
        pytest.param(date(2024, 10, 20), date(2024, 11, 1), None, "criteria",
                     id="lodged-2024-11-01"),
        pytest.param(date(2024, 10, 31), None, None, "points_table", id="checked-2024-10-31"),
        pytest.param(date(2024, 11, 5), date(2024, 10, 31), None, "criteria",
                     id="planned-date-already-past"),
        pytest.param(date(2026, 3, 2), date(2026, 6, 1), date(2024, 10, 31), "points_table",
                     id="submitted-2024-10-31-checked-later"),
    ],
)
def test_a_case_is_judged_by_the_rule_set_of_its_lodging_date(
    check: date, planned: date | None, submitted: date | None, kind: str
) -> None:
    facts = case(
        applicant=applicant(date_of_birth=date(1980, 1, 1)),
        check_date=check,
        planned_submission_date=planned,
        submitted_on=submitted,
    )
    assert _checked(facts).kind == kind


def test_a_rule_set_not_yet_in_force_on_the_lodging_date_is_warned_about() -> None:
    facts = case(check_date=date(2024, 10, 1), planned_submission_date=date(2024, 10, 31))
    result = evaluate(facts, rule_set_for(NEW))
    assert (
        "Rule set qmas-2024-11 takes effect on 2024-11-01, after the lodging date (2024-10-31): "
        "the application will be judged by the rule set in force on the lodging date."
    ) in result.warnings
    assert not any("takes effect" in w for w in evaluate(facts, rule_set_for(OLD)).warnings)
