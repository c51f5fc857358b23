"""The two points tests: the General Points Test (GPT) and the Achievement-based one (ABPT).

Every number comes from the rule set's tables. Each GPT factor is scored twice: with unknown
inputs counted as worst (``points``) and as best (``best_case``). Known points can only grow as
inputs arrive, so the test passes as soon as the known points reach the pass mark, fails as soon
as even the best case cannot, and is undecided in between.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from .ages import age_on, date_turning
from .answers import bounds, relevant_unknowns
from .dependants import DependantsAssessment
from .facts import ApplicantFacts, CaseFacts
from .inputs import collect, short
from .outcome import AchievementPointsResult, GeneralPointsResult, Outcome, PointsFactor
from .prerequisites import (
    CORRECT_DATE_OF_BIRTH,
    chinese_proficient,
    english_proficient,
    language_answers,
)
from .ruleset import AgeBand, EducationTier, GeneralPointsTable, LanguagePoints, RuleSet
from .text import iso, join_words, plural
from .vocab import Answer, Qualification

__all__ = ["achievement_points_test", "general_points_test"]

# Stands in for "any number" when an unknown count or number of years is taken at its best.
_UNBOUNDED = 999


def general_points_test(
    facts: CaseFacts, rules: RuleSet, dependants: DependantsAssessment
) -> GeneralPointsResult:
    """Score the five factors and decide pass / fail / undecided against the pass mark."""
    table = rules.general_points
    if not isinstance(table, GeneralPointsTable):
        raise TypeError(f"rule set {rules.version} has no points-table General Points Test")
    maxima = table.factor_maxima()
    factors = (
        _age_factor(facts, table, maxima["age"]),
        _education_factor(facts.applicant, table, maxima["education"]),
        _work_factor(facts.applicant, table, maxima["work_experience"]),
        _language_factor(facts.applicant, table.language, maxima["language"]),
        _family_factor(facts.applicant, dependants, table, maxima["family"]),
    )
    total = sum(f.points for f in factors)
    best = sum(f.best_case for f in factors)
    passed = True if total >= table.pass_mark else False if best < table.pass_mark else None
    actions = tuple(a for f in factors for a in f.actions) if passed is None else ()
    return GeneralPointsResult(
        factors=factors,
        total=total,
        best_possible=best,
        pass_mark=table.pass_mark,
        maximum=table.maximum,
        passed=passed,
        reason=_gpt_reason(total, best, table.pass_mark, passed, complete=total == best),
        actions=actions,
        warnings=_age_band_warning(facts, table, total),
    )


def _gpt_reason(total: int, best: int, pass_mark: int, passed: bool | None, complete: bool) -> str:
    if passed and complete:
        return f"{total} points against the pass mark of {pass_mark}: passes."
    if passed:
        return (
            f"{total} points from what is known already reach the pass mark of {pass_mark}: "
            "passes whatever the missing inputs turn out to be."
        )
    if passed is False and complete:
        return f"{total} points, below the pass mark of {pass_mark} (short by {pass_mark - total})."
    if passed is False:
        return (
            f"{total} points known and at most {best} even if every missing input scores in "
            f"full: cannot reach the pass mark of {pass_mark}."
        )
    return (
        f"{total} points so far, {pass_mark - total} short of the pass mark of {pass_mark}; "
        f"up to {best} possible once the missing inputs are recorded."
    )


def _factor(
    code: str,
    title: str,
    maximum: int,
    points: tuple[int, int],
    explanation: str,
    missing: tuple[str, ...] = (),
    actions: tuple[str, ...] = (),
) -> PointsFactor:
    low, high = points
    if low != high:
        explanation += f" Up to {high} once the missing inputs are known."
    return PointsFactor(
        code=code,
        title=title,
        points=low,
        max=maximum,
        best_case=high,
        explanation=explanation,
        missing=missing if low != high else (),
        actions=actions,
    )


def _band_for(bands: tuple[AgeBand, ...], age: int) -> AgeBand | None:
    return next((band for band in bands if band.covers(age)), None)


def _age_factor(facts: CaseFacts, table: GeneralPointsTable, maximum: int) -> PointsFactor:
    born = facts.applicant.date_of_birth
    lowest = min([0, *(band.points for band in table.age_bands)])
    if born is None or born > facts.check_date:
        action = collect("date_of_birth") if born is None else CORRECT_DATE_OF_BIRTH
        return _factor(
            "age",
            "Age",
            maximum,
            (lowest, maximum),
            "The date of birth is not usable yet.",
            ("date_of_birth",),
            (action,),
        )
    age = age_on(born, facts.check_date)
    band = _band_for(table.age_bands, age)
    if band is None:
        return _factor("age", "Age", maximum, (0, 0), f"Age {age} is in no scoring age band: 0.")
    explanation = f"Age {age} on {iso(facts.check_date)}: band {band.label} scores {band.points}."
    return _factor("age", "Age", maximum, (band.points, band.points), explanation)


def _age_band_warning(facts: CaseFacts, table: GeneralPointsTable, total: int) -> tuple[str, ...]:
    """Warn when the applicant moves to a lower-scoring age band before the planned submission."""
    born, planned = facts.applicant.date_of_birth, facts.planned_submission_date
    check = facts.check_date
    if born is None or planned is None or born > check or planned <= check:
        return ()
    now = _band_for(table.age_bands, age_on(born, check))
    then = _band_for(table.age_bands, age_on(born, planned))
    now_points = now.points if now else 0
    then_points = then.points if then else 0
    if now is None or now.max_age is None or then_points >= now_points:
        return ()
    changes_on = date_turning(born, now.max_age + 1)
    warning = (
        f"The applicant turns {now.max_age + 1} on {iso(changes_on)}, before the planned "
        f"submission on {iso(planned)}: the age score drops from {now_points} to "
        f"{then_points}."
    )
    after = total - now_points + then_points
    if total >= table.pass_mark > after:
        warning += (
            f" The known total would fall to {after}, below the pass mark of {table.pass_mark}."
        )
    return (warning,)


_DEGREES = (
    ("doctorate_count", Qualification.DOCTORATE),
    ("master_count", Qualification.MASTER),
    ("bachelor_count", Qualification.BACHELOR),
)
_LEVELS = list(Qualification)


def _count_bounds(
    count: int | None, level: Qualification, highest: Qualification | None
) -> tuple[int, int]:
    """(worst, best) number of degrees at ``level``, narrowed by the highest qualification."""
    if count is not None:
        return count, count
    low = 1 if highest is level else 0
    above_highest = highest is not None and _LEVELS.index(level) > _LEVELS.index(highest)
    return low, 0 if above_highest else _UNBOUNDED


def _best_tier(
    tiers: tuple[EducationTier, ...], counts: Mapping[str, int], professional: bool
) -> EducationTier | None:
    met = [
        tier
        for tier in tiers
        if tier.met_by(
            counts["doctorate_count"],
            counts["master_count"],
            counts["bachelor_count"],
            professional,
        )
    ]
    return max(met, key=lambda tier: tier.points, default=None)


def _education_factor(
    applicant: ApplicantFacts, table: GeneralPointsTable, maximum: int
) -> PointsFactor:
    ranges = {
        name: _count_bounds(getattr(applicant, name), level, applicant.highest_qualification)
        for name, level in _DEGREES
    }
    professional = applicant.professional_qualification
    worst = _best_tier(table.education, {n: r[0] for n, r in ranges.items()}, professional)
    best = _best_tier(table.education, {n: r[1] for n, r in ranges.items()}, professional)
    points = (worst.points if worst else 0, best.points if best else 0)
    if worst:
        explanation = f"Holds {worst.label}: {worst.points}."
    else:
        explanation = "No scoring qualification: 0."
    unknown = tuple(name for name, (low, high) in ranges.items() if low != high)
    return _factor(
        "education",
        "Education",
        maximum,
        points,
        explanation,
        unknown,
        tuple(collect(name) for name in unknown) if points[0] != points[1] else (),
    )


def _work_points(table: GeneralPointsTable, years: int, senior: int) -> tuple[int, str]:
    met = [tier for tier in table.work_experience if tier.met_by(years, senior)]
    tier = max(met, key=lambda t: t.points, default=None)
    return (tier.points, tier.label) if tier else (0, "")


def _work_factor(
    applicant: ApplicantFacts, table: GeneralPointsTable, maximum: int
) -> PointsFactor:
    years, senior = applicant.graduate_work_years, applicant.senior_work_years
    # Senior years are part of the graduate-level years, which bounds each unknown by the other.
    years_low = years if years is not None else (senior or 0)
    years_high = years if years is not None else _UNBOUNDED
    senior_low = senior if senior is not None else 0
    senior_high = senior if senior is not None else years_high
    low, label = _work_points(table, years_low, min(senior_low, years_low))
    high, _ = _work_points(table, max(years_high, senior_high), senior_high)
    explanation = _work_explanation(years, senior, low, label)
    unknown = tuple(
        n for n, v in (("graduate_work_years", years), ("senior_work_years", senior)) if v is None
    )
    actions = tuple(collect(n) for n in unknown) if low != high else ()
    if years is not None and senior is not None and senior > years:
        actions += (
            f"Correct the work experience: {senior} senior years cannot exceed the "
            f"{years} years at graduate level that include them.",
        )
    return _factor(
        "work_experience", "Work experience", maximum, (low, high), explanation, unknown, actions
    )


def _work_explanation(years: int | None, senior: int | None, points: int, label: str) -> str:
    shown_years = "unknown" if years is None else str(years)
    shown_senior = "unknown" if senior is None else str(senior)
    start = f"{shown_years} years at graduate or specialist level, {shown_senior} of them senior"
    return f"{start}: {label} scores {points}." if label else f"{start}: 0."


_LANGUAGE_INPUTS = (
    "english_written",
    "english_spoken",
    "chinese_written",
    "putonghua_spoken",
    "cantonese_spoken",
    "other_foreign_language",
)


def _language_rule(table: LanguagePoints) -> Callable[[Mapping[str, bool]], int]:
    def score(a: Mapping[str, bool]) -> int:
        chinese, english = chinese_proficient(a), english_proficient(a)
        if chinese and english:
            return table.both
        if chinese or english:
            return table.one_plus_foreign if a["other_foreign_language"] else table.one
        return 0

    return score


def _language_factor(
    applicant: ApplicantFacts, table: LanguagePoints, maximum: int
) -> PointsFactor:
    answers = language_answers(applicant, _LANGUAGE_INPUTS)
    rule = _language_rule(table)
    low, high = bounds(answers, rule)
    known = {name: answer is Answer.YES for name, answer in answers.items()}
    explanation = _language_explanation(known, low)
    unknown = tuple(relevant_unknowns(answers, rule)) if low != high else ()
    if unknown:
        explanation += f" Not yet known: {join_words(short(n) for n in unknown)}."
    return _factor(
        "language",
        "Language",
        maximum,
        (low, high),
        explanation,
        unknown,
        tuple(collect(n) for n in unknown),
    )


def _language_explanation(known: Mapping[str, bool], points: int) -> str:
    chinese, english = chinese_proficient(known), english_proficient(known)
    if chinese and english:
        return f"Chinese and English: {points}."
    if chinese or english:
        which = "Chinese" if chinese else "English"
        if known["other_foreign_language"]:
            return f"{which} plus another foreign language: {points}."
        return f"{which} only: {points}."
    return f"Neither Chinese nor English at the required level: {points}."


def _family_factor(
    applicant: ApplicantFacts,
    dependants: DependantsAssessment,
    table: GeneralPointsTable,
    maximum: int,
) -> PointsFactor:
    family = table.family
    # Who accompanies comes from the one list P2's threshold reads too (see dependants).
    children = sum(1 for d in dependants.accompanying if d.is_child)
    maybe_children = children + sum(1 for d in dependants.undecided if d.is_child)
    child_points = (
        min(children * family.per_child, family.child_max),
        min(maybe_children * family.per_child, family.child_max),
    )
    spouse_points = _spouse_points(dependants, family.spouse_degree)
    hk = applicant.hk_permanent_resident_family
    hk_points = (
        family.hk_permanent_resident if hk is Answer.YES else 0,
        0 if hk is Answer.NO else family.hk_permanent_resident,
    )
    low = child_points[0] + spouse_points[0] + hk_points[0]
    high = child_points[1] + spouse_points[1] + hk_points[1]
    missing, actions = _family_missing(dependants, child_points, spouse_points, hk_points)
    explanation = (
        f"{plural(children, 'accompanying child', 'accompanying children')}: {child_points[0]}; "
        f"spouse with a degree: {spouse_points[0]}; "
        f"Hong Kong permanent resident family member: {hk_points[0]}."
    )
    return _factor(
        "family", "Family background", maximum, (low, high), explanation, missing, actions
    )


def _spouse_points(dependants: DependantsAssessment, points: int) -> tuple[int, int]:
    """(known, best case) points for an accompanying spouse with a degree.

    At most one spouse accompanies. An undecided spouse recorded before the accompanying one
    would take their place once corrected, so the known points need every such spouse to hold a
    degree too, and the best case counts any of them who might.
    """
    spouse = dependants.accompanying_spouse
    candidates = (*dependants.spouse_contenders, *((spouse,) if spouse else ()))
    answers = {d.dependant.spouse_has_degree for d in candidates}
    sure = spouse is not None and answers == {Answer.YES}
    maybe = bool(answers & {Answer.YES, Answer.UNKNOWN})
    return (points if sure else 0, points if maybe else 0)


def _family_missing(
    dependants: DependantsAssessment,
    child_points: tuple[int, int],
    spouse_points: tuple[int, int],
    hk_points: tuple[int, int],
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    missing: list[str] = []
    actions: list[str] = []
    if child_points[0] != child_points[1]:
        missing.append("children")
        actions += [
            a
            for d in dependants.undecided
            if d.is_child
            for a in d.actions
        ]
    if spouse_points[0] != spouse_points[1]:
        missing.append("spouse_has_degree")
        spouse = dependants.accompanying_spouse
        candidates = (*dependants.spouse_contenders, *((spouse,) if spouse else ()))
        actions += [
            f"Record whether {d.name} (spouse) holds a bachelor's degree or above."
            for d in candidates
            if d.dependant.spouse_has_degree is Answer.UNKNOWN
        ]
    if hk_points[0] != hk_points[1]:
        missing.append("hk_permanent_resident_family")
        actions.append(collect("hk_permanent_resident_family"))
    return tuple(missing), tuple(actions)


def achievement_points_test(applicant: ApplicantFacts, rules: RuleSet) -> AchievementPointsResult:
    """ABPT: all or nothing. The consultant asserts the achievement; the system records it."""
    table = rules.achievement_points
    claim = applicant.achievement_claim
    described = bool(applicant.achievement_description.strip())
    if claim is Answer.YES and described:
        return AchievementPointsResult(
            outcome=Outcome.PASS,
            points=table.points,
            pass_mark=table.pass_mark,
            reason=f"Achievement claimed and recorded: {table.points} points, which passes.",
        )
    if claim is Answer.YES:
        return AchievementPointsResult(
            outcome=Outcome.MISSING,
            points=0,
            pass_mark=table.pass_mark,
            reason="An achievement is claimed but not yet recorded.",
            actions=(collect("achievement_description"),),
        )
    if claim is Answer.NO:
        return AchievementPointsResult(
            outcome=Outcome.FAIL,
            points=0,
            pass_mark=table.pass_mark,
            reason="No outstanding achievement is claimed.",
        )
    return AchievementPointsResult(
        outcome=Outcome.MISSING,
        points=0,
        pass_mark=table.pass_mark,
        reason="Not yet known whether the applicant claims an outstanding achievement.",
        actions=(collect("achievement_claim"),),
    )
