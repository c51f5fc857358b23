"""The General Points Test since 1 November 2024: a count of criteria met against a threshold.

Each criterion of the rule set (``GeneralPointsCriteria``) is *met*, *not met* or *unknown* (an
input it needs is not recorded yet). The code of a criterion fixes what it reads; every number it
compares with comes from the rule set. The test passes once at least ``threshold`` criteria are
met, fails once fewer than ``threshold`` can still be met (met + unknown < threshold), and is
undecided otherwise.

While undecided, the test's action names the cheapest open criteria that would reach the
threshold, "cheapest" meaning, in this order:

1. the kind of fact still to record, taking the costliest input the criterion still needs:
   a yes / no answer (0), then a fact read off a document already asked for - the date of birth,
   the highest qualification, the number of degrees (1), then years of work, which need a
   career history counted (2), then an amount of money, which needs evidence and a conversion
   to HKD (3);
2. then the fewer inputs still to record;
3. then the criterion's number.

Criterion 1 (age) is judged on the lodging date (``CaseFacts.lodging_date``), not the check date.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from .ages import age_on, date_turning
from .facts import ApplicantFacts, CaseFacts
from .inputs import INPUT_LABELS, collect, short
from .outcome import CriterionResult, CriterionStatus, GeneralCriteriaResult
from .prerequisites import CORRECT_DATE_OF_BIRTH, chinese_proficient, english_proficient
from .ruleset import Criterion, GeneralPointsCriteria, RuleSet
from .text import decimal_str, hkd, iso, join_words, plural
from .vocab import Answer, Qualification

__all__ = ["INPUT_COST", "general_criteria_test", "open_criteria_by_cost"]

MET, NOT_MET, UNKNOWN = CriterionStatus.MET, CriterionStatus.NOT_MET, CriterionStatus.UNKNOWN

# How costly an input is to record (see the module docstring); lower is cheaper.
INPUT_COST: dict[str, int] = {
    "degree_eligible_university": 0,
    "degree_stem": 0,
    "two_languages": 0,
    "english_written": 0,
    "english_spoken": 0,
    "owns_listed_company": 0,
    "date_of_birth": 1,
    "highest_qualification": 1,
    "doctorate_count": 1,
    "master_count": 1,
    "bachelor_count": 1,
    "graduate_work_years": 2,
    "multinational_work_years": 2,
    "sector_work_years": 2,
    "international_work_years": 2,
    "income_hkd": 3,
    "business_profit_hkd": 3,
}

_COUNT_OF = {
    Qualification.DOCTORATE: "doctorate_count",
    Qualification.MASTER: "master_count",
    Qualification.BACHELOR: "bachelor_count",
}
_ORDER = list(Qualification)


@dataclass(frozen=True)
class _Judged:
    status: CriterionStatus
    reason: str
    data: dict[str, Any]
    missing: tuple[str, ...] = ()
    actions: tuple[str, ...] = ()  # empty: one "Record ..." per missing input


def general_criteria_test(facts: CaseFacts, rules: RuleSet) -> GeneralCriteriaResult:
    """Judge every criterion of the rule set and decide pass / fail / undecided."""
    test = rules.general_points
    if not isinstance(test, GeneralPointsCriteria):
        raise TypeError(f"rule set {rules.version} has no criteria General Points Test")
    results = tuple(_result(criterion, facts) for criterion in test.criteria)
    met = sum(1 for item in results if item.status is MET)
    unknown = sum(1 for item in results if item.status is UNKNOWN)
    threshold = test.threshold
    passed = True if met >= threshold else False if met + unknown < threshold else None
    return GeneralCriteriaResult(
        criteria=results,
        threshold=threshold,
        passed=passed,
        reason=_reason(met, unknown, len(results), threshold, passed),
        actions=_actions(results, threshold - met) if passed is None else (),
    )


def open_criteria_by_cost(results: Iterable[CriterionResult]) -> list[CriterionResult]:
    """The unknown criteria, cheapest to settle first (the order in the module docstring)."""

    def cost(item: CriterionResult) -> tuple[int, int, int]:
        kind = max((INPUT_COST.get(name, 0) for name in item.missing), default=0)
        return kind, len(item.missing), item.number

    return sorted((item for item in results if item.status is UNKNOWN), key=cost)


def _result(criterion: Criterion, facts: CaseFacts) -> CriterionResult:
    judged = _JUDGES[criterion.code](criterion, facts)
    unknown = judged.status is UNKNOWN
    missing = judged.missing if unknown else ()
    actions = judged.actions or tuple(collect(name) for name in missing)
    return CriterionResult(
        number=criterion.number,
        code=criterion.code,
        title=criterion.title,
        status=judged.status,
        reason=judged.reason,
        data=judged.data,
        missing=missing,
        actions=actions if unknown else (),
    )


def _reason(met: int, unknown: int, count: int, threshold: int, passed: bool | None) -> str:
    start = f"{met} of the {count} criteria met"
    if passed and not unknown:
        return f"{start}, at least {threshold} needed: passes."
    if passed:
        return (
            f"{start} already, at least {threshold} needed: passes whatever the "
            f"{plural(unknown, 'open criterion', 'open criteria')} turn out to be."
        )
    if passed is False and not unknown:
        return f"{start}, at least {threshold} needed: does not pass (short by {threshold - met})."
    if passed is False:
        return (
            f"{start} and {unknown} still open: at most {met + unknown}, fewer than the "
            f"{threshold} needed, so the test cannot pass."
        )
    return f"{start} and {unknown} still open: {threshold - met} more needed to reach {threshold}."


def _actions(results: tuple[CriterionResult, ...], needed: int) -> tuple[str, ...]:
    """One sentence naming the cheapest open criteria that would reach the threshold.

    ``2 more criteria needed (4 still open): record whether the applicant now owns a listed
    company (criterion 12), and the applicant's income ... (criterion 10).`` An input two chosen
    criteria share is asked once, naming both.
    """
    still_open = open_criteria_by_cost(results)
    chosen = still_open[:needed]
    asks: dict[str, list[int]] = {}
    for item in chosen:
        for name in item.missing:
            asks.setdefault(name, []).append(item.number)
    # A date of birth after the check date is a typing error: it needs correcting, not recording.
    typo = {
        name for item in chosen if CORRECT_DATE_OF_BIRTH in item.actions for name in item.missing
    }
    record = [f"{INPUT_LABELS[n]} ({_numbers(nums)})" for n, nums in asks.items() if n not in typo]
    clauses = [f"record {_and_list(record)}"] if record else []
    clauses += [
        f"correct the applicant's date of birth ({_numbers(nums)})"
        for n, nums in asks.items()
        if n in typo
    ]
    head = plural(needed, "more criterion", "more criteria") + " needed"
    if len(still_open) > needed:
        head += f" ({len(still_open)} still open)"
    return (f"{head}: {'; '.join(clauses)}.",)


def _numbers(numbers: list[int]) -> str:
    if len(numbers) == 1:
        return f"criterion {numbers[0]}"
    return "criteria " + join_words(str(n) for n in numbers)


def _and_list(parts: list[str]) -> str:
    """``a``, ``a, and b``, ``a, b, and c``: the parts hold "and" themselves, so the comma marks
    where one ends."""
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + ", and " + parts[-1]


# --- three-valued helpers -------------------------------------------------------------------


def _all(*answers: Answer) -> Answer:
    if Answer.NO in answers:
        return Answer.NO
    if all(answer is Answer.YES for answer in answers):
        return Answer.YES
    return Answer.UNKNOWN


def _status(answer: Answer) -> CriterionStatus:
    return {Answer.YES: MET, Answer.NO: NOT_MET, Answer.UNKNOWN: UNKNOWN}[answer]


def _not_known(missing: Iterable[str]) -> str:
    return f"Not yet known: {join_words(short(name) for name in missing)}."


# --- the criteria ---------------------------------------------------------------------------


def _age(criterion: Criterion, facts: CaseFacts) -> _Judged:
    born, on, limit = facts.applicant.date_of_birth, facts.lodging_date, criterion.max_age
    assert limit is not None  # the loader requires it for this code
    data: dict[str, Any] = {"lodging_date": iso(on), "max_age": limit}
    if born is None:
        return _Judged(
            UNKNOWN, "The applicant's date of birth is not recorded.", data, ("date_of_birth",)
        )
    data["date_of_birth"] = iso(born)
    if born > facts.check_date:
        return _Judged(
            UNKNOWN,
            f"The date of birth ({iso(born)}) is after the check date ({iso(facts.check_date)}).",
            data,
            ("date_of_birth",),
            (CORRECT_DATE_OF_BIRTH,),
        )
    age = age_on(born, on)
    turns = date_turning(born, limit + 1)
    data |= {"age": age, "over_max_age_from": iso(turns)}
    when = f"on the lodging date {iso(on)} ({facts.lodging_basis})"
    if age <= limit:
        return _Judged(MET, f"The applicant is {age} {when}: {limit} or below.", data)
    reason = f"The applicant is {age} {when}; the criterion needs {limit} or below."
    if facts.submitted_on is None and turns > facts.check_date:
        reason += f" Lodged before {iso(turns)}, when they turn {limit + 1}, it would be met."
    return _Judged(NOT_MET, reason, data)


# Levels that read wrong after "a" ("a secondary", "a none").
_AS_PHRASE = {Qualification.NONE: "no formal qualification",
              Qualification.SECONDARY: "secondary education"}


def _with_article(level: Qualification) -> str:
    if level in _AS_PHRASE:
        return _AS_PHRASE[level]
    return f"a {level.label[0].lower()}{level.label[1:]}"


def _degree_level(
    applicant: ApplicantFacts, levels: tuple[Qualification, ...]
) -> tuple[Answer, Qualification | None, tuple[str, ...]]:
    """Whether the applicant holds a degree at one of ``levels``: (answer, the highest such level
    held, the inputs that would settle an unknown). Nobody holds a degree above their highest
    qualification, and a count recorded as 0 rules its level out."""
    highest = applicant.highest_qualification
    counts = {level: getattr(applicant, _COUNT_OF[level]) for level in levels}
    held = [level for level in levels if level is highest or (counts[level] or 0) > 0]
    if held:
        return Answer.YES, max(held, key=_ORDER.index), ()
    possible = [
        level
        for level in levels
        if counts[level] != 0 and (highest is None or _ORDER.index(level) <= _ORDER.index(highest))
    ]
    if not possible:
        return Answer.NO, None, ()
    if highest is None:
        return Answer.UNKNOWN, None, ("highest_qualification",)
    return Answer.UNKNOWN, None, tuple(_COUNT_OF[level] for level in possible)


def _degree(criterion: Criterion, facts: CaseFacts, stem: bool = False) -> _Judged:
    applicant = facts.applicant
    levels = criterion.degree_levels
    wanted = " or ".join(_with_article(level) for level in levels)
    level, held, level_missing = _degree_level(applicant, levels)
    university, subject = applicant.degree_eligible_university, applicant.degree_stem
    highest = applicant.highest_qualification
    data: dict[str, Any] = {
        "degree_levels": [item.value for item in levels],
        "highest_qualification": highest.value if highest else None,
        "degree_eligible_university": university.value,
    }
    parts = [level, university]
    if stem:
        data["degree_stem"] = subject.value
        parts.append(subject)
    answer = _all(*parts)
    the_degree = f"The {held.label[0].lower()}{held.label[1:]}" if held else "The degree"
    if level is Answer.NO:
        needs = f"the criterion needs {wanted} from an eligible university"
        if highest is not None:
            reason = f"The highest qualification is {_with_article(highest)}: {needs}."
        else:
            reason = f"No {' or '.join(lv.label.lower() for lv in levels)} is recorded: {needs}."
        return _Judged(NOT_MET, reason, data)
    if university is Answer.NO:
        return _Judged(
            NOT_MET, f"{the_degree} is not from a university on the eligible list.", data
        )
    if stem and subject is Answer.NO:
        return _Judged(NOT_MET, f"{the_degree} is not in a STEM subject.", data)
    if answer is Answer.YES:
        assert held is not None
        what = f"{_with_article(held)} in a STEM subject" if stem else _with_article(held)
        return _Judged(MET, f"Holds {what} from a university on the eligible list.", data)
    missing = [*level_missing]
    if university is Answer.UNKNOWN:
        missing.append("degree_eligible_university")
    if stem and subject is Answer.UNKNOWN:
        missing.append("degree_stem")
    reason = _not_known(missing)
    if held is not None:
        reason = f"Holds {_with_article(held)}. {reason}"
    return _Judged(UNKNOWN, reason, data, tuple(missing))


def _stem_degree(criterion: Criterion, facts: CaseFacts) -> _Judged:
    return _degree(criterion, facts, stem=True)


def _two_languages(criterion: Criterion, facts: CaseFacts) -> _Judged:
    applicant = facts.applicant
    answer = applicant.two_languages
    data = {"two_languages": answer.value}
    if answer is Answer.YES:
        reason = "The applicant has good written and spoken proficiency in two languages."
        return _Judged(MET, reason, data)
    if answer is Answer.NO:
        reason = "The applicant does not have good written and spoken proficiency in two languages."
        return _Judged(NOT_MET, reason, data)
    # Not asked yet, but English and Chinese already recorded are two languages: no need to ask.
    known = {
        name: getattr(applicant, name) is Answer.YES
        for name in (
            "english_written",
            "english_spoken",
            "chinese_written",
            "putonghua_spoken",
            "cantonese_spoken",
        )
    }
    if english_proficient(known) and chinese_proficient(known):
        reason = "Written and spoken English and Chinese are recorded: two languages."
        return _Judged(MET, reason, data)
    reason = "Not yet known whether the applicant has good written and spoken proficiency in two "
    return _Judged(UNKNOWN, reason + "languages.", data, ("two_languages",))


def _english(criterion: Criterion, facts: CaseFacts) -> _Judged:
    written, spoken = facts.applicant.english_written, facts.applicant.english_spoken
    data = {"english_written": written.value, "english_spoken": spoken.value}
    answer = _all(written, spoken)
    if answer is Answer.YES:
        return _Judged(MET, "Good written and spoken English.", data)
    if answer is Answer.NO:
        lacking = join_words(
            word for word, a in (("written", written), ("spoken", spoken)) if a is Answer.NO
        )
        return _Judged(NOT_MET, f"Not proficient in {lacking} English.", data)
    missing = tuple(
        name for name, a in (("english_written", written), ("english_spoken", spoken))
        if a is Answer.UNKNOWN
    )
    return _Judged(UNKNOWN, _not_known(missing), data, missing)


# What each years criterion counts, and how a reason names it: "3 years in ...".
_YEARS = {
    "work_years": ("graduate_work_years", "at graduate or specialist level"),
    "multinational_work": (
        "multinational_work_years",
        "at graduate level in a multinational company or renowned enterprise",
    ),
    "sector_work": (
        "sector_work_years",
        "at graduate level in innovation and technology, finance or international trade",
    ),
    "international_work": ("international_work_years", "of international graduate-level work"),
}


def _years(criterion: Criterion, facts: CaseFacts) -> _Judged:
    field, what = _YEARS[criterion.code]
    need = criterion.min_years
    assert need is not None  # the loader requires it for these codes
    years = getattr(facts.applicant, field)
    total = facts.applicant.graduate_work_years
    data = {field: years, "min_years": need}
    if years is not None:
        said = f"{plural(years, 'year')} {what}"
        if years >= need:
            return _Judged(MET, f"{said} (at least {need} needed).", data)
        return _Judged(NOT_MET, f"{said}; at least {need} needed.", data)
    # These years are part of the graduate-level years: a short total settles the criterion.
    if field != "graduate_work_years" and total is not None and total < need:
        data["graduate_work_years"] = total
        reason = (
            f"Only {plural(total, 'year')} at graduate or specialist level in all, so fewer than "
            f"the {need} needed {what}."
        )
        return _Judged(NOT_MET, reason, data)
    return _Judged(UNKNOWN, _not_known((field,)), data, (field,))


_AMOUNTS = {
    "income": ("income_hkd", "Income in the last full year"),
    "business_profit": ("business_profit_hkd", "Profit of an owned business in the last full year"),
}


def _amount(criterion: Criterion, facts: CaseFacts) -> _Judged:
    field, what = _AMOUNTS[criterion.code]
    need = criterion.min_hkd
    assert need is not None  # the loader requires it for these codes
    amount: Decimal | None = getattr(facts.applicant, field)
    data = {field: None if amount is None else decimal_str(amount), "min_hkd": decimal_str(need)}
    if amount is None:
        return _Judged(UNKNOWN, _not_known((field,)), data, (field,))
    if amount >= need:
        return _Judged(MET, f"{what}: {hkd(amount)} ({hkd(need)} or more needed).", data)
    return _Judged(NOT_MET, f"{what}: {hkd(amount)}; {hkd(need)} or more needed.", data)


def _listed_company(criterion: Criterion, facts: CaseFacts) -> _Judged:
    answer = facts.applicant.owns_listed_company
    data = {"owns_listed_company": answer.value}
    reason = {
        Answer.YES: "The applicant now owns a listed company.",
        Answer.NO: "The applicant does not own a listed company.",
        Answer.UNKNOWN: "Not yet known whether the applicant now owns a listed company.",
    }[answer]
    missing = ("owns_listed_company",) if answer is Answer.UNKNOWN else ()
    return _Judged(_status(answer), reason, data, missing)


_JUDGES: dict[str, Callable[[Criterion, CaseFacts], _Judged]] = {
    "age": _age,
    "degree": _degree,
    "stem_degree": _stem_degree,
    "two_languages": _two_languages,
    "english": _english,
    "work_years": _years,
    "multinational_work": _years,
    "sector_work": _years,
    "international_work": _years,
    "income": _amount,
    "business_profit": _amount,
    "listed_company": _listed_company,
}
