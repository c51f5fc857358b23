"""P1 and P3-P6, one table per rule, plus the passport warning."""

from __future__ import annotations

from datetime import date, timedelta
from itertools import product
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from caseapp.rules import evaluate
from caseapp.rules.ages import date_turning
from caseapp.rules.inputs import collect
from caseapp.rules.outcome import Outcome
from caseapp.rules.prerequisites import check_language
from caseapp.rules.vocab import Answer, Qualification

from .builders import CHECK, NO, UNKNOWN, YES, applicant, case

PASS, FAIL, MISSING = Outcome.PASS, Outcome.FAIL, Outcome.MISSING


def outcome_of(code: str, **changes: Any) -> Any:
    return evaluate(case(applicant=applicant(**changes))).prerequisite(code)


# --- P1 Age ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("born", "check", "expected"),
    [
        pytest.param(date(1990, 5, 17), CHECK, PASS, id="adult"),
        pytest.param(date(2008, 3, 2), date(2026, 3, 2), PASS, id="18th-birthday"),
        pytest.param(date(2008, 3, 3), date(2026, 3, 2), FAIL, id="day-before-18th"),
        pytest.param(date(2008, 2, 29), date(2026, 2, 28), FAIL, id="leap-born-28-feb"),
        pytest.param(date(2008, 2, 29), date(2026, 3, 1), PASS, id="leap-born-1-march"),
        pytest.param(None, CHECK, MISSING, id="no-date-of-birth"),
        pytest.param(date(2027, 1, 1), CHECK, MISSING, id="born-after-check-date"),
    ],
)
def test_p1_age(born: date | None, check: date, expected: Outcome) -> None:
    result = evaluate(case(applicant=applicant(date_of_birth=born), check_date=check))
    assert result.prerequisite("P1").outcome is expected


def test_p1_fail_says_when_the_applicant_turns_18() -> None:
    outcome = evaluate(
        case(applicant=applicant(date_of_birth=date(2008, 2, 29)), check_date=date(2026, 2, 28))
    ).prerequisite("P1")
    assert outcome.data["age"] == 17
    assert "2026-03-01" in outcome.reason
    assert any("2026-03-01" in action for action in outcome.actions)


def test_p1_future_birth_date_asks_for_a_correction() -> None:
    outcome = outcome_of("P1", date_of_birth=CHECK + timedelta(days=1))
    assert "after the check date" in outcome.reason
    assert outcome.actions


@given(born=st.dates(min_value=date(1930, 1, 1), max_value=date(2010, 12, 31)))
def test_p1_flips_exactly_on_the_18th_birthday(born: date) -> None:
    birthday = date_turning(born, 18)
    on_day = evaluate(case(applicant=applicant(date_of_birth=born), check_date=birthday))
    day_before = evaluate(
        case(applicant=applicant(date_of_birth=born), check_date=birthday - timedelta(days=1))
    )
    assert on_day.prerequisite("P1").outcome is PASS
    assert day_before.prerequisite("P1").outcome is FAIL


# --- P3 Good character ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("criminal", "adverse", "expected"),
    [
        pytest.param(NO, NO, PASS, id="both-no"),
        pytest.param(YES, NO, FAIL, id="criminal-yes"),
        pytest.param(NO, YES, FAIL, id="adverse-yes"),
        pytest.param(YES, UNKNOWN, FAIL, id="yes-beats-unknown"),
        pytest.param(UNKNOWN, NO, MISSING, id="criminal-unknown"),
        pytest.param(NO, UNKNOWN, MISSING, id="adverse-unknown"),
        pytest.param(UNKNOWN, UNKNOWN, MISSING, id="both-unknown"),
    ],
)
def test_p3_good_character(criminal: Answer, adverse: Answer, expected: Outcome) -> None:
    outcome = outcome_of("P3", criminal_record=criminal, adverse_immigration_record=adverse)
    assert outcome.outcome is expected
    assert bool(outcome.actions) == (expected is MISSING)


def test_p3_missing_names_only_the_unknown_declaration() -> None:
    outcome = outcome_of("P3", criminal_record=NO, adverse_immigration_record=UNKNOWN)
    assert len(outcome.actions) == 1
    assert "adverse immigration record" in outcome.actions[0]


# --- P4 Language ----------------------------------------------------------------------------

LANGUAGE = (
    "english_written",
    "english_spoken",
    "chinese_written",
    "putonghua_spoken",
    "cantonese_spoken",
)


@pytest.mark.parametrize(
    ("answers", "expected", "to_collect"),
    [
        pytest.param("YY???", PASS, (), id="english-written-and-spoken"),
        pytest.param("??YY?", PASS, (), id="chinese-and-putonghua"),
        pytest.param("??Y?Y", PASS, (), id="chinese-and-cantonese"),
        pytest.param("YNYNN", FAIL, (), id="english-written-only-no-spoken-chinese"),
        pytest.param("NNNYY", FAIL, (), id="spoken-chinese-without-written"),
        pytest.param("NYYNN", FAIL, (), id="nothing-complete"),
        pytest.param("Y?NNN", MISSING, ("english_spoken",), id="only-spoken-english-can-decide"),
        pytest.param(
            "NNY??", MISSING, ("putonghua_spoken", "cantonese_spoken"), id="spoken-chinese-unknown"
        ),
        pytest.param("N?N??", FAIL, (), id="no-written-language-no-route-left"),
        pytest.param("?????", MISSING, LANGUAGE, id="all-unknown"),
    ],
)
def test_p4_language(answers: str, expected: Outcome, to_collect: tuple[str, ...]) -> None:
    values = dict(zip(LANGUAGE, (_answer(ch) for ch in answers), strict=True))
    outcome = outcome_of("P4", **values)
    assert outcome.outcome is expected
    assert outcome.actions == tuple(collect(name) for name in to_collect)


