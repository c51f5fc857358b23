"""QMAS rules: plain facts in, outcomes with reasons out.

Framework-free by design (stdlib only, no clock): services build :class:`CaseFacts` from a case,
call :func:`evaluate`, and store ``CheckResult.to_dict()`` with the check run. The numbers live
in versioned rule sets (``rulesets/*.json``), not in code.

    from caseapp.rules import CaseFacts, ApplicantFacts, evaluate
    result = evaluate(CaseFacts(applicant=ApplicantFacts(...), check_date=today))
    result.verdict, result.next_actions

Which rule set applies is the one in force on the day the application is lodged:

    facts = CaseFacts(..., check_date=today, planned_submission_date=..., submitted_on=...)
    rules = rule_set_in_force(packaged_rule_sets(), facts.lodging_date)
    result = evaluate(facts, rules)
"""

from __future__ import annotations

from .evaluate import evaluate
from .facts import ApplicantFacts, CaseFacts, DependantFacts, DepositFacts, lodging_date
from .outcome import (
    AchievementPointsResult,
    CheckResult,
    CriterionResult,
    CriterionStatus,
    GeneralCriteriaResult,
    GeneralPointsResult,
    Outcome,
    PointsFactor,
    RuleOutcome,
    Verdict,
)
from .ruleset import (
    DEFAULT_VERSION,
    RuleSet,
    available_rule_sets,
    default_rule_set,
    load_rule_set,
    packaged_rule_sets,
    rule_set_for,
    rule_set_in_force,
)

__all__ = [
    "DEFAULT_VERSION",
    "AchievementPointsResult",
    "ApplicantFacts",
    "CaseFacts",
    "CheckResult",
    "CriterionResult",
    "CriterionStatus",
    "DependantFacts",
    "DepositFacts",
    "GeneralCriteriaResult",
    "GeneralPointsResult",
    "Outcome",
    "PointsFactor",
    "RuleOutcome",
    "RuleSet",
    "Verdict",
    "available_rule_sets",
    "default_rule_set",
    "evaluate",
    "load_rule_set",
    "lodging_date",
    "packaged_rule_sets",
    "rule_set_for",
    "rule_set_in_force",
]
