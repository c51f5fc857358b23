"""P7 Dependants: who may accompany, flags for who may not, and never a failed case."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from caseapp.rules import DependantFacts, Verdict, evaluate
from caseapp.rules.outcome import Outcome, RuleOutcome
from caseapp.rules.vocab import Answer, MaritalStatus, Relationship

from .builders import CHECK, NO, YES, case, child, deposit, spouse

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


def test_only_the_first_spouse_recorded_accompanies() -> None:
    result = evaluate(case(dependants=(spouse(id=1, name="A"), spouse(id=2, name="B"))))
    p7_result = result.prerequisite("P7")
    assert p7_result.outcome is PASS  # P7 never fails; the second spouse is flagged instead
    assert ids(p7_result, "eligible") == [1]
    assert ids(p7_result, "excluded") == [2]
    assert (
        "B cannot accompany: only one spouse may accompany the applicant; A is already listed "
        "as the accompanying spouse." in p7_result.warnings[0]
    )
    assert result.family_application is True


def test_list_order_not_the_id_decides_which_spouse_accompanies() -> None:
    # The app hands dependants over in id order; the rules keep whatever order they are given.
    p7_result = p7(spouse(id=9, name="First"), spouse(id=3, name="Second"))
    assert ids(p7_result, "eligible") == [9]
    assert ids(p7_result, "excluded") == [3]


def test_a_spouse_recorded_as_single_stays_undecided_and_takes_no_place() -> None:
    p7_result = p7(spouse(id=1, name="A", marital_status=SINGLE), spouse(id=2, name="B"))
    assert p7_result.outcome is MISSING
    assert ids(p7_result, "undecided") == [1]
    assert ids(p7_result, "eligible") == [2]
    assert ids(p7_result, "excluded") == []


def test_a_second_spouse_counts_for_neither_the_deposit_nor_the_points() -> None:
    first = spouse(id=1, name="A", spouse_has_degree=NO)
    second = spouse(id=2, name="B", spouse_has_degree=YES)
    result = evaluate(case(dependants=(first, second), deposits=(deposit("450000"),)))
    assert result.general_points.factor("family").points == 0
    assert result.general_points.factor("family").best_case == 0
    assert result.prerequisite("P2").outcome is PASS  # the family threshold, once
    alone = evaluate(case(dependants=(first,), deposits=(deposit("450000"),)))
    assert alone.general_points == result.general_points
    assert alone.prerequisite("P2") == result.prerequisite("P2")


def test_an_undecided_spouse_before_the_accompanying_one_keeps_the_points_open() -> None:
    # Corrected to married, A would be the accompanying spouse (recorded first) and B, who
    # holds a degree, would be flagged: the 5 points are possible, not certain.
    unsure = spouse(id=1, name="A", marital_status=SINGLE, spouse_has_degree=NO)
    sure = spouse(id=2, name="B", spouse_has_degree=YES)
    family = evaluate(case(dependants=(unsure, sure))).general_points.factor("family")
    assert (family.points, family.best_case) == (0, 5)
    family = evaluate(case(dependants=(sure, unsure))).general_points.factor("family")
    assert (family.points, family.best_case) == (5, 5)  # a later spouse could never replace B


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


spouse_statuses = st.none() | st.sampled_from(list(MaritalStatus))
family_lists = st.lists(
    st.one_of(
        st.builds(
            spouse,
            id=st.integers(0, 10**6),
            name=st.sampled_from(["A", "B", "C", ""]),
            marital_status=spouse_statuses,
            spouse_has_degree=st.sampled_from(list(Answer)),
        ),
        st.builds(child, id=st.integers(0, 10**6), born=births, marital_status=statuses),
    ),
    max_size=5,
)


@given(dependants=dependant_lists | family_lists)
@settings(max_examples=150)
def test_at_most_one_spouse_is_ever_able_to_accompany(dependants: list[DependantFacts]) -> None:
    result = evaluate(case(dependants=tuple(dependants)))
    p7_result = result.prerequisite("P7")
    able = [item for item in p7_result.data["eligible"] if item["relationship"] == "spouse"]
    assert len(able) <= 1
    would_be_able = [
        d
        for d in dependants
        if d.relationship is Relationship.SPOUSE
        and d.marital_status in (None, MaritalStatus.MARRIED)
    ]
    if would_be_able:  # the first of them, in the order given, is the one kept
        assert [item["id"] for item in able] == [would_be_able[0].id]
        flagged = [i for i in p7_result.data["excluded"] if i["relationship"] == "spouse"]
        assert len(flagged) == len(would_be_able) - 1
    else:
        assert able == []


@given(dependants=dependant_lists | family_lists)
@settings(max_examples=150)
def test_the_deposit_threshold_and_the_points_read_the_same_accompanying_list(
    dependants: list[DependantFacts],
) -> None:
    """P2's family flag, P7's list and the GPT family points agree on who accompanies."""
    dependants = [replace(d, id=i) for i, d in enumerate(dependants)]  # ids to look them up
    result = evaluate(case(dependants=tuple(dependants), deposits=(deposit("300000"),)))
    p7_data = result.prerequisite("P7").data
    accompanying = [dependants[item["id"]] for item in p7_data["eligible"]]
    assert result.prerequisite("P2").data["family_application"] is result.family_application
    assert p7_data["family_application"] is result.family_application
    if accompanying:
        assert result.family_application is True
    children = [d for d in accompanying if d.relationship is Relationship.CHILD]
    spouses = [d for d in accompanying if d.relationship is Relationship.SPOUSE]
    spouse_points = result.general_points.factor("family").points - min(5 * len(children), 10)
    assert spouse_points in (0, 5)  # the builders' applicant has no HK resident family member
    if spouse_points:  # a degree counts only for the spouse who accompanies
        assert spouses[0].spouse_has_degree is Answer.YES


@st.composite
def spouse_corrections(draw: st.DrawFn) -> tuple[tuple[DependantFacts, ...], ...]:
    """Spouses, some recorded with a contradictory marital status, and then the same list
    with each of those corrected one way or the other (married, or not a spouse at all)."""
    people = draw(
        st.lists(
            st.builds(
                spouse,
                id=st.integers(0, 10**6),
                marital_status=spouse_statuses,
                spouse_has_degree=st.sampled_from([Answer.YES, Answer.NO]),
            ),
            max_size=4,
        )
    )
    corrected = tuple(
        d
        if d.marital_status in (None, MaritalStatus.MARRIED)
        else DependantFacts(
            id=d.id,
            name=d.name,
            relationship=draw(st.sampled_from([Relationship.SPOUSE, Relationship.OTHER])),
            date_of_birth=d.date_of_birth,
            marital_status=MaritalStatus.MARRIED,
            spouse_has_degree=d.spouse_has_degree,
        )
        for d in people
    )
    return tuple(people), corrected


@given(pair=spouse_corrections())
@settings(max_examples=150)
def test_correcting_a_spouse_record_keeps_the_family_points_within_the_range_shown(
    pair: tuple[tuple[DependantFacts, ...], tuple[DependantFacts, ...]],
) -> None:
    before, after = pair
    shown = evaluate(case(dependants=before)).general_points.factor("family")
    final = evaluate(case(dependants=after)).general_points.factor("family")
    assert shown.points <= final.points <= shown.best_case
