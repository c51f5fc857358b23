"""The General Points Test since 1 November 2024: 12 criteria, at least 6 met (qmas-2024-11)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from caseapp.rules import (
    CaseFacts,
    CriterionStatus,
    GeneralCriteriaResult,
    Verdict,
    evaluate,
    load_rule_set,
    rule_set_for,
)
from caseapp.rules.criteria import _JUDGES, INPUT_COST, open_criteria_by_cost
from caseapp.rules.ruleset import CRITERION_VALUES
from caseapp.rules.vocab import Qualification

from .builders import CHECK, NO, UNKNOWN, YES, applicant, case

RULES = rule_set_for("qmas-2024-11")
MET, NOT_MET, OPEN = CriterionStatus.MET, CriterionStatus.NOT_MET, CriterionStatus.UNKNOWN

# Every criterion met, each at its boundary: 50 on the check date would still be met, 5 / 3 / 3 /
# 2 years exactly, HKD 1,000,000 and 5,000,000 exactly.
ALL_MET: dict[str, Any] = {
    "date_of_birth": date(1975, 3, 3),  # 50 on CHECK (2026-03-02), 51 from 2026-03-03
    "highest_qualification": Qualification.MASTER,
    "degree_eligible_university": YES,
    "degree_stem": YES,
    "two_languages": YES,
    "english_written": YES,
    "english_spoken": YES,
    "graduate_work_years": 5,
    "senior_work_years": 0,
    "multinational_work_years": 3,
    "sector_work_years": 3,
    "international_work_years": 2,
    "income_hkd": Decimal("1000000"),
    "business_profit_hkd": Decimal("5000000"),
    "owns_listed_company": YES,
}

# Setting these makes criteria 2-12 not met one by one (in criterion order), leaving P1-P6 alone.
NOT_MET_BY = [
    ("degree", {"degree_eligible_university": NO}),  # also takes criterion 3
    ("two_languages", {"two_languages": NO}),
    ("work_years", {"graduate_work_years": 4}),  # also caps criteria 7 and 8 below 5
    ("multinational_work", {"multinational_work_years": 2}),
    ("sector_work", {"sector_work_years": 2}),
    ("international_work", {"international_work_years": 1}),
    ("income", {"income_hkd": Decimal("999999.99")}),
    ("business_profit", {"business_profit_hkd": Decimal("0")}),
    ("listed_company", {"owns_listed_company": NO}),
]


def facts(check: date = CHECK, **changes: Any) -> CaseFacts:
    """An eligible case meeting every criterion, with ``changes`` to the applicant or the case."""
    case_keys = {"planned_submission_date", "submitted_on", "check_date"}
    on_case = {k: v for k, v in changes.items() if k in case_keys}
    on_applicant = {k: v for k, v in changes.items() if k not in case_keys}
    return case(applicant=applicant(**(ALL_MET | on_applicant)), check_date=check, **on_case)


def gpt(case_facts: CaseFacts) -> GeneralCriteriaResult:
    result = evaluate(case_facts, RULES).general_points
    assert isinstance(result, GeneralCriteriaResult)
    return result


def status(code: str, **changes: Any) -> CriterionStatus:
    return gpt(facts(**changes)).criterion(code).status


def test_the_packaged_criteria_are_the_twelve_of_qmas_md() -> None:
    test = RULES.general_points
    assert test.kind == "criteria" and test.threshold == 6
    assert [c.code for c in test.criteria] == list(CRITERION_VALUES)
    assert [c.number for c in test.criteria] == list(range(1, 13))
    assert test.criterion("age").max_age == 50
    assert test.criterion("degree").degree_levels == (Qualification.MASTER, Qualification.DOCTORATE)
    assert test.criterion("stem_degree").degree_levels == test.criterion("degree").degree_levels
    years = {c.code: c.min_years for c in test.criteria if c.min_years is not None}
    assert years == {
        "work_years": 5,
        "multinational_work": 3,
        "sector_work": 3,
        "international_work": 2,
    }
    assert test.criterion("income").min_hkd == Decimal("1000000")
    assert test.criterion("business_profit").min_hkd == Decimal("5000000")
    assert isinstance(test.criterion("income").min_hkd, Decimal)


def test_every_criterion_code_has_a_judge_and_every_input_a_cost() -> None:
    assert set(_JUDGES) == set(CRITERION_VALUES)
    every_missing = {"date_of_birth", "highest_qualification", "doctorate_count", "master_count"}
    every_missing |= {
        "degree_eligible_university",
        "degree_stem",
        "two_languages",
        "english_written",
        "english_spoken",
        "graduate_work_years",
        "multinational_work_years",
        "sector_work_years",
        "international_work_years",
        "income_hkd",
        "business_profit_hkd",
        "owns_listed_company",
    }
    assert every_missing <= set(INPUT_COST)


def test_all_met_at_every_boundary() -> None:
    result = gpt(facts())
    assert [c.status for c in result.criteria] == [MET] * 12
    assert (result.met, result.unknown, result.passed, result.complete) == (12, 0, True, True)
    assert result.actions == ()


# --- each criterion at its boundaries -------------------------------------------------------

BOUNDARIES = [
    # criterion 1: age on the lodging date (here the check date)
    ("age", {"date_of_birth": date(1975, 3, 3)}, MET),  # 50 on 2026-03-02
    ("age", {"date_of_birth": date(1975, 3, 2)}, NOT_MET),  # 51 that day
    ("age", {"date_of_birth": None}, OPEN),
    ("age", {"date_of_birth": date(2027, 1, 1)}, OPEN),  # after the check date: a typo
    # ... judged on the planned submission date, not the check date
    ("age", {"date_of_birth": date(1975, 4, 1), "planned_submission_date": date(2026, 3, 31)}, MET),
    ("age", {"date_of_birth": date(1975, 4, 1), "planned_submission_date": date(2026, 4, 1)},
     NOT_MET),
    # ... a planned date in the past counts as the check date
    ("age", {"date_of_birth": date(1975, 2, 1), "planned_submission_date": date(2025, 12, 1)},
     NOT_MET),
    # ... and once submitted, on the submission date whatever the check date
    ("age", {"date_of_birth": date(1975, 2, 1), "submitted_on": date(2026, 1, 31)}, MET),
    ("age", {"date_of_birth": date(1975, 2, 1), "submitted_on": date(2026, 2, 1)}, NOT_MET),
    # criterion 2: a master's or doctorate, from an eligible university
    ("degree", {"highest_qualification": Qualification.MASTER}, MET),
    ("degree", {"highest_qualification": Qualification.DOCTORATE, "master_count": 0}, MET),
    ("degree", {"highest_qualification": Qualification.BACHELOR, "master_count": 0}, NOT_MET),
    ("degree", {"highest_qualification": Qualification.BACHELOR, "master_count": None}, NOT_MET),
    ("degree", {"highest_qualification": None, "master_count": None}, OPEN),
    ("degree", {"highest_qualification": None}, MET),  # one master's degree is counted
    ("degree", {"highest_qualification": None, "doctorate_count": 0, "master_count": 0},
     NOT_MET),
    ("degree", {"highest_qualification": None, "doctorate_count": 1}, MET),
    ("degree", {"degree_eligible_university": NO}, NOT_MET),
    ("degree", {"degree_eligible_university": UNKNOWN}, OPEN),
    ("degree", {"highest_qualification": Qualification.BACHELOR, "master_count": 0,
                "degree_eligible_university": UNKNOWN}, NOT_MET),
    # criterion 3: criterion 2 and STEM
    ("stem_degree", {}, MET),
    ("stem_degree", {"degree_stem": NO}, NOT_MET),
    ("stem_degree", {"degree_stem": UNKNOWN}, OPEN),
    ("stem_degree", {"highest_qualification": Qualification.BACHELOR, "master_count": 0},
     NOT_MET),
    ("stem_degree", {"degree_eligible_university": NO, "degree_stem": UNKNOWN}, NOT_MET),
    # criterion 4: two languages; English and Chinese recorded are two
    ("two_languages", {"two_languages": NO}, NOT_MET),
    ("two_languages", {"two_languages": UNKNOWN}, OPEN),
    ("two_languages", {"two_languages": UNKNOWN, "chinese_written": YES,
                       "cantonese_spoken": YES}, MET),
    # criterion 5: written and spoken English
    ("english", {"english_spoken": NO}, NOT_MET),
    ("english", {"english_written": UNKNOWN}, OPEN),
    ("english", {"english_written": UNKNOWN, "english_spoken": NO}, NOT_MET),
    # criteria 6-9: years, exactly the minimum and one less
    ("work_years", {"graduate_work_years": 5}, MET),
    ("work_years", {"graduate_work_years": 4}, NOT_MET),
    ("work_years", {"graduate_work_years": None, "senior_work_years": None}, OPEN),
    ("multinational_work", {"multinational_work_years": 3}, MET),
    ("multinational_work", {"multinational_work_years": 2}, NOT_MET),
    ("multinational_work", {"multinational_work_years": None}, OPEN),
    # ... part of the graduate years: fewer of those in all settles it
    ("multinational_work", {"multinational_work_years": None, "graduate_work_years": 2,
                            "senior_work_years": 0}, NOT_MET),
    ("sector_work", {"sector_work_years": 3}, MET),
    ("sector_work", {"sector_work_years": 2}, NOT_MET),
    ("sector_work", {"sector_work_years": None}, OPEN),
    ("international_work", {"international_work_years": 2}, MET),
    ("international_work", {"international_work_years": 1}, NOT_MET),
    ("international_work", {"international_work_years": None, "graduate_work_years": 2,
                            "senior_work_years": 0}, OPEN),
    # criterion 10: income, exactly HKD 1,000,000 is met
    ("income", {"income_hkd": Decimal("1000000")}, MET),
    ("income", {"income_hkd": Decimal("1000000.00")}, MET),
    ("income", {"income_hkd": Decimal("999999.99")}, NOT_MET),
    ("income", {"income_hkd": None}, OPEN),
    # criterion 11: profit of an owned business, exactly HKD 5,000,000 is met
    ("business_profit", {"business_profit_hkd": Decimal("5000000")}, MET),
    ("business_profit", {"business_profit_hkd": Decimal("4999999.99")}, NOT_MET),
    ("business_profit", {"business_profit_hkd": Decimal("0")}, NOT_MET),
    ("business_profit", {"business_profit_hkd": Decimal("-20000")}, NOT_MET),  # a loss
    ("business_profit", {"business_profit_hkd": None}, OPEN),
    # criterion 12
    ("listed_company", {"owns_listed_company": NO}, NOT_MET),
    ("listed_company", {"owns_listed_company": UNKNOWN}, OPEN),
]


@pytest.mark.parametrize(
    ("code", "changes", "expected"),
    [pytest.param(c, ch, e, id=f"{c}-{i}") for i, (c, ch, e) in enumerate(BOUNDARIES)],
)
def test_each_criterion_at_its_boundaries(
    code: str, changes: dict[str, Any], expected: CriterionStatus
) -> None:
    item = gpt(facts(**changes)).criterion(code)
    assert item.status is expected, item.reason
    assert item.reason
    if expected is OPEN:
        assert item.missing and len(item.actions) >= 1  # exactly what to collect
    else:
        assert item.missing == () and item.actions == ()


def test_age_reasons_name_the_lodging_date_and_when_it_would_still_be_met() -> None:
    planned = facts(date_of_birth=date(1975, 4, 1), planned_submission_date=date(2026, 4, 1))
    item = gpt(planned).criterion("age")
    assert item.reason == (
        "The applicant is 51 on the lodging date 2026-04-01 (the planned submission date); the "
        "criterion needs 50 or below. Lodged before 2026-04-01, when they turn 51, it would be "
        "met."
    )
    assert item.data["lodging_date"] == "2026-04-01" and item.data["age"] == 51
    submitted = gpt(facts(date_of_birth=date(1975, 2, 1), submitted_on=date(2026, 1, 31)))
    assert submitted.criterion("age").reason == (
        "The applicant is 50 on the lodging date 2026-01-31 (the submission date): 50 or below."
    )
    typo = gpt(facts(date_of_birth=date(2027, 1, 1))).criterion("age")
    assert typo.actions == ("Correct the applicant's date of birth: it is after the check date.",)


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({}, "Holds a master's degree from a university on the eligible list."),
        (
            {"highest_qualification": Qualification.BACHELOR, "master_count": 0},
            "The highest qualification is a bachelor's degree: the criterion needs a master's "
            "degree or a doctorate from an eligible university.",
        ),
        (
            {"degree_eligible_university": NO},
            "The master's degree is not from a university on the eligible list.",
        ),
        (
            {"degree_eligible_university": UNKNOWN},
            "Holds a master's degree. Not yet known: whether the degree is from an eligible "
            "university.",
        ),
        (
            {"income_hkd": Decimal("999999.99")},
            "Income in the last full year: HKD 999,999.99; HKD 1,000,000.00 or more needed.",
        ),
        (
            {"multinational_work_years": None, "graduate_work_years": 2, "senior_work_years": 0},
            "Only 2 years at graduate or specialist level in all, so fewer than the 3 needed at "
            "graduate level in a multinational company or renowned enterprise.",
        ),
    ],
)
def test_reasons_read_to_the_client(changes: dict[str, Any], reason: str) -> None:
    result = gpt(facts(**changes))
    assert reason in [item.reason for item in result.criteria]


def test_an_unknown_criterion_says_exactly_what_to_collect() -> None:
    result = gpt(facts(income_hkd=None, degree_stem=UNKNOWN, degree_eligible_university=UNKNOWN))
    income = result.criterion("income")
    assert income.missing == ("income_hkd",)
    assert income.actions == (
        "Record the applicant's income in the last full year before applying, in HKD.",
    )
    stem = result.criterion("stem_degree")
    assert stem.missing == ("degree_eligible_university", "degree_stem")
    assert result.missing == ("degree_eligible_university", "degree_stem", "income_hkd")


def test_the_rule_sets_numbers_decide_not_the_code() -> None:
    data = RULES.to_dict()
    for item in data["general_points"]["criteria"]:
        if item["code"] == "income":
            item["min_hkd"] = "1200000"
        if item["code"] == "age":
            item["max_age"] = 55
    data["general_points"]["threshold"] = 12
    changed = load_rule_set(data)
    result = evaluate(facts(date_of_birth=date(1971, 3, 3)), changed).general_points
    assert isinstance(result, GeneralCriteriaResult)
    assert result.criterion("age").status is MET  # 55 on the check date
    assert result.criterion("income").status is NOT_MET
    assert (result.met, result.threshold, result.passed) == (11, 12, False)


# --- counting: 5 versus 6, and unknowns that can or cannot still reach 6 -----------------------


def _with(met: int, unknown: int = 0) -> CaseFacts:
    """Exactly ``met`` criteria met and ``unknown`` open; the rest not met.

    Criterion 1 (age) and 5 (English, a prerequisite route) stay met; the others are taken
    away in NOT_MET_BY order, then the last of the remaining met ones made unknown.
    """
    changes: dict[str, Any] = {}
    met_codes = [c.code for c in RULES.general_points.criteria]
    for _code, change in NOT_MET_BY:
        if len(met_codes) <= met + unknown:
            break
        changes |= change
        met_codes = [
            c.code
            for c in gpt(facts(**changes)).criteria
            if c.status is MET
        ]
    openable = {
        "listed_company": {"owns_listed_company": UNKNOWN},
        "business_profit": {"business_profit_hkd": None},
        "income": {"income_hkd": None},
        "international_work": {"international_work_years": None},
        "sector_work": {"sector_work_years": None},
        "multinational_work": {"multinational_work_years": None},
        "two_languages": {"two_languages": UNKNOWN},
    }
    for code in reversed(met_codes):
        if unknown == 0:
            break
        if code in openable:
            changes |= openable[code]
            unknown -= 1
    return facts(**changes)


@pytest.mark.parametrize(
    ("met", "unknown", "passed", "verdict"),
    [
        (6, 0, True, Verdict.ELIGIBLE),
        (5, 0, False, Verdict.NOT_ELIGIBLE),
        (7, 0, True, Verdict.ELIGIBLE),
        (6, 2, True, Verdict.ELIGIBLE),  # met already: the open ones cannot undo it
        (5, 1, None, Verdict.INCOMPLETE),  # one more could reach 6
        (4, 2, None, Verdict.INCOMPLETE),
        (4, 1, False, Verdict.NOT_ELIGIBLE),  # at most 5: cannot reach 6
        (3, 2, False, Verdict.NOT_ELIGIBLE),
    ],
)
def test_passes_at_the_threshold_fails_once_it_cannot_be_reached(
    met: int, unknown: int, passed: bool | None, verdict: Verdict
) -> None:
    case_facts = _with(met, unknown)
    result = evaluate(case_facts, RULES)
    general = result.general_points
    assert isinstance(general, GeneralCriteriaResult)
    assert (general.met, general.unknown) == (met, unknown)
    assert general.passed is passed
    assert general.best_possible == met + unknown
    assert result.verdict is verdict  # P1-P6 pass and no achievement is claimed
    if verdict is Verdict.ELIGIBLE:
        assert f"{met} of 12 criteria met, 6 needed" in result.summary
    if verdict is Verdict.NOT_ELIGIBLE:
        assert result.summary == (
            "Not eligible: neither points test can pass (General Points Test at most "
            f"{met + unknown} of the 6 criteria needed; no achievement claimed)."
        )


def test_the_test_reason_counts_met_open_and_needed() -> None:
    assert gpt(_with(6)).reason == "6 of the 12 criteria met, at least 6 needed: passes."
    assert gpt(_with(5)).reason == (
        "5 of the 12 criteria met, at least 6 needed: does not pass (short by 1)."
    )
    assert gpt(_with(4, 2)).reason == (
        "4 of the 12 criteria met and 2 still open: 2 more needed to reach 6."
    )
    assert gpt(_with(4, 1)).reason == (
        "4 of the 12 criteria met and 1 still open: at most 5, fewer than the 6 needed, so the "
        "test cannot pass."
    )


# --- what would change the verdict: the cheapest open criteria --------------------------------


def test_next_actions_name_the_cheapest_open_criteria() -> None:
    case_facts = facts(
        degree_stem=NO,  # criterion 3 not met
        two_languages=NO,
        multinational_work_years=1,
        international_work_years=0,
        owns_listed_company=NO,
        business_profit_hkd=Decimal("0"),
        # open: 2 (a yes/no), 8 (years) and 10 (an amount); met: 1, 5, 6 and 9 is not, so 4
        degree_eligible_university=UNKNOWN,
        sector_work_years=None,
        income_hkd=None,
    )
    result = evaluate(case_facts, RULES)
    general = result.general_points
    assert isinstance(general, GeneralCriteriaResult)
    assert (general.met, general.unknown, general.passed) == (3, 3, None)
    expected = (
        "3 more criteria needed: record whether the applicant's master's or doctoral degree is "
        "from a university on the eligible list (criterion 2), the applicant's years of "
        "graduate-level work in innovation and technology, finance or international trade "
        "(criterion 8), and the applicant's income in the last full year before applying, in "
        "HKD (criterion 10)."
    )
    assert general.actions == (expected,)
    assert expected in result.next_actions
    assert result.verdict is Verdict.INCOMPLETE


def test_only_as_many_as_needed_cheapest_first() -> None:
    case_facts = facts(
        degree_eligible_university=UNKNOWN,  # 2 and 3 open (yes/no answers)
        two_languages=NO,
        owns_listed_company=NO,
        graduate_work_years=8,
        senior_work_years=0,
        multinational_work_years=None,  # years
        sector_work_years=0,
        international_work_years=0,
        income_hkd=None,  # an amount
        business_profit_hkd=Decimal("0"),
    )
    general = gpt(case_facts)
    # met: 1, 5, 6 = 3; open: 2, 3, 7, 10 = 4; 3 more needed
    assert (general.met, general.unknown) == (3, 4)
    assert [c.number for c in open_criteria_by_cost(general.criteria)] == [2, 3, 7, 10]
    assert general.actions == (
        "3 more criteria needed (4 still open): record whether the applicant's master's or "
        "doctoral degree is from a university on the eligible list (criteria 2 and 3), and the "
        "applicant's years of graduate-level work in a multinational company or renowned "
        "enterprise (criterion 7).",
    )


def test_one_criterion_needed_and_a_birth_date_to_correct() -> None:
    general = gpt(_with(5, 1))
    assert general.actions[0].startswith("1 more criterion needed: record ")
    typo = gpt(
        facts(
            date_of_birth=date(2027, 1, 1),
            degree_eligible_university=NO,
            two_languages=NO,
            owns_listed_company=NO,
            income_hkd=Decimal(0),
            business_profit_hkd=Decimal(0),
            multinational_work_years=0,
        )
    )
    # met: 5, 6, 8, 9; open: 1; 2 more needed but only 1 open: it cannot pass
    assert (typo.met, typo.unknown, typo.passed) == (4, 1, False)
    typo = gpt(
        facts(
            date_of_birth=date(2027, 1, 1),
            degree_eligible_university=NO,
            two_languages=NO,
            owns_listed_company=NO,
            income_hkd=Decimal(0),
        )
    )
    assert (typo.met, typo.unknown, typo.passed) == (6, 1, True)
    typo = gpt(
        facts(
            date_of_birth=date(2027, 1, 1),
            degree_eligible_university=NO,
            two_languages=NO,
            owns_listed_company=NO,
            income_hkd=Decimal(0),
            business_profit_hkd=Decimal(0),
        )
    )
    assert (typo.met, typo.unknown, typo.passed) == (5, 1, None)
    assert typo.actions == (
        "1 more criterion needed: correct the applicant's date of birth (criterion 1).",
    )


def test_no_criteria_actions_once_a_points_test_passes() -> None:
    result = evaluate(facts(income_hkd=None, achievement_claim=YES,
                            achievement_description="Olympic gold"), RULES)
    assert result.general_points.passed is True
    passed_by_abpt = evaluate(_with(4, 2), RULES)
    assert passed_by_abpt.general_points.actions  # undecided: names the cheapest
    claimed = replace(
        _with(4, 2),
        applicant=replace(
            _with(4, 2).applicant, achievement_claim=YES, achievement_description="Nobel Prize"
        ),
    )
    result = evaluate(claimed, RULES)
    assert result.verdict is Verdict.ELIGIBLE
    assert not any("more criteri" in action for action in result.next_actions)


# --- properties -----------------------------------------------------------------------------

_VALUES: dict[str, Any] = {
    "date_of_birth": st.sampled_from([date(1975, 3, 2), date(1975, 3, 3), date(1990, 1, 1)]),
    "highest_qualification": st.sampled_from(list(Qualification)),
    "degree_eligible_university": st.sampled_from([YES, NO]),
    "degree_stem": st.sampled_from([YES, NO]),
    "two_languages": st.sampled_from([YES, NO]),
    "english_written": st.sampled_from([YES, NO]),
    "english_spoken": st.sampled_from([YES, NO]),
    "graduate_work_years": st.integers(0, 7),
    "multinational_work_years": st.integers(0, 4),
    "sector_work_years": st.integers(0, 4),
    "international_work_years": st.integers(0, 3),
    "income_hkd": st.sampled_from([Decimal("0"), Decimal("999999.99"), Decimal("1000000")]),
    "business_profit_hkd": st.sampled_from(
        [Decimal("-1"), Decimal("4999999.99"), Decimal("5000000")]
    ),
    "owns_listed_company": st.sampled_from([YES, NO]),
}
_UNSET = {name: None for name in _VALUES} | {
    name: UNKNOWN
    for name in (
        "degree_eligible_university",
        "degree_stem",
        "two_languages",
        "english_written",
        "english_spoken",
        "owns_listed_company",
    )
}


@st.composite
def _partial_facts(draw: st.DrawFn) -> dict[str, Any]:
    values = {}
    for name, strategy in _VALUES.items():
        values[name] = _UNSET[name] if draw(st.booleans()) else draw(strategy)
    return values


def _judge(values: dict[str, Any]) -> GeneralCriteriaResult:
    base = {"senior_work_years": None, "master_count": None, "doctorate_count": None}
    return gpt(case(applicant=applicant(**(base | values))))


@settings(max_examples=150, deadline=None)
@given(_partial_facts(), st.data())
def test_recording_an_input_never_reverses_a_decided_test(
    values: dict[str, Any], data: st.DataObject
) -> None:
    total = values["graduate_work_years"]
    parts = ("multinational_work_years", "sector_work_years", "international_work_years")
    assume(total is None or all(values[p] is None or values[p] <= total for p in parts))
    before = _judge(values)
    threshold = before.threshold
    expected = (
        True if before.met >= threshold
        else False if before.met + before.unknown < threshold
        else None
    )
    assert before.passed is expected
    unset = [name for name in values if values[name] == _UNSET[name]]
    if not unset:
        assert before.unknown == 0 or before.criterion("age").status is OPEN
        return
    name = data.draw(st.sampled_from(unset))
    recorded = values | {name: data.draw(_VALUES[name])}
    # The service refuses years in a kind of work above the graduate-level years that include them.
    total = recorded["graduate_work_years"]
    parts = ("multinational_work_years", "sector_work_years", "international_work_years")
    assume(total is None or all(recorded[p] is None or recorded[p] <= total for p in parts))
    after = _judge(recorded)
    # Known criteria stay as they were: recording an input only settles open ones.
    for old, new in zip(before.criteria, after.criteria, strict=True):
        if old.status is not OPEN:
            assert new.status is old.status, (old.code, name)
    if before.passed is not None:
        assert after.passed is before.passed
    assert before.met <= after.met <= before.best_possible


def test_a_secondary_education_reads_as_a_sentence():
    from caseapp.rules.criteria import _with_article
    from caseapp.rules.vocab import Qualification

    assert _with_article(Qualification.SECONDARY) == "secondary education"
    assert _with_article(Qualification.NONE) == "no formal qualification"
    assert _with_article(Qualification.MASTER) == "a master's degree"
