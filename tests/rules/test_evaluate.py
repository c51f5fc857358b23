"""The overall verdict, next actions, and the stored form of a check run."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from itertools import product
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from caseapp.rules import (
    CheckResult,
    DependantFacts,
    DepositFacts,
    Outcome,
    Verdict,
    default_rule_set,
    evaluate,
)
from caseapp.rules.evaluate import decide_verdict
from caseapp.rules.outcome import AchievementPointsResult, GeneralPointsResult, RuleOutcome
from caseapp.rules.vocab import Answer, EvidenceStatus, MaritalStatus, Qualification, Relationship

from .builders import CHECK, NO, UNKNOWN, YES, applicant, case, child, deposit, spouse

PASS, FAIL, MISSING = Outcome.PASS, Outcome.FAIL, Outcome.MISSING


# --- the verdict truth table ----------------------------------------------------------------


def _prerequisites(state: str) -> list[RuleOutcome]:
    """``all-pass``, ``one-missing`` or ``one-fail`` among P1-P6, plus a P7 that is missing."""
    outcomes = [PASS] * 6
    if state == "one-missing":
        outcomes[3] = MISSING
    elif state == "one-fail":
        outcomes[4] = FAIL
    rules = [
        RuleOutcome(code=f"P{i + 1}", title="", outcome=o, reason="")
        for i, o in enumerate(outcomes)
    ]
    return [*rules, RuleOutcome(code="P7", title="", outcome=MISSING, reason="")]


def _gpt(passed: bool | None) -> GeneralPointsResult:
    return GeneralPointsResult(
        factors=(), total=0, best_possible=0, pass_mark=80, maximum=165, passed=passed, reason=""
    )


def _abpt(outcome: Outcome) -> AchievementPointsResult:
    return AchievementPointsResult(outcome=outcome, points=0, pass_mark=245, reason="")


def _expected(state: str, gpt: bool | None, abpt: Outcome) -> Verdict:
    """The qmas.md rule, spelled out independently of the code."""
    if state == "one-fail" or (gpt is False and abpt is FAIL):
        return Verdict.NOT_ELIGIBLE
    if state == "all-pass" and (gpt is True or abpt is PASS):
        return Verdict.ELIGIBLE
    return Verdict.INCOMPLETE


@pytest.mark.parametrize(
    ("state", "gpt", "abpt"),
    [
        pytest.param(s, g, a, id=f"{s}-gpt:{g}-abpt:{a.value}")
        for s, g, a in product(
            ("all-pass", "one-missing", "one-fail"), (True, None, False), (PASS, MISSING, FAIL)
        )
    ],
)
def test_verdict_truth_table(state: str, gpt: bool | None, abpt: Outcome) -> None:
    assert decide_verdict(_prerequisites(state), _gpt(gpt), _abpt(abpt)) is _expected(
        state, gpt, abpt
    )


def test_missing_p7_outcome_alone_does_not_block_eligibility() -> None:
    assert decide_verdict(_prerequisites("all-pass"), _gpt(True), _abpt(FAIL)) is Verdict.ELIGIBLE


def test_a_missing_prerequisite_row_is_not_a_pass() -> None:
    five = _prerequisites("all-pass")[1:]  # P1 absent
    assert decide_verdict(five, _gpt(True), _abpt(PASS)) is Verdict.INCOMPLETE


# --- end to end -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("facts", "verdict"),
    [
        pytest.param(case(), Verdict.ELIGIBLE, id="eligible"),
        pytest.param(case(applicant=applicant(nationality="PRK")), Verdict.NOT_ELIGIBLE, id="p6"),
        pytest.param(case(deposits=()), Verdict.INCOMPLETE, id="no-deposits"),
        pytest.param(case(deposits=(deposit("100000"),)), Verdict.NOT_ELIGIBLE, id="deposit-short"),
        pytest.param(
            case(applicant=applicant(criminal_record=UNKNOWN)), Verdict.INCOMPLETE, id="p3-unknown"
        ),
        pytest.param(
            case(applicant=applicant(date_of_birth=date(2009, 1, 1))),
            Verdict.NOT_ELIGIBLE,
            id="under-18",
        ),
        pytest.param(
            case(
                applicant=applicant(
                    graduate_work_years=0,
                    senior_work_years=0,
                    master_count=0,
                    bachelor_count=1,
                    date_of_birth=date(1970, 1, 1),
                    achievement_claim=YES,
                    achievement_description="National science award, 2019",
                )
            ),
            Verdict.ELIGIBLE,
            id="abpt-carries-a-weak-gpt",
        ),
        pytest.param(
            case(
                applicant=applicant(
                    graduate_work_years=0,
                    senior_work_years=0,
                    master_count=0,
                    bachelor_count=1,
                    date_of_birth=date(1970, 1, 1),
                    achievement_claim=UNKNOWN,
                )
            ),
            Verdict.INCOMPLETE,
            id="weak-gpt-abpt-unknown",
        ),
        pytest.param(
            case(
                applicant=applicant(
                    graduate_work_years=0,
                    senior_work_years=0,
                    master_count=0,
                    bachelor_count=1,
                    date_of_birth=date(1970, 1, 1),
                    achievement_claim=NO,
                )
            ),
            Verdict.NOT_ELIGIBLE,
            id="weak-gpt-no-achievement",
        ),
        pytest.param(
            case(dependants=(spouse(),), deposits=(deposit("300000"),)),
            Verdict.NOT_ELIGIBLE,
            id="family-needs-450k",
        ),
        pytest.param(
            case(dependants=(child(born=None),), deposits=(deposit("300000"),)),
            Verdict.INCOMPLETE,
            id="undecided-child-decides-threshold",
        ),
        pytest.param(
            case(applicant=applicant(highest_qualification=Qualification.SUB_DEGREE)),
            Verdict.NOT_ELIGIBLE,
            id="no-degree",
        ),
    ],
)
def test_verdict_end_to_end(facts: Any, verdict: Verdict) -> None:
    result = evaluate(facts)
    assert result.verdict is verdict, result.summary
    assert result.summary.startswith(verdict.label)
    if verdict is Verdict.INCOMPLETE:
        assert result.next_actions


def test_summary_names_the_failing_rule() -> None:
    result = evaluate(case(applicant=applicant(nationality="AFG")))
    assert "P6 Nationality" in result.summary


def test_next_actions_follow_rule_order_and_do_not_repeat() -> None:
    result = evaluate(
        case(
            applicant=applicant(date_of_birth=None, nationality=None, passport_expiry=None),
            deposits=(),
        )
    )
    actions = result.next_actions
    assert len(actions) == len(set(actions))
    dob = "Record the applicant's date of birth."
    assert actions.count(dob) == 1  # asked by P1 and by the GPT age factor
    assert actions.index(dob) < actions.index(
        "Record the applicant's nationality (ISO 3166-1 alpha-3 code)."
    )
    assert actions[-1] == "Record the applicant's passport expiry date."


def test_questions_for_the_other_points_test_are_dropped_once_one_passes() -> None:
    result = evaluate(case(applicant=applicant(achievement_claim=UNKNOWN)))
    assert result.general_points.passed is True
    assert result.achievement_points.actions  # the test itself still says what it lacks
    assert not set(result.achievement_points.actions) & set(result.next_actions)


def test_warnings_are_gathered_from_the_rules() -> None:
    result = evaluate(
        case(
            applicant=applicant(passport_expiry=date(2026, 5, 1)),
            dependants=(
                child("kid", born=date(2008, 4, 1)),
                DependantFacts(id="p", name="Pat", relationship=Relationship.PARENT),
            ),
            deposits=(deposit("500000"),),
            planned_submission_date=date(2026, 4, 15),
        )
    )
    text = " ".join(result.warnings)
    assert "passport expires on 2026-05-01" in text
    assert "turns 18 on 2026-04-01" in text
    assert "Pat (parent) cannot accompany" in text


def test_a_planned_date_before_the_check_date_is_flagged() -> None:
    result = evaluate(case(planned_submission_date=date(2026, 1, 1)))
    assert any("before the check date" in w for w in result.warnings)


def test_the_result_records_the_rule_set_and_dates() -> None:
    result = evaluate(case(planned_submission_date=date(2026, 6, 1)))
    assert result.rule_set_version == "qmas-2006-165"
    assert result.rule_set_overrides == {}
    assert (result.check_date, result.planned_submission_date) == (CHECK, date(2026, 6, 1))


def test_same_facts_same_result() -> None:
    facts = case(dependants=(spouse(), child()), deposits=(deposit("500000"),))
    assert evaluate(facts) == evaluate(facts)


# --- stored form ----------------------------------------------------------------------------

answers = st.sampled_from(list(Answer))
maybe_dates = st.none() | st.dates(min_value=date(1940, 1, 1), max_value=date(2030, 12, 31))
small = st.none() | st.integers(min_value=0, max_value=12)


@st.composite
def any_case(draw: st.DrawFn) -> Any:
    """Any mix of known and unknown facts, for properties that must hold for every case."""
    person = applicant(
        date_of_birth=draw(maybe_dates),
        nationality=draw(st.none() | st.sampled_from(["GBR", "AFG", "VNM", "usa", "CHN"])),
        passport_expiry=draw(maybe_dates),
        highest_qualification=draw(st.none() | st.sampled_from(list(Qualification))),
        doctorate_count=draw(small),
        master_count=draw(small),
        graduate_work_years=draw(small),
        senior_work_years=draw(small),
        achievement_description=draw(st.sampled_from(["", "Nobel Prize"])),
        **{
            name: draw(answers)
            for name in (
                "criminal_record",
                "adverse_immigration_record",
                "english_written",
                "english_spoken",
                "chinese_written",
                "putonghua_spoken",
                "cantonese_spoken",
                "other_foreign_language",
                "qualification_recognised",
                "hk_permanent_resident_family",
                "achievement_claim",
            )
        },
    )
    dependants = draw(
        st.lists(
            st.builds(
                DependantFacts,
                id=st.integers(0, 99) | st.text(min_size=1, max_size=3),
                name=st.text(max_size=8),
                relationship=st.sampled_from(list(Relationship)),
                date_of_birth=maybe_dates,
                marital_status=st.none() | st.sampled_from(list(MaritalStatus)),
                spouse_has_degree=answers,
            ),
            max_size=3,
        )
    )
    deposits = draw(
        st.lists(
            st.builds(
                DepositFacts,
                id=st.integers(0, 99),
                amount=st.decimals(min_value=0, max_value=10**7, places=2),
                currency=st.sampled_from(["HKD", "USD", "GBP"]),
                rate_to_hkd=st.decimals(min_value=Decimal("0.01"), max_value=20, places=4),
                statement_date=st.dates(min_value=date(2025, 6, 1), max_value=date(2026, 6, 1)),
                status=st.sampled_from(list(EvidenceStatus)),
                bank=st.text(max_size=6),
            ),
            max_size=4,
        )
    )
    return case(
        applicant=person,
        dependants=tuple(dependants),
        deposits=tuple(deposits),
        planned_submission_date=draw(maybe_dates),
    )


@given(facts=any_case())
@settings(max_examples=80)
def test_result_survives_json_round_trip(facts: Any) -> None:
    result = evaluate(facts)
    stored = json.dumps(result.to_dict())
    assert CheckResult.from_dict(json.loads(stored)) == result


@given(facts=any_case())
@settings(max_examples=80)
def test_every_result_is_consistent(facts: Any) -> None:
    result = evaluate(facts)
    codes = [rule.code for rule in result.prerequisites]
    assert codes == ["P1", "P2", "P3", "P4", "P5", "P6", "P7"]
    assert result.prerequisite("P7").outcome is not FAIL
    for rule in result.prerequisites:
        assert rule.reason
        if rule.outcome is MISSING:
            assert rule.actions, rule  # missing always says what to collect
    gpt = result.general_points
    assert gpt.total <= gpt.best_possible <= gpt.maximum
    assert gpt.total == sum(f.points for f in gpt.factors)
    assert len(result.next_actions) == len(set(result.next_actions))
    if result.verdict is Verdict.INCOMPLETE:
        assert result.next_actions


def test_stored_result_keeps_money_as_strings() -> None:
    data = evaluate(case(deposits=(deposit("32051.29", currency="USD", rate="7.8"),))).to_dict()
    p2 = data["prerequisites"][1]["data"]
    assert p2["total_hkd"] == "250000.06"
    assert p2["threshold_hkd"] == "250000"
    assert data["check_date"] == "2026-03-02"


def test_unknown_stored_format_is_refused() -> None:
    data = evaluate(case()).to_dict()
    data["format"] = 99
    with pytest.raises(ValueError, match="format"):
        CheckResult.from_dict(data)


def test_overrides_travel_with_the_stored_result() -> None:
    rules = default_rule_set().with_overrides(deposit_family_hkd="500000")
    result = evaluate(case(dependants=(spouse(),), deposits=(deposit("480000"),)), rules)
    restored = CheckResult.from_dict(json.loads(json.dumps(result.to_dict())))
    assert restored.rule_set_overrides == {"deposit_family_hkd": "500000"}
    assert restored.prerequisite("P2").outcome is FAIL


def test_a_planned_submission_at_the_end_of_the_calendar_does_not_break_the_check() -> None:
    result = evaluate(case(planned_submission_date=date(9999, 12, 31)))
    assert result.planned_submission_date == date(9999, 12, 31)
    assert result.verdict.value in {"eligible", "not_eligible", "incomplete"}
