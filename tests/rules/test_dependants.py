"""P7 Dependants: who may accompany, flags for who may not, and never a failed case."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from caseapp.rules import DependantFacts, Verdict, evaluate
from caseapp.rules.outcome import Outcome, RuleOutcome
from caseapp.rules.vocab import Answer, MaritalStatus, Relationship

from .builders import CHECK, case, child, deposit, spouse

PASS, MISSING = Outcome.PASS, Outcome.MISSING
SINGLE, MARRIED, DIVORCED = MaritalStatus.SINGLE, MaritalStatus.MARRIED, MaritalStatus.DIVORCED


def p7(*dependants: DependantFacts, **changes: Any) -> RuleOutcome:
    return evaluate(case(dependants=dependants, **changes)).prerequisite("P7")


def ids(outcome: RuleOutcome, group: str) -> list[Any]:
    return [item["id"] for item in outcome.data[group]]


@pytest.mark.parametrize(
    ("dependant", "group", "outcome"),
    [
        pytest.param(spouse(), "eligible", PASS, id="married-spouse"),
        pytest.param(spouse(marital_status=None), "eligible", PASS, id="spouse-status-blank"),
        pytest.param(spouse(marital_status=SINGLE), "undecided", MISSING, id="single-spouse"),
        pytest.param(child(born=date(2015, 6, 1)), "eligible", PASS, id="child-10"),
        pytest.param(child(marital_status=DIVORCED), "eligible", PASS, id="divorced-child-17"),
        pytest.param(child(born=date(2008, 3, 3)), "eligible", PASS, id="child-day-before-18"),
        pytest.param(child(born=date(2008, 3, 2)), "excluded", PASS, id="child-turns-18-today"),
        pytest.param(child(marital_status=MARRIED), "excluded", PASS, id="married-child"),
        pytest.param(
            child(born=None, marital_status=MARRIED), "excluded", PASS, id="married-no-dob"
        ),
        pytest.param(child(born=None), "undecided", MISSING, id="child-no-dob"),
        pytest.param(child(marital_status=None), "undecided", MISSING, id="child-no-status"),
        pytest.param(child(born=date(2027, 1, 1)), "undecided", MISSING, id="child-born-later"),
        pytest.param(
            DependantFacts(id="p", name="Pa", relationship=Relationship.PARENT),
            "excluded",
            PASS,
            id="parent",
        ),
        pytest.param(
            DependantFacts(id="o", name="Aunt", relationship=Relationship.OTHER),
            "excluded",
            PASS,
            id="other",
        ),
    ],
)
def test_p7_dependant(dependant: DependantFacts, group: str, outcome: Outcome) -> None:
    result = p7(dependant)
    assert result.outcome is outcome
    assert ids(result, group) == [dependant.id]
    if group == "excluded":
        assert any(dependant.display_name in w for w in result.warnings)
    if group == "undecided":
        assert result.actions


def test_eligible_child_carries_the_date_they_turn_18() -> None:
    result = p7(child(born=date(2012, 2, 29)))
    assert result.data["eligible"][0]["turns_adult_on"] == "2030-03-01"


@pytest.mark.parametrize(
    ("planned", "excluded"),
    [
        pytest.param(date(2026, 5, 31), False, id="submission-day-before-18th"),
        pytest.param(date(2026, 6, 1), True, id="submission-on-18th"),
        pytest.param(date(2026, 9, 1), True, id="submission-after-18th"),
        pytest.param(None, False, id="no-planned-date"),
    ],
)
def test_child_turning_18_by_submission_is_no_longer_eligible(
    planned: date | None, excluded: bool
) -> None:
    result = p7(child(id="kid", born=date(2008, 6, 1)), planned_submission_date=planned)
    assert ids(result, "excluded" if excluded else "eligible") == ["kid"]
    flagged = [w for w in result.warnings if "turns 18 on 2026-06-01" in w]
    assert bool(flagged) is excluded
    assert any("Submit before 2026-06-01" in a for a in result.actions) is excluded
    assert result.outcome is PASS  # P7 never fails the case


def test_a_child_leaving_by_submission_no_longer_makes_a_family_application() -> None:
    kid = child(id="kid", born=date(2008, 6, 1))
    before = evaluate(case(dependants=(kid,)))
    after = evaluate(case(dependants=(kid,), planned_submission_date=date(2026, 6, 1)))
    assert before.family_application is True
    assert after.family_application is False


def test_two_spouses_need_correcting() -> None:
    result = p7(spouse(id=1, name="A"), spouse(id=2, name="B"))
    assert result.outcome is MISSING
    assert any("Only one spouse" in action for action in result.actions)


@pytest.mark.parametrize(
    ("dependants", "family"),
    [
        pytest.param((), False, id="none"),
        pytest.param((spouse(),), True, id="spouse"),
        pytest.param((child(born=date(2000, 1, 1)),), False, id="adult-child-only"),
        pytest.param((child(born=None),), None, id="undecided-only"),
        pytest.param((child(born=None), spouse()), True, id="undecided-and-spouse"),
    ],
)
def test_family_application_flag(dependants: tuple[Any, ...], family: bool | None) -> None:
    result = evaluate(case(dependants=dependants))
    assert result.family_application is family
    assert result.prerequisite("P7").data["family_application"] is family


relationships = st.sampled_from(list(Relationship))
statuses = st.none() | st.sampled_from(list(MaritalStatus))
births = st.none() | st.dates(min_value=date(1940, 1, 1), max_value=date(2030, 1, 1))
dependant_lists = st.lists(
    st.builds(
        DependantFacts,
        id=st.integers(0, 10**6),
        name=st.text(max_size=5),
        relationship=relationships,
        date_of_birth=births,
        marital_status=statuses,
        spouse_has_degree=st.sampled_from(list(Answer)),
    ),
    max_size=4,
)


@given(dependants=dependant_lists)
@settings(max_examples=60)
def test_p7_never_fails_and_never_stops_an_eligible_case(dependants: list[DependantFacts]) -> None:
    rich = (deposit("500000", statement_date=CHECK),)  # enough even for a family
    result = evaluate(case(dependants=tuple(dependants), deposits=rich))
    p7_result = result.prerequisite("P7")
    assert p7_result.outcome in (PASS, MISSING)
    grouped = ids(p7_result, "eligible") + ids(p7_result, "excluded") + ids(p7_result, "undecided")
    assert sorted(grouped) == sorted(d.id for d in dependants)
    assert result.verdict is Verdict.ELIGIBLE  # P7 alone never changes the verdict
