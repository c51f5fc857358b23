"""The verdict headline: every prerequisite that is not a pass, each with its short reason."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from hypothesis import given, settings

from caseapp.rules import CheckResult, Outcome, Verdict, evaluate
from caseapp.rules.evaluate import decide_verdict

from .builders import UNKNOWN, applicant, case, child, deposit, spouse
from .test_evaluate import any_case

# CHECK is 2026-03-02: a child born 2008-03-01 turned 18 the day before.
TOM = child(id=7, name="Tom Lee", born=date(2008, 3, 1))


def lines(result: CheckResult) -> list[str]:
    return [item.line for item in result.headline]


def test_an_eligible_case_with_nothing_to_report_has_an_empty_headline() -> None:
    result = evaluate(case())
    assert result.verdict is Verdict.ELIGIBLE
    assert result.headline == ()


def test_a_flagged_dependant_is_named_even_when_the_case_is_eligible() -> None:
    result = evaluate(case(dependants=(TOM,)))
    assert result.verdict is Verdict.ELIGIBLE  # P7 never changes the verdict
    assert result.prerequisite("P7").outcome is Outcome.PASS
    assert lines(result) == ["P7 Dependants: Tom Lee (child, 18 on 2026-03-01) cannot accompany"]
    assert result.headline[0].status == "flagged"


def test_every_prerequisite_that_is_not_a_pass_is_named_in_rule_order() -> None:
    facts = case(
        applicant=applicant(nationality="NPL", criminal_record=UNKNOWN),
        dependants=(TOM, spouse(id=1, name="Ann"), spouse(id=2, name="Bea")),
        deposits=(deposit("300000"),),
    )
    result = evaluate(facts)
    assert result.verdict is Verdict.NOT_ELIGIBLE
    assert lines(result) == [
        "P2 Financial capability: short by HKD 150,000.00 for a family application",
        "P3 Good character: not yet declared: criminal record",
        "P6 Nationality: not open to nationals of Nepal (NPL)",
        "P7 Dependants: Tom Lee (child, 18 on 2026-03-01) cannot accompany",
        "P7 Dependants: Bea (spouse) cannot accompany: only one spouse may accompany the "
        "applicant; Ann is already listed as the accompanying spouse",
    ]
    assert [item.status for item in result.headline] == [
        "fail",
        "missing",
        "fail",
        "flagged",
        "flagged",
    ]


def test_an_undecided_dependant_is_named_as_missing_information() -> None:
    kim = child(id=3, name="Kim", born=None)
    result = evaluate(case(dependants=(kim,), deposits=(deposit("450000"),)))
    assert result.verdict is Verdict.ELIGIBLE
    assert lines(result) == [
        "P7 Dependants: Kim (child) cannot be decided yet: date of birth not recorded"
    ]
    assert result.headline[0].status == "missing"
    result = evaluate(case(dependants=(kim,), deposits=(deposit("300000"),)))
    assert result.verdict is Verdict.INCOMPLETE
    assert lines(result) == [
        "P2 Financial capability: short by HKD 150,000.00 if this is a family application, "
        "which depends on Kim",
        "P7 Dependants: Kim (child) cannot be decided yet: date of birth not recorded",
    ]


def test_missing_information_is_named_with_what_is_missing() -> None:
    facts = case(applicant=applicant(date_of_birth=None, nationality=None), deposits=())
    result = evaluate(facts)
    assert result.verdict is Verdict.INCOMPLETE
    assert lines(result) == [
        "P1 Age: date of birth not recorded",
        "P2 Financial capability: no deposit evidence recorded",
        "P6 Nationality: nationality not recorded",
    ]


@given(facts=any_case())
@settings(max_examples=100)
def test_the_headline_names_every_non_pass_prerequisite_and_every_flagged_dependant(
    facts: Any,
) -> None:
    result = evaluate(facts)
    expected = [
        r.code for r in result.prerequisites if r.code != "P7" and r.outcome is not Outcome.PASS
    ]
    p7_data = result.prerequisite("P7").data
    expected += ["P7"] * (len(p7_data["excluded"]) + len(p7_data["undecided"]))
    assert [item.code for item in result.headline] == expected
    for item in result.headline:
        assert item.text and item.status in ("fail", "missing", "flagged")
    if result.prerequisite("P7").outcome is Outcome.MISSING:
        assert any(item.status == "missing" for item in result.headline if item.code == "P7")
    # The headline only describes: the verdict is still decided from the outcomes alone.
    assert result.verdict is decide_verdict(
        result.prerequisites, result.general_points, result.achievement_points
    )


def test_a_result_stored_before_the_headline_existed_still_loads() -> None:
    result = evaluate(case(applicant=applicant(nationality="NPL"), dependants=(TOM,)))
    stored = json.loads(json.dumps(result.to_dict()))
    del stored["headline"]
    for rule in stored["prerequisites"]:
        del rule["short"]
    old = CheckResult.from_dict(stored)
    assert old.headline == ()  # shown as it was: the summary alone
    assert old.summary == result.summary
    assert old.prerequisite("P6").short == ""
    assert old.prerequisite("P6").short_reason == old.prerequisite("P6").reason
