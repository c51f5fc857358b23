"""The General Points Test (165 table, pass mark 80) and the Achievement-based Points Test."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from caseapp.rules import ApplicantFacts, CaseFacts, DependantFacts, evaluate, load_rule_set
from caseapp.rules.ages import age_on
from caseapp.rules.outcome import GeneralPointsResult, Outcome
from caseapp.rules.ruleset import default_rule_set
from caseapp.rules.vocab import Answer, MaritalStatus, Qualification, Relationship

from .builders import CHECK, NO, UNKNOWN, YES, applicant, case, child, spouse


def gpt(facts: CaseFacts, rules: Any = None) -> GeneralPointsResult:
    return evaluate(facts, rules).general_points


def factor_points(code: str, **changes: Any) -> int:
    return gpt(case(applicant=applicant(**changes))).factor(code).points


def born_aged(age: int) -> date:
    return date(CHECK.year - age, CHECK.month, CHECK.day)


# --- factor tables --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("age", "points"),
    [(17, 0), (18, 30), (39, 30), (40, 20), (44, 20), (45, 15), (50, 15), (51, 0), (80, 0)],
    ids=lambda v: str(v),
)
def test_age_bands(age: int, points: int) -> None:
    assert factor_points("age", date_of_birth=born_aged(age)) == points


@pytest.mark.parametrize(
    ("doctorates", "masters", "bachelors", "professional", "points"),
    [
        pytest.param(2, 0, 0, False, 45, id="two-doctorates"),
        pytest.param(1, 0, 0, False, 40, id="one-doctorate"),
        pytest.param(0, 2, 0, False, 40, id="two-masters"),
        pytest.param(1, 1, 1, False, 40, id="doctorate-master-bachelor"),
        pytest.param(0, 1, 0, False, 35, id="one-master"),
        pytest.param(0, 0, 2, False, 35, id="two-bachelors"),
        pytest.param(0, 1, 3, False, 35, id="master-and-bachelors"),
        pytest.param(0, 0, 1, False, 30, id="one-bachelor"),
        pytest.param(0, 0, 0, True, 30, id="professional-qualification"),
        pytest.param(0, 0, 1, True, 30, id="bachelor-and-professional"),
        pytest.param(0, 0, 0, False, 0, id="nothing"),
    ],
)
def test_education_points(
    doctorates: int, masters: int, bachelors: int, professional: bool, points: int
) -> None:
    assert (
        factor_points(
            "education",
            doctorate_count=doctorates,
            master_count=masters,
            bachelor_count=bachelors,
            professional_qualification=professional,
        )
        == points
    )


@pytest.mark.parametrize(
    ("years", "senior", "points"),
    [
        pytest.param(0, 0, 0, id="none"),
        pytest.param(1, 0, 0, id="1-year"),
        pytest.param(2, 0, 10, id="2-years"),
        pytest.param(4, 4, 10, id="4-years-all-senior"),
        pytest.param(5, 0, 30, id="5-years"),
        pytest.param(5, 1, 30, id="5-years-1-senior"),
        pytest.param(5, 2, 40, id="5-years-2-senior"),
        pytest.param(9, 9, 40, id="9-years-all-senior"),
        pytest.param(10, 4, 40, id="10-years-4-senior"),
        pytest.param(10, 5, 50, id="10-years-5-senior"),
        pytest.param(25, 20, 50, id="long-career"),
    ],
)
def test_work_experience_points(years: int, senior: int, points: int) -> None:
    assert (
        factor_points("work_experience", graduate_work_years=years, senior_work_years=senior)
        == points
    )


@pytest.mark.parametrize(
    ("changes", "points"),
    [
        pytest.param(
            {"chinese_written": YES, "putonghua_spoken": YES}, 20, id="chinese-and-english"
        ),
        pytest.param({"other_foreign_language": YES}, 15, id="english-plus-foreign"),
        pytest.param({}, 10, id="english-only"),
        pytest.param(
            {"english_spoken": NO, "chinese_written": YES, "cantonese_spoken": YES},
            10,
            id="chinese-only-cantonese",
        ),
        pytest.param({"english_spoken": NO}, 0, id="neither"),
        pytest.param({"english_spoken": NO, "other_foreign_language": YES}, 0, id="only-foreign"),
    ],
)
def test_language_points(changes: dict[str, Answer], points: int) -> None:
    assert factor_points("language", **changes) == points


@pytest.mark.parametrize(
    ("dependants", "hk_family", "points"),
    [
        pytest.param((), NO, 0, id="none"),
        pytest.param((child("a"),), NO, 5, id="one-child"),
        pytest.param((child("a"), child("b")), NO, 10, id="two-children"),
        pytest.param((child("a"), child("b"), child("c")), NO, 10, id="three-children-capped"),
        pytest.param((child("a", born=date(2001, 1, 1)),), NO, 0, id="adult-child"),
        pytest.param(
            (child("a", marital_status=MaritalStatus.MARRIED),), NO, 0, id="married-child"
        ),
        pytest.param((spouse(spouse_has_degree=YES),), NO, 5, id="spouse-with-degree"),
        pytest.param((spouse(spouse_has_degree=NO),), NO, 0, id="spouse-without-degree"),
        pytest.param((), YES, 5, id="hk-permanent-resident-family"),
        pytest.param(
            (spouse(spouse_has_degree=YES), child("a"), child("b")), YES, 20, id="everything"
        ),
        pytest.param(
            (DependantFacts(id="p", relationship=Relationship.PARENT),), NO, 0, id="parent"
        ),
    ],
)
def test_family_points(dependants: tuple[Any, ...], hk_family: Answer, points: int) -> None:
    facts = case(applicant=applicant(hk_permanent_resident_family=hk_family), dependants=dependants)
    factor = gpt(facts).factor("family")
    assert (factor.points, factor.best_case) == (points, points)


def test_undecided_child_may_still_add_points() -> None:
    factor = gpt(case(dependants=(child("a", born=None),))).factor("family")
    assert (factor.points, factor.best_case) == (0, 5)
    assert not factor.complete
    assert "Up to 5 once the missing inputs are known." in factor.explanation
    assert any("date of birth" in action for action in factor.actions)


# --- the pass mark --------------------------------------------------------------------------


def _odd_rule_set() -> Any:
    """The 165 table with a 4-point HK family factor, so that totals of 79 and 80 both exist."""
    data = default_rule_set().to_dict()
    data["general_points"]["family"]["hk_permanent_resident"] = 4
    data["general_points"]["maximum"] = 164
    return load_rule_set(data)


@pytest.mark.parametrize(
    ("changes", "total", "passed"),
    [
        pytest.param(
            {
                "graduate_work_years": 2,
                "senior_work_years": 0,
                "english_spoken": NO,
                "hk_permanent_resident_family": YES,
            },
            79,
            False,
            id="79-fails",
        ),
        pytest.param(
            {"graduate_work_years": 2, "senior_work_years": 0, "master_count": 0},
            80,
            True,
            id="80-passes",
        ),
    ],
)
def test_pass_mark_boundary(changes: dict[str, Any], total: int, passed: bool) -> None:
    result = gpt(case(applicant=applicant(**changes)), _odd_rule_set())
    assert (result.total, result.complete, result.passed) == (total, True, passed)


def test_known_points_reaching_the_mark_pass_despite_unknowns() -> None:
    unsure = applicant(
        chinese_written=UNKNOWN, putonghua_spoken=UNKNOWN, hk_permanent_resident_family=UNKNOWN
    )
    result = gpt(case(applicant=unsure))
    assert result.passed is True
    assert result.complete is False
    assert result.total == 115
    assert set(result.missing) >= {"chinese_written", "hk_permanent_resident_family"}
    assert result.actions == ()  # nothing to collect for a test that has passed


def test_points_that_cannot_reach_the_mark_fail_before_every_input_is_known() -> None:
    weak = applicant(
        date_of_birth=born_aged(55),
        master_count=0,
        graduate_work_years=3,
        senior_work_years=0,
        other_foreign_language=UNKNOWN,
        chinese_written=UNKNOWN,
        hk_permanent_resident_family=UNKNOWN,
    )
    result = gpt(case(applicant=weak))
    # age 55: 0, one bachelor's: 30, 3 years: 10, English (+ maybe another language): 10-15,
    # HK family member maybe: 0-5. Spoken Chinese is "no", so Chinese cannot add points.
    assert (result.total, result.best_possible) == (50, 60)
    assert result.passed is False
    assert result.complete is False


def test_undecided_points_list_what_to_collect() -> None:
    result = gpt(case(applicant=applicant(date_of_birth=None, graduate_work_years=None)))
    assert result.passed is None
    assert "date_of_birth" in result.missing
    assert "Record the applicant's date of birth." in result.actions


def test_education_bounds_use_the_highest_qualification() -> None:
    partial = applicant(
        highest_qualification=Qualification.MASTER,
        doctorate_count=None,
        master_count=None,
        bachelor_count=None,
    )
    factor = gpt(case(applicant=partial)).factor("education")
    assert (factor.points, factor.best_case) == (35, 40)  # at least one master's; no doctorate


def test_age_band_drop_before_submission_is_warned() -> None:
    facts = case(
        applicant=applicant(date_of_birth=date(1986, 4, 10)),
        planned_submission_date=date(2026, 5, 1),
    )
    warnings = gpt(facts).warnings
    assert len(warnings) == 1
    assert "turns 40 on 2026-04-10" in warnings[0]
    assert "from 30 to 20" in warnings[0]


# --- the Achievement-based Points Test ------------------------------------------------------


@pytest.mark.parametrize(
    ("claim", "description", "outcome", "points"),
    [
        pytest.param(YES, "Olympic gold medal, 2024", Outcome.PASS, 245, id="claimed-and-recorded"),
        pytest.param(YES, "", Outcome.MISSING, 0, id="claimed-not-recorded"),
        pytest.param(YES, "   ", Outcome.MISSING, 0, id="claimed-blank-description"),
        pytest.param(NO, "", Outcome.FAIL, 0, id="no-claim"),
        pytest.param(NO, "stale text", Outcome.FAIL, 0, id="no-claim-ignores-description"),
        pytest.param(UNKNOWN, "", Outcome.MISSING, 0, id="not-asked"),
    ],
)
def test_achievement_points(claim: Answer, description: str, outcome: Outcome, points: int) -> None:
    facts = case(applicant=applicant(achievement_claim=claim, achievement_description=description))
    result = evaluate(facts).achievement_points
    assert (result.outcome, result.points, result.pass_mark) == (outcome, points, 245)
    assert (
        result.passed is {Outcome.PASS: True, Outcome.FAIL: False, Outcome.MISSING: None}[outcome]
    )
    assert bool(result.actions) == (outcome is Outcome.MISSING)


# --- properties: an independent oracle, and bounds that hold for every completion -----------


def oracle(a: ApplicantFacts, dependants: tuple[DependantFacts, ...], on: date) -> int:
    """The 165-point table from qmas.md, written out plainly, for complete inputs."""
    assert a.date_of_birth is not None
    age = age_on(a.date_of_birth, on)
    points = 30 if 18 <= age <= 39 else 20 if 40 <= age <= 44 else 15 if 45 <= age <= 50 else 0
    d, m, b = a.doctorate_count, a.master_count, a.bachelor_count
    if d >= 2:
        points += 45
    elif d == 1 or m >= 2:
        points += 40
    elif m == 1 or b >= 2:
        points += 35
    elif b == 1 or a.professional_qualification:
        points += 30
    years, senior = a.graduate_work_years, a.senior_work_years
    if years >= 10 and senior >= 5:
        points += 50
    elif years >= 5 and senior >= 2:
        points += 40
    elif years >= 5:
        points += 30
    elif years >= 2:
        points += 10
    yes = Answer.YES
    english = a.english_written is yes and a.english_spoken is yes
    chinese = a.chinese_written is yes and yes in (a.putonghua_spoken, a.cantonese_spoken)
    if english and chinese:
        points += 20
    elif english or chinese:
        points += 15 if a.other_foreign_language is yes else 10
    kids = [
        c
        for c in dependants
        if c.relationship is Relationship.CHILD
        and c.marital_status is not MaritalStatus.MARRIED
        and age_on(c.date_of_birth, on) < 18
    ]
    points += min(5 * len(kids), 10)
    if any(
        s.relationship is Relationship.SPOUSE and s.spouse_has_degree is yes for s in dependants
    ):
        points += 5
    if a.hk_permanent_resident_family is yes:
        points += 5
    return points


known_answers = st.sampled_from([Answer.YES, Answer.NO])
any_answers = st.sampled_from(list(Answer))
counts = st.integers(min_value=0, max_value=3)
adult_births = st.dates(min_value=date(1940, 1, 1), max_value=date(2008, 1, 1))
child_births = st.dates(min_value=date(2000, 1, 1), max_value=date(2026, 3, 1))
ANSWER_FIELDS = (
    "english_written",
    "english_spoken",
    "chinese_written",
    "putonghua_spoken",
    "cantonese_spoken",
    "other_foreign_language",
    "hk_permanent_resident_family",
)


@st.composite
def complete_applicants(draw: st.DrawFn) -> ApplicantFacts:
    years = draw(st.integers(min_value=0, max_value=15))
    return applicant(
        date_of_birth=draw(adult_births),
        doctorate_count=draw(counts),
        master_count=draw(counts),
        bachelor_count=draw(counts),
        professional_qualification=draw(st.booleans()),
        graduate_work_years=years,
        senior_work_years=draw(st.integers(min_value=0, max_value=years)),
        **{name: draw(known_answers) for name in ANSWER_FIELDS},
    )


@st.composite
def complete_dependants(draw: st.DrawFn) -> tuple[DependantFacts, ...]:
    kids = draw(
        st.lists(
            st.tuples(child_births, st.sampled_from([MaritalStatus.SINGLE, MaritalStatus.MARRIED])),
            max_size=3,
        )
    )
    family = [child(i, born=born, marital_status=status) for i, (born, status) in enumerate(kids)]
    if draw(st.booleans()):
        family.append(spouse(spouse_has_degree=draw(known_answers)))
    return tuple(family)


@given(a=complete_applicants(), dependants=complete_dependants())
@settings(max_examples=150)
def test_complete_inputs_score_as_the_table_says(
    a: ApplicantFacts, dependants: tuple[DependantFacts, ...]
) -> None:
    result = gpt(case(applicant=a, dependants=dependants))
    expected = oracle(a, dependants, CHECK)
    assert result.complete
    assert result.total == result.best_possible == expected
    assert result.passed is (expected >= 80)
    assert sum(f.points for f in result.factors) == result.total


@given(a=complete_applicants(), shift=st.integers(min_value=-1, max_value=1))
@settings(max_examples=60)
def test_passes_exactly_from_the_pass_mark(a: ApplicantFacts, shift: int) -> None:
    total = gpt(case(applicant=a)).total
    data = default_rule_set().to_dict()
    data["general_points"]["pass_mark"] = max(1, min(165, total + shift))
    result = gpt(case(applicant=a), load_rule_set(data))
    assert result.passed is (total >= data["general_points"]["pass_mark"])


def _blank(draw: st.DrawFn, value: Any) -> Any:
    """Sometimes forget a known value, as an intake form half filled in would."""
    return None if draw(st.booleans()) else value


@st.composite
def partial_and_completed(draw: st.DrawFn) -> tuple[CaseFacts, CaseFacts]:
    """A case with unknowns, and a consistent completion of it."""
    full = draw(complete_applicants())
    highest = draw(st.none() | st.sampled_from(list(Qualification)))
    full = replace(
        full, highest_qualification=highest, **_counts_consistent_with(draw, full, highest)
    )
    partial = replace(
        full,
        date_of_birth=_blank(draw, full.date_of_birth),
        doctorate_count=_blank(draw, full.doctorate_count),
        master_count=_blank(draw, full.master_count),
        bachelor_count=_blank(draw, full.bachelor_count),
        graduate_work_years=_blank(draw, full.graduate_work_years),
        senior_work_years=_blank(draw, full.senior_work_years),
        **{n: UNKNOWN for n in ANSWER_FIELDS if draw(st.booleans())},
    )
    kids = draw(complete_dependants())
    partial_kids = tuple(
        replace(k, date_of_birth=_blank(draw, k.date_of_birth))
        if k.relationship is Relationship.CHILD
        else replace(k, spouse_has_degree=UNKNOWN if draw(st.booleans()) else k.spouse_has_degree)
        for k in kids
    )
    return (
        case(applicant=partial, dependants=partial_kids),
        case(applicant=full, dependants=kids),
    )


def _counts_consistent_with(
    draw: st.DrawFn, full: ApplicantFacts, highest: Qualification | None
) -> dict[str, int]:
    order = list(Qualification)
    changes = {}
    for name, level in (
        ("doctorate_count", Qualification.DOCTORATE),
        ("master_count", Qualification.MASTER),
        ("bachelor_count", Qualification.BACHELOR),
    ):
        if highest is None:
            continue
        if order.index(level) > order.index(highest):
            changes[name] = 0
        elif level is highest:
            changes[name] = max(1, getattr(full, name))
    return changes


@given(pair=partial_and_completed())
@settings(max_examples=150)
def test_unknowns_only_ever_narrow_the_range(pair: tuple[CaseFacts, CaseFacts]) -> None:
    partial, completed = (gpt(facts) for facts in pair)
    assert partial.total <= completed.total <= partial.best_possible
    assert completed.best_possible <= partial.best_possible
    if partial.passed is not None:
        assert completed.passed is partial.passed
    for before, after in zip(partial.factors, completed.factors, strict=True):
        assert before.points <= after.points <= before.best_case