def _answer(symbol: str) -> Answer:
    return {"Y": YES, "N": NO, "?": UNKNOWN}[symbol]


def _completions(answers: dict[str, Answer]) -> list[dict[str, Answer]]:
    unknown = [name for name, value in answers.items() if value is UNKNOWN]
    return [
        answers | dict(zip(unknown, combo, strict=True))
        for combo in product((YES, NO), repeat=len(unknown))
    ]


@pytest.mark.parametrize("state", ["".join(p) for p in product("YN?", repeat=3)])
@pytest.mark.parametrize("english", ["YY", "YN", "N?", "??"])
def test_p4_decides_only_what_every_completion_agrees_on(state: str, english: str) -> None:
    """Exhaustive: pass/fail only when all completions agree; filling the asked answers decides."""
    answers = dict(zip(LANGUAGE, (_answer(ch) for ch in english + state), strict=True))
    outcome = check_language(applicant(**answers))
    completed = {check_language(applicant(**c)).outcome for c in _completions(answers)}
    if outcome.outcome is MISSING:
        assert completed == {PASS, FAIL}
        asked = [name for name in LANGUAGE if collect(name) in outcome.actions]
        assert asked
        for filled in _completions({n: answers[n] for n in asked}):
            assert check_language(applicant(**(answers | filled))).outcome is not MISSING
    else:
        assert completed == {outcome.outcome}


# --- P5 Education ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("level", "recognised", "expected"),
    [
        pytest.param(Qualification.BACHELOR, YES, PASS, id="recognised-bachelor"),
        pytest.param(Qualification.DOCTORATE, YES, PASS, id="recognised-doctorate"),
        pytest.param(Qualification.MASTER, NO, FAIL, id="unrecognised-master"),
        pytest.param(Qualification.MASTER, UNKNOWN, MISSING, id="recognition-unknown"),
        pytest.param(Qualification.SUB_DEGREE, YES, FAIL, id="sub-degree"),
        pytest.param(Qualification.SECONDARY, UNKNOWN, FAIL, id="secondary-recognition-moot"),
        pytest.param(Qualification.NONE, NO, FAIL, id="none"),
        pytest.param(None, YES, MISSING, id="not-recorded"),
    ],
)
def test_p5_education(level: Qualification | None, recognised: Answer, expected: Outcome) -> None:
    outcome = outcome_of("P5", highest_qualification=level, qualification_recognised=recognised)
    assert outcome.outcome is expected


# --- P6 Nationality -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "expected", "named"),
    [
        pytest.param("GBR", PASS, None, id="not-excluded"),
        pytest.param("CHN", PASS, None, id="china"),
        pytest.param("AFG", FAIL, "Afghanistan", id="afghanistan"),
        pytest.param("CUB", FAIL, "Cuba", id="cuba"),
        pytest.param("LAO", FAIL, "Laos", id="laos"),
        pytest.param("PRK", FAIL, "Korea, Democratic People's Republic of", id="north-korea"),
        pytest.param("NPL", FAIL, "Nepal", id="nepal"),
        pytest.param("VNM", FAIL, "Vietnam", id="vietnam"),
        pytest.param("KOR", PASS, None, id="south-korea"),
        pytest.param(None, MISSING, None, id="not-recorded"),
        pytest.param("", MISSING, None, id="blank"),
        pytest.param("vnm", MISSING, None, id="lower-case-is-not-a-code"),
        pytest.param("VN", MISSING, None, id="alpha-2"),
        pytest.param("V1M", MISSING, None, id="digit"),
    ],
)
def test_p6_nationality(code: str | None, expected: Outcome, named: str | None) -> None:
    outcome = outcome_of("P6", nationality=code)
    assert outcome.outcome is expected
    if named:
        assert named in outcome.reason


# --- Passport warning -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expiry", "planned", "warned"),
    [
        pytest.param(date(2031, 1, 1), None, False, id="years-left"),
        pytest.param(date(2026, 9, 2), None, True, id="exactly-6-months"),
        pytest.param(date(2026, 9, 3), None, False, id="6-months-and-a-day"),
        pytest.param(date(2026, 3, 1), None, True, id="expired-yesterday"),
        pytest.param(date(2026, 12, 1), date(2026, 7, 1), True, id="within-6-months-of-submission"),
        pytest.param(date(2027, 2, 1), date(2026, 7, 1), False, id="valid-past-submission-window"),
    ],
)
def test_passport_warning(expiry: date, planned: date | None, warned: bool) -> None:
    result = evaluate(
        case(applicant=applicant(passport_expiry=expiry), planned_submission_date=planned)
    )
    passport = [w for w in result.warnings if "passport" in w]
    assert bool(passport) is warned
    if warned:
        assert expiry.isoformat() in passport[0]


def test_missing_passport_expiry_is_an_action_not_a_prerequisite() -> None:
    result = evaluate(case(applicant=applicant(passport_expiry=None)))
    assert any("passport expiry" in action for action in result.next_actions)
    assert [r.code for r in result.prerequisites] == ["P1", "P2", "P3", "P4", "P5", "P6", "P7"]
