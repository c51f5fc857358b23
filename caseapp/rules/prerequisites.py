"""P1 and P3-P6: the prerequisites that read only the applicant (P2 and P7 have own modules).

Each returns a RuleOutcome: pass, fail, or missing with the exact inputs to collect. A rule
only fails on what is known; an unknown answer that could still change the result is missing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from .ages import add_months, age_on, date_turning
from .answers import bounds, relevant_unknowns
from .facts import ApplicantFacts, CaseFacts
from .inputs import collect, short
from .outcome import Outcome, RuleOutcome
from .ruleset import RuleSet
from .text import iso, join_words
from .vocab import Answer

__all__ = [
    "CORRECT_DATE_OF_BIRTH",
    "check_age",
    "check_character",
    "check_education",
    "check_language",
    "check_nationality",
    "chinese_proficient",
    "english_proficient",
    "language_answers",
    "passport_notes",
]

CORRECT_DATE_OF_BIRTH = "Correct the applicant's date of birth: it is after the check date."
_ALPHA3 = re.compile(r"^[A-Z]{3}$")


def check_age(facts: CaseFacts, rules: RuleSet) -> RuleOutcome:
    """P1: whole years on the check date, with the 29 February rule (see ``ages``)."""
    born = facts.applicant.date_of_birth
    check = facts.check_date
    minimum = rules.minimum_age
    if born is None:
        return _p1(
            Outcome.MISSING,
            "The applicant's date of birth is not recorded.",
            {"minimum_age": minimum},
            (collect("date_of_birth"),),
            "date of birth not recorded",
        )
    if born > check:
        # A birth date in the future is a typing error, not a reason to refuse the client.
        return _p1(
            Outcome.MISSING,
            f"The date of birth ({iso(born)}) is after the check date ({iso(check)}).",
            {"date_of_birth": iso(born), "minimum_age": minimum},
            (CORRECT_DATE_OF_BIRTH,),
            "date of birth after the check date",
        )
    age = age_on(born, check)
    reaches = date_turning(born, minimum)
    data = {
        "date_of_birth": iso(born),
        "age": age,
        "minimum_age": minimum,
        "reaches_minimum_age_on": iso(reaches),
    }
    if age >= minimum:
        return _p1(
            Outcome.PASS,
            f"The applicant is {age} on {iso(check)} ({minimum} or above is required).",
            data,
        )
    return _p1(
        Outcome.FAIL,
        f"The applicant is {age} on {iso(check)}; QMAS requires {minimum} or above. "
        f"They turn {minimum} on {iso(reaches)}.",
        data,
        (f"Re-check on or after {iso(reaches)}, when the applicant turns {minimum}.",),
        f"{age} on {iso(check)}, under {minimum} until {iso(reaches)}",
    )


def _p1(
    outcome: Outcome, reason: str, data: dict, actions: tuple[str, ...] = (), short: str = ""
) -> RuleOutcome:
    return RuleOutcome(
        code="P1",
        title="Age",
        outcome=outcome,
        reason=reason,
        data=data,
        actions=actions,
        short=short,
    )


_DECLARATIONS = {
    "criminal_record": "a criminal record",
    "adverse_immigration_record": "an adverse immigration record",
}


def check_character(applicant: ApplicantFacts) -> RuleOutcome:
    """P3: a declared record fails; a declaration not yet made is missing."""
    answers = {name: getattr(applicant, name) for name in _DECLARATIONS}
    data = {name: answer.value for name, answer in answers.items()}
    declared = [_DECLARATIONS[n] for n, a in answers.items() if a is Answer.YES]
    unknown = [n for n, a in answers.items() if a is Answer.UNKNOWN]
    if declared:
        outcome = Outcome.FAIL
        reason = (
            f"The applicant has declared {join_words(declared)}: QMAS requires no criminal "
            "and no adverse immigration record, in Hong Kong or elsewhere."
        )
        brief = f"declared {join_words(declared)}"
    elif unknown:
        outcome = Outcome.MISSING
        brief = f"not yet declared: {join_words(short(n) for n in unknown)}"
        reason = f"{brief[0].upper()}{brief[1:]}."
    else:
        outcome = Outcome.PASS
        reason = (
            "The applicant has declared no criminal record and no adverse immigration "
            "record, in Hong Kong or elsewhere."
        )
        brief = ""
    actions = tuple(collect(n) for n in unknown) if outcome is Outcome.MISSING else ()
    return RuleOutcome(
        code="P3",
        title="Good character",
        outcome=outcome,
        reason=reason,
        data=data,
        actions=actions,
        short=brief,
    )


_P4_INPUTS = (
    "english_written",
    "english_spoken",
    "chinese_written",
    "putonghua_spoken",
    "cantonese_spoken",
)


def language_answers(applicant: ApplicantFacts, names: tuple[str, ...]) -> dict[str, Answer]:
    return {name: getattr(applicant, name) for name in names}


def english_proficient(a: Mapping[str, bool]) -> bool:
    return a["english_written"] and a["english_spoken"]


def chinese_proficient(a: Mapping[str, bool]) -> bool:
    return a["chinese_written"] and (a["putonghua_spoken"] or a["cantonese_spoken"])


def _p4_rule(a: Mapping[str, bool]) -> bool:
    return english_proficient(a) or chinese_proficient(a)


def check_language(applicant: ApplicantFacts) -> RuleOutcome:
    """P4: written and spoken English, or written Chinese with Putonghua or Cantonese."""
    answers = language_answers(applicant, _P4_INPUTS)
    data = {name: answer.value for name, answer in answers.items()}
    worst, best = bounds(answers, _p4_rule)
    if worst:
        known = {n: a is Answer.YES for n, a in answers.items()}
        routes = [
            label
            for label, ok in (
                ("written and spoken English", english_proficient(known)),
                ("written Chinese with spoken Putonghua or Cantonese", chinese_proficient(known)),
            )
            if ok
        ]
        return _p4(Outcome.PASS, f"Proficient in {join_words(routes)}.", data)
    if not best:
        return _p4(
            Outcome.FAIL,
            "Not proficient in written and spoken English, nor in written Chinese with spoken "
            "Putonghua or Cantonese.",
            data,
            short="proficient in neither written and spoken English nor Chinese",
        )
    ask = relevant_unknowns(answers, _p4_rule)
    return _p4(
        Outcome.MISSING,
        f"Language proficiency is not established yet: {join_words(short(n) for n in ask)} "
        "not yet known.",
        data,
        tuple(collect(name) for name in ask),
        f"{join_words(short(n) for n in ask)} not yet known",
    )


def _p4(
    outcome: Outcome, reason: str, data: dict, actions: tuple[str, ...] = (), short: str = ""
) -> RuleOutcome:
    return RuleOutcome(
        code="P4",
        title="Language",
        outcome=outcome,
        reason=reason,
        data=data,
        actions=actions,
        short=short,
    )


def check_education(applicant: ApplicantFacts) -> RuleOutcome:
    """P5: a first degree or above, from a recognised university or tertiary institution."""
    level = applicant.highest_qualification
    recognised = applicant.qualification_recognised
    data = {
        "highest_qualification": level.value if level else None,
        "qualification_recognised": recognised.value,
    }
    if level is None:
        return _p5(
            Outcome.MISSING,
            "The applicant's highest qualification is not recorded.",
            data,
            (collect("highest_qualification"),),
            "highest qualification not recorded",
        )
    if not level.is_degree:
        return _p5(
            Outcome.FAIL,
            f"The highest qualification is {level.label.lower()}: QMAS requires a first "
            "degree or above.",
            data,
            (
                "A bachelor's degree or above from a recognised institution would meet this "
                "prerequisite.",
            ),
            f"highest qualification is {level.label.lower()}, not a degree",
        )
    if recognised is Answer.NO:
        return _p5(
            Outcome.FAIL,
            f"The {level.label.lower()} is not from a recognised university or tertiary "
            "institution.",
            data,
            short=f"{level.label.lower()} not from a recognised institution",
        )
    if recognised is Answer.UNKNOWN:
        return _p5(
            Outcome.MISSING,
            f"The applicant holds a {level.label.lower()}, but whether the institution is "
            "recognised is not yet known.",
            data,
            (collect("qualification_recognised"),),
            "not yet known whether the institution is recognised",
        )
    return _p5(
        Outcome.PASS,
        f"The applicant holds a {level.label.lower()} from a recognised institution.",
        data,
    )


def _p5(
    outcome: Outcome, reason: str, data: dict, actions: tuple[str, ...] = (), short: str = ""
) -> RuleOutcome:
    return RuleOutcome(
        code="P5",
        title="Education",
        outcome=outcome,
        reason=reason,
        data=data,
        actions=actions,
        short=short,
    )


def check_nationality(applicant: ApplicantFacts, rules: RuleSet) -> RuleOutcome:
    """P6: the excluded nationalities come from the rule set, with the country names."""
    code = applicant.nationality
    data = {"nationality": code, "excluded": sorted(rules.excluded_nationalities)}
    if code is None or not code.strip():
        return _p6(
            Outcome.MISSING,
            "The applicant's nationality is not recorded.",
            data,
            (collect("nationality"),),
            "nationality not recorded",
        )
    if not _ALPHA3.match(code):
        # The form is checked here; whether the code names a real country is the web layer's job.
        return _p6(
            Outcome.MISSING,
            f"The recorded nationality {code!r} is not an ISO 3166-1 alpha-3 code "
            "(three upper-case letters).",
            data,
            ("Correct the applicant's nationality to its three-letter ISO code.",),
            f"nationality {code!r} is not a three-letter ISO code",
        )
    country = rules.excluded_nationalities.get(code)
    if country is not None:
        return _p6(
            Outcome.FAIL,
            f"QMAS is not open to nationals of {country} ({code}).",
            data,
            short=f"not open to nationals of {country} ({code})",
        )
    return _p6(Outcome.PASS, f"Nationality {code} is not excluded from QMAS.", data)


def _p6(
    outcome: Outcome, reason: str, data: dict, actions: tuple[str, ...] = (), short: str = ""
) -> RuleOutcome:
    return RuleOutcome(
        code="P6",
        title="Nationality",
        outcome=outcome,
        reason=reason,
        data=data,
        actions=actions,
        short=short,
    )


def passport_notes(facts: CaseFacts, rules: RuleSet) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(warnings, actions) about passport validity; not a prerequisite, but it stops a submission.

    Warns when the passport has expired or expires within the rule set's window (inclusive) of
    the check date, or else of the planned submission date when one is set.
    """
    expiry = facts.applicant.passport_expiry
    if expiry is None:
        return (), (collect("passport_expiry"),)
    months = rules.passport_warning_months
    check = facts.check_date
    renew = ("Ask the applicant to renew the passport before submission.",)
    if expiry < check:
        return (f"The applicant's passport expired on {iso(expiry)}.",), renew
    if expiry <= add_months(check, months):
        return (
            f"The applicant's passport expires on {iso(expiry)}, within {months} months of "
            f"the check date ({iso(check)}).",
        ), renew
    planned_date = facts.planned_submission_date
    if (
        planned_date is not None
        and planned_date > check
        and expiry <= add_months(planned_date, months)
    ):
        return (
            f"The applicant's passport expires on {iso(expiry)}, within {months} months of "
            f"the planned submission on {iso(planned_date)}.",
        ), renew
    return (), ()
