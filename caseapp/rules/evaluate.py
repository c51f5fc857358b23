"""The one entry point: ``evaluate(facts)`` runs every QMAS rule and returns a CheckResult.

The rule set chooses the kind of General Points Test: a points table (``points.py``) or a count
of criteria (``criteria.py``); everything else takes the same path for both.

The verdict follows qmas.md: eligible when P1-P6 all pass and a points test passes; not eligible
when any of P1-P6 fails or neither points test can pass; otherwise incomplete, with the next
actions gathered from every rule in order and without repeats.

Under the verdict's summary, the headline names every prerequisite that is not a pass, each
with its short reason: fails and missing information from P1-P7, and every dependant P7 flags
(P7 never changes the verdict, but a dependant left behind is news the client must hear).
"""

from __future__ import annotations

from collections.abc import Iterable

from .criteria import general_criteria_test
from .dependants import assess_dependants, dependants_headline, dependants_outcome
from .facts import CaseFacts
from .financial import check_financial
from .outcome import (
    AchievementPointsResult,
    CheckResult,
    GeneralCriteriaResult,
    GeneralPointsResult,
    HeadlineItem,
    Outcome,
    RuleOutcome,
    Verdict,
)
from .points import achievement_points_test, general_points_test
from .prerequisites import (
    check_age,
    check_character,
    check_education,
    check_language,
    check_nationality,
    passport_notes,
)
from .ruleset import GeneralPointsCriteria, RuleSet, default_rule_set
from .text import iso, join_words, plural

__all__ = ["decide_verdict", "evaluate", "headline"]

DECIDING = ("P1", "P2", "P3", "P4", "P5", "P6")  # P7 never fails a case

GeneralResult = GeneralPointsResult | GeneralCriteriaResult


def evaluate(facts: CaseFacts, rule_set: RuleSet | None = None) -> CheckResult:
    """Check ``facts`` against ``rule_set`` (the default packaged one if None).

    Pure: the same facts and rule set always give the same result; the check date is in the
    facts, never read from a clock.
    """
    rules = rule_set or default_rule_set()
    dependants = assess_dependants(facts, rules)
    prerequisites = (
        check_age(facts, rules),
        check_financial(facts, rules, dependants),
        check_character(facts.applicant),
        check_language(facts.applicant),
        check_education(facts.applicant),
        check_nationality(facts.applicant, rules),
        dependants_outcome(dependants),
    )
    general: GeneralResult
    if isinstance(rules.general_points, GeneralPointsCriteria):
        general = general_criteria_test(facts, rules)
    else:
        general = general_points_test(facts, rules, dependants)
    achievement = achievement_points_test(facts.applicant, rules)
    verdict = decide_verdict(prerequisites, general, achievement)
    passport_warnings, passport_actions = passport_notes(facts, rules)
    next_actions = _unique(
        *(rule.actions for rule in prerequisites),
        *_points_actions(general, achievement),
        passport_actions,
    )
    return CheckResult(
        rule_set_version=rules.version,
        rule_set_overrides=dict(rules.overrides),
        check_date=facts.check_date,
        planned_submission_date=facts.planned_submission_date,
        verdict=verdict,
        summary=_summary(verdict, prerequisites, general, achievement, len(next_actions)),
        prerequisites=prerequisites,
        general_points=general,
        achievement_points=achievement,
        family_application=dependants.family_application,
        warnings=_unique(
            _planned_date_warning(facts),
            _rule_set_date_warning(facts, rules),
            *(rule.warnings for rule in prerequisites),
            general.warnings,
            passport_warnings,
        ),
        next_actions=next_actions,
        headline=headline(prerequisites, dependants_headline(dependants)),
        lodging_date=facts.lodging_date,
        rule_set_effective_date=rules.effective_date,
    )


def headline(
    prerequisites: Iterable[RuleOutcome], dependant_items: Iterable[HeadlineItem] = ()
) -> tuple[HeadlineItem, ...]:
    """Every prerequisite that is not a pass, in rule order, with its short reason.

    P7 is told by ``dependant_items`` (one per dependant flagged or undecided, from
    ``dependants_headline``) rather than by its outcome: a P7 that passes may still have left
    a dependant out, and an undecided one is better named than counted.
    """
    items: list[HeadlineItem] = []
    for rule in prerequisites:
        if rule.code == "P7":
            items.extend(dependant_items)
        elif rule.outcome is not Outcome.PASS:
            items.append(
                HeadlineItem(
                    code=rule.code,
                    title=rule.title,
                    status=rule.outcome.value,
                    text=rule.short_reason,
                )
            )
    return tuple(items)


