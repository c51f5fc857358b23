"""P7 Dependants: who may accompany the applicant.

Only the spouse and unmarried children under the rule set's child age may accompany. P7 never
fails a case: an ineligible dependant is flagged and left out of the family application. The
per-dependant decisions are computed once and shared: P2 needs them to pick the deposit
threshold and the General Points Test needs them for the family points.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from .ages import age_on, date_turning
from .facts import CaseFacts, DependantFacts
from .outcome import Outcome, RuleOutcome
from .ruleset import RuleSet
from .text import iso, join_words, plural
from .vocab import Answer, MaritalStatus, Relationship

__all__ = ["DependantDecision", "DependantStatus", "DependantsAssessment", "assess_dependants"]


class DependantStatus(StrEnum):
    ELIGIBLE = "eligible"
    INELIGIBLE = "ineligible"
    UNDECIDED = "undecided"  # data is missing or contradictory


@dataclass(frozen=True)
class DependantDecision:
    dependant: DependantFacts
    status: DependantStatus
    reason: str
    actions: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    turns_adult_on: date | None = None  # children: the day they reach the child age limit

    @property
    def name(self) -> str:
        return self.dependant.display_name

    def to_data(self) -> dict[str, Any]:
        dependant = self.dependant
        data: dict[str, Any] = {
            "id": dependant.id,
            "name": dependant.name,
            "relationship": dependant.relationship.value,
            "reason": self.reason,
        }
        if self.turns_adult_on is not None:
            data["turns_adult_on"] = iso(self.turns_adult_on)
        return data


@dataclass(frozen=True)
class DependantsAssessment:
    decisions: tuple[DependantDecision, ...]
    extra_actions: tuple[str, ...] = ()  # case-level problems, e.g. two spouses recorded

    def with_status(self, status: DependantStatus) -> tuple[DependantDecision, ...]:
        return tuple(d for d in self.decisions if d.status is status)

    @property
    def family_application(self) -> bool | None:
        """True with any eligible dependant, False with none possible, None while undecided."""
        if self.with_status(DependantStatus.ELIGIBLE):
            return True
        if self.with_status(DependantStatus.UNDECIDED):
            return None
        return False

    def count(self, relationship: Relationship, status: DependantStatus) -> int:
        return sum(
            1
            for d in self.decisions
            if d.status is status and d.dependant.relationship is relationship
        )

    def spouse_degree_answers(self, statuses: tuple[DependantStatus, ...]) -> list[Answer]:
        return [
            d.dependant.spouse_has_degree
            for d in self.decisions
            if d.status in statuses and d.dependant.relationship is Relationship.SPOUSE
        ]


def assess_dependants(facts: CaseFacts, rules: RuleSet) -> DependantsAssessment:
    """Decide each dependant; ``planned_submission_date`` feeds the turning-18 warning."""
    decisions = tuple(_decide(d, facts, rules) for d in facts.dependants)
    return DependantsAssessment(decisions, _spouse_problems(decisions))


def _decide(dependant: DependantFacts, facts: CaseFacts, rules: RuleSet) -> DependantDecision:
    if dependant.relationship is Relationship.SPOUSE:
        return _decide_spouse(dependant)
    if dependant.relationship is Relationship.CHILD:
        return _decide_child(dependant, facts, rules)
    return DependantDecision(
        dependant,
        DependantStatus.INELIGIBLE,
        f"{dependant.display_name} ({dependant.relationship.value}) cannot accompany: only the "
        "spouse and unmarried children under "
        f"{rules.dependant_child_max_age} may, so they are left out of the family application.",
    )


def _decide_spouse(dependant: DependantFacts) -> DependantDecision:
    name = dependant.display_name
    status = dependant.marital_status
    if status is None or status is MaritalStatus.MARRIED:
        reason = f"{name} may accompany as spouse."
        return DependantDecision(dependant, DependantStatus.ELIGIBLE, reason)
    return DependantDecision(
        dependant,
        DependantStatus.UNDECIDED,
        f"{name} is recorded as spouse but with marital status {status.value}.",
        actions=(f"Correct the record of {name}: a spouse cannot be {status.value}.",),
    )


def _decide_child(dependant: DependantFacts, facts: CaseFacts, rules: RuleSet) -> DependantDecision:
    name = dependant.display_name
    limit = rules.dependant_child_max_age
    if dependant.marital_status is MaritalStatus.MARRIED:
        return DependantDecision(
            dependant,
            DependantStatus.INELIGIBLE,
            f"{name} is married: only unmarried children may accompany.",
        )
    born = dependant.date_of_birth
    if born is None:
        return _undecided(
            dependant,
            f"{name}'s date of birth is not recorded.",
            f"Record the date of birth of {name}.",
        )
    if born > facts.check_date:
        return _undecided(
            dependant,
            f"{name}'s date of birth ({iso(born)}) is after the check date.",
            f"Correct the date of birth of {name}.",
        )
    adult_on = date_turning(born, limit)
    age = age_on(born, facts.check_date)
    if age >= limit:
        return DependantDecision(
            dependant,
            DependantStatus.INELIGIBLE,
            f"{name} is {age} (turned {limit} on {iso(adult_on)}): only children under {limit} "
            "may accompany.",
            turns_adult_on=adult_on,
        )
    if dependant.marital_status is None:
        return _undecided(
            dependant,
            f"{name}'s marital status is not recorded (only unmarried children may accompany).",
            f"Record the marital status of {name}.",
            adult_on,
        )
    return _eligible_child(dependant, age, adult_on, facts, limit)


def _eligible_child(
    dependant: DependantFacts, age: int, adult_on: date, facts: CaseFacts, limit: int
) -> DependantDecision:
    name = dependant.display_name
    reason = (
        f"{name} is {age} and unmarried: may accompany until turning {limit} on {iso(adult_on)}."
    )
    planned = facts.planned_submission_date
    if planned is None or planned < facts.check_date or adult_on > planned:
        return DependantDecision(
            dependant, DependantStatus.ELIGIBLE, reason, turns_adult_on=adult_on
        )
    # qmas.md: a child who turns 18 before submission is no longer an eligible dependant.
    # The application is assessed as submitted, so the child leaves the family application
    # (deposit threshold, points) now, with the date that decides it.
    reason = (
        f"{name} turns {limit} on {iso(adult_on)}, on or before the planned submission on "
        f"{iso(planned)}: {name} will no longer be an eligible dependant then."
    )
    action = (
        f"Submit before {iso(adult_on)} to include {name}, or plan the application without them."
    )
    return DependantDecision(
        dependant, DependantStatus.INELIGIBLE, reason, (action,), (), adult_on
    )


def _undecided(
    dependant: DependantFacts, reason: str, action: str, adult_on: date | None = None
) -> DependantDecision:
    return DependantDecision(dependant, DependantStatus.UNDECIDED, reason, (action,), (), adult_on)


def _spouse_problems(decisions: tuple[DependantDecision, ...]) -> tuple[str, ...]:
    spouses = [
        d.name
        for d in decisions
        if d.dependant.relationship is Relationship.SPOUSE and d.status is DependantStatus.ELIGIBLE
    ]
    if len(spouses) < 2:
        return ()
    return (f"Only one spouse may accompany: {join_words(spouses)} are all recorded as spouse.",)


def dependants_outcome(assessment: DependantsAssessment) -> RuleOutcome:
    """P7: pass, or missing while a dependant cannot be decided; never fail."""
    eligible = assessment.with_status(DependantStatus.ELIGIBLE)
    excluded = assessment.with_status(DependantStatus.INELIGIBLE)
    undecided = assessment.with_status(DependantStatus.UNDECIDED)
    actions = [a for d in assessment.decisions for a in d.actions] + list(assessment.extra_actions)
    warnings = [d.reason for d in excluded] + [w for d in eligible for w in d.warnings]
    blocked = bool(undecided or assessment.extra_actions)
    return RuleOutcome(
        code="P7",
        title="Dependants",
        outcome=Outcome.MISSING if blocked else Outcome.PASS,
        reason=_dependants_reason(eligible, excluded, undecided),
        data={
            "family_application": assessment.family_application,
            "eligible": [d.to_data() for d in eligible],
            "excluded": [d.to_data() for d in excluded],
            "undecided": [d.to_data() for d in undecided],
        },
        actions=tuple(actions),
        warnings=tuple(warnings),
    )


def _dependants_reason(
    eligible: tuple[DependantDecision, ...],
    excluded: tuple[DependantDecision, ...],
    undecided: tuple[DependantDecision, ...],
) -> str:
    if not (eligible or excluded or undecided):
        return "No dependants recorded: this is a single application."
    parts = []
    if eligible:
        parts.append(
            f"{plural(len(eligible), 'dependant')} may accompany "
            f"({join_words(d.name for d in eligible)})"
        )
    if excluded:
        parts.append(
            f"{plural(len(excluded), 'dependant')} cannot accompany "
            f"({join_words(d.name for d in excluded)})"
        )
    if undecided:
        parts.append(
            f"{plural(len(undecided), 'dependant')} cannot be decided yet "
            f"({join_words(d.name for d in undecided)})"
        )
    return "; ".join(parts) + "."
