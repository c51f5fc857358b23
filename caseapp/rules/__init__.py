"""QMAS rules: plain facts in, outcomes with reasons out.

Framework-free by design (stdlib only, no clock): services build :class:`CaseFacts` from a case,
call :func:`evaluate`, and store ``CheckResult.to_dict()`` with the check run. The numbers live
in versioned rule sets (``rulesets/*.json``), not in code.

    from caseapp.rules import CaseFacts, ApplicantFacts, evaluate
    result = evaluate(CaseFacts(applicant=ApplicantFacts(...), check_date=today))
    result.verdict, result.next_actions
"""

from __future__ import annotations

from .evaluate import evaluate
from .facts import ApplicantFacts, CaseFacts, DependantFacts, DepositFacts
from .outcome import (
    AchievementPointsResult,
    CheckResult,
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
    rule_set_for,
)

__all__ = [
    "DEFAULT_VERSION",
    "AchievementPointsResult",
    "ApplicantFacts",
    "CaseFacts",
    "CheckResult",
    "DependantFacts",
    "DepositFacts",
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
    "rule_set_for",
]