def decide_verdict(
    prerequisites: Iterable[RuleOutcome],
    general: GeneralResult,
    achievement: AchievementPointsResult,
) -> Verdict:
    """Eligible / not eligible / incomplete from the outcomes (P7 is ignored: it never fails).

    A points test counts as failed once it cannot pass (``passed is False``): for the GPT that is
    either complete and below the pass mark (or threshold), or short of it even with every
    unknown at its best.
    """
    outcomes = [rule.outcome for rule in prerequisites if rule.code in DECIDING]
    if Outcome.FAIL in outcomes:
        return Verdict.NOT_ELIGIBLE
    if general.passed is False and achievement.passed is False:
        return Verdict.NOT_ELIGIBLE
    points_pass = bool(general.passed or achievement.passed)
    if points_pass and len(outcomes) == len(DECIDING) and set(outcomes) == {Outcome.PASS}:
        return Verdict.ELIGIBLE
    return Verdict.INCOMPLETE


def _points_actions(
    general: GeneralResult, achievement: AchievementPointsResult
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Once one points test passes, the other one's questions are no longer worth asking."""
    if general.passed or achievement.passed:
        return (), ()
    return general.actions, achievement.actions


def _planned_date_warning(facts: CaseFacts) -> tuple[str, ...]:
    planned = facts.planned_submission_date
    if planned is None or planned >= facts.check_date:
        return ()
    return (
        f"The planned submission date ({iso(planned)}) is before the check date "
        f"({iso(facts.check_date)}): update it to check deposits and dependants against it.",
    )


def _rule_set_date_warning(facts: CaseFacts, rules: RuleSet) -> tuple[str, ...]:
    """A rule set that takes effect after the lodging date cannot be the one that applies."""
    lodged = facts.lodging_date
    if rules.effective_date <= lodged:
        return ()
    return (
        f"Rule set {rules.version} takes effect on {iso(rules.effective_date)}, after the "
        f"lodging date ({iso(lodged)}): the application will be judged by the rule set in "
        "force on the lodging date.",
    )


def _unique(*groups: Iterable[str]) -> tuple[str, ...]:
    """Every string once, in first-seen order: two rules asking the same question ask once."""
    return tuple(dict.fromkeys(item for group in groups for item in group))


def _summary(
    verdict: Verdict,
    prerequisites: tuple[RuleOutcome, ...],
    general: GeneralResult,
    achievement: AchievementPointsResult,
    action_count: int,
) -> str:
    deciding = [rule for rule in prerequisites if rule.code in DECIDING]
    if verdict is Verdict.ELIGIBLE:
        return f"Eligible: every prerequisite passes and {_passing_test(general, achievement)}."
    failed = [f"{rule.code} {rule.title}" for rule in deciding if rule.outcome is Outcome.FAIL]
    if verdict is Verdict.NOT_ELIGIBLE and failed:
        return f"Not eligible: {join_words(failed)} {'fails' if len(failed) == 1 else 'fail'}."
    if verdict is Verdict.NOT_ELIGIBLE and isinstance(general, GeneralCriteriaResult):
        return (
            "Not eligible: neither points test can pass (General Points Test at most "
            f"{general.best_possible} of the {general.threshold} criteria needed; no achievement "
            "claimed)."
        )
    if verdict is Verdict.NOT_ELIGIBLE:
        return (
            "Not eligible: neither points test can pass (General Points Test at most "
            f"{general.best_possible} of the {general.pass_mark} needed; no achievement claimed)."
        )
    missing = [rule.code for rule in deciding if rule.outcome is Outcome.MISSING]
    parts = [f"{join_words(missing)} missing information"] if missing else []
    if not (general.passed or achievement.passed):
        parts.append("no points test passed yet")
    return f"Incomplete: {'; '.join(parts)} ({plural(action_count, 'next action')})."


def _passing_test(general: GeneralResult, achievement: AchievementPointsResult) -> str:
    if general.passed and isinstance(general, GeneralCriteriaResult):
        met = f"{general.met} of {len(general.criteria)} criteria met, {general.threshold} needed"
        return f"the General Points Test passes ({met})"
    if general.passed:
        points = f"{general.total} points, pass mark {general.pass_mark}"
        return f"the General Points Test passes ({points})"
    return f"the Achievement-based Points Test passes ({achievement.points} points)"
