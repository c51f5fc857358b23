"""P7 Dependants: who may accompany the applicant.

Only the spouse and unmarried children under the rule set's child age may accompany. P7 never
fails a case: an ineligible dependant is flagged and left out of the family application. The
per-dependant decisions are computed once and shared: ``DependantsAssessment.accompanying`` is
the one list both P2 (single or family deposit threshold) and the General Points Test (child
and spouse points) read, so they can never disagree about who comes along.

Only one spouse may accompany. The rule chosen (issue 8): the first spouse, in the order the
dependants are given (the app gives them by id, i.e. in the order they were recorded), whom the
rules would otherwise let accompany is the accompanying spouse; every further such spouse is
flagged as unable to accompany and counts for neither the family application nor the points.
Nothing in the data says which of two spouses is the real one, so the rules keep the earliest
record rather than guess, and say which one they kept so the consultant can correct the file.
A dependant recorded as spouse with a marital status other than married stays undecided, as
before, and does not take the place of a spouse who may accompany.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from enum import StrEnum
from typing import Any

from .ages import age_on, date_turning
from .facts import CaseFacts, DependantFacts
from .outcome import HeadlineItem, Outcome, RuleOutcome
from .ruleset import RuleSet
from .text import iso, join_words, plural
from .vocab import MaritalStatus, Relationship

__all__ = [
    "DependantDecision",
    "DependantStatus",
    "DependantsAssessment",
    "assess_dependants",
    "dependants_headline",
    "dependants_outcome",
]


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
    short: str = ""  # the verdict headline's words for a dependant flagged or undecided

    @property
    def name(self) -> str:
        return self.dependant.display_name

    @property
    def is_spouse(self) -> bool:
        return self.dependant.relationship is Relationship.SPOUSE

    @property
    def is_child(self) -> bool:
        return self.dependant.relationship is Relationship.CHILD

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

    def with_status(self, status: DependantStatus) -> tuple[DependantDecision, ...]:
        return tuple(d for d in self.decisions if d.status is status)

    @property
    def accompanying(self) -> tuple[DependantDecision, ...]:
        """The dependants who accompany the applicant: at most one spouse, eligible children.

        The single source for "who comes along": the family application (and so P2's deposit
        threshold) and the General Points Test's family points both read this list.
        """
        return self.with_status(DependantStatus.ELIGIBLE)

    @property
    def undecided(self) -> tuple[DependantDecision, ...]:
        return self.with_status(DependantStatus.UNDECIDED)

    @property
    def family_application(self) -> bool | None:
        """True with anyone accompanying, False with nobody possible, None while undecided."""
        if self.accompanying:
            return True
        if self.undecided:
            return None
        return False

    @property
    def accompanying_spouse(self) -> DependantDecision | None:
        return next((d for d in self.accompanying if d.is_spouse), None)

    @property
    def spouse_contenders(self) -> tuple[DependantDecision, ...]:
        """Undecided spouses who would become the accompanying spouse once their record is
        corrected: all of them while no spouse accompanies, else those recorded before the
        accompanying spouse (the first one wins). One recorded after it would be a second spouse.
        """
        contenders = []
        for decision in self.decisions:
            if decision.is_spouse and decision.status is DependantStatus.ELIGIBLE:
                break
            if decision.is_spouse and decision.status is DependantStatus.UNDECIDED:
                contenders.append(decision)
        return tuple(contenders)


def assess_dependants(facts: CaseFacts, rules: RuleSet) -> DependantsAssessment:
    """Decide each dependant; ``planned_submission_date`` feeds the turning-18 warning."""
    decisions = tuple(_decide(d, facts, rules) for d in facts.dependants)
    return DependantsAssessment(_one_spouse(decisions))


def _one_spouse(decisions: tuple[DependantDecision, ...]) -> tuple[DependantDecision, ...]:
    """Keep the first spouse who may accompany; flag every later one (see the module doc)."""
    first: DependantDecision | None = None
    kept = []
    for decision in decisions:
        if decision.is_spouse and decision.status is DependantStatus.ELIGIBLE:
            if first is None:
                first = decision
            else:
                decision = _second_spouse(decision, first)
        kept.append(decision)
    return tuple(kept)


def _second_spouse(decision: DependantDecision, first: DependantDecision) -> DependantDecision:
    name = decision.name
    return replace(
        decision,
        status=DependantStatus.INELIGIBLE,
        reason=(
            f"{name} cannot accompany: only one spouse may accompany the applicant; "
            f"{first.name} is already listed as the accompanying spouse. If {name} is the "
            f"spouse, correct or remove the record of {first.name}."
        ),
        short=(
            f"{name} (spouse) cannot accompany: only one spouse may accompany the applicant; "
            f"{first.name} is already listed as the accompanying spouse"
        ),
    )


def _decide(dependant: DependantFacts, facts: CaseFacts, rules: RuleSet) -> DependantDecision:
    if dependant.relationship is Relationship.SPOUSE:
        return _decide_spouse(dependant)
    if dependant.relationship is Relationship.CHILD:
        return _decide_child(dependant, facts, rules)
    name = dependant.display_name
    relationship = dependant.relationship.value
    return DependantDecision(
        dependant,
        DependantStatus.INELIGIBLE,
        f"{name} ({relationship}) cannot accompany: only the spouse and unmarried children under "
        f"{rules.dependant_child_max_age} may, so they are left out of the family application.",
        short=f"{name} ({relationship}) cannot accompany",
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
        short=f"{name} (spouse, recorded as {status.value}) cannot be decided yet",
    )


def _decide_child(dependant: DependantFacts, facts: CaseFacts, rules: RuleSet) -> DependantDecision:
    name = dependant.display_name
    limit = rules.dependant_child_max_age
    if dependant.marital_status is MaritalStatus.MARRIED:
        return DependantDecision(
            dependant,
            DependantStatus.INELIGIBLE,
            f"{name} is married: only unmarried children may accompany.",
            short=f"{name} (child, married) cannot accompany",
        )
    born = dependant.date_of_birth
    if born is None:
        return _undecided(
            dependant,
            f"{name}'s date of birth is not recorded.",
            f"Record the date of birth of {name}.",
            "date of birth not recorded",
        )
    if born > facts.check_date:
        return _undecided(
            dependant,
            f"{name}'s date of birth ({iso(born)}) is after the check date.",
            f"Correct the date of birth of {name}.",
            "date of birth after the check date",
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
            short=f"{name} (child, {limit} on {iso(adult_on)}) cannot accompany",
        )
    if dependant.marital_status is None:
        return _undecided(
            dependant,
            f"{name}'s marital status is not recorded (only unmarried children may accompany).",
            f"Record the marital status of {name}.",
            "marital status not recorded",
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
    short = (
        f"{name} (child, {limit} on {iso(adult_on)}, by the planned submission on {iso(planned)}) "
        "cannot accompany"
    )
    return DependantDecision(
        dependant, DependantStatus.INELIGIBLE, reason, (action,), (), adult_on, short
    )


def _undecided(
    dependant: DependantFacts,
    reason: str,
    action: str,
    missing: str,
    adult_on: date | None = None,
) -> DependantDecision:
    """A child who cannot be decided yet; ``missing`` is the headline's few words on why."""
    short = f"{dependant.display_name} (child) cannot be decided yet: {missing}"
    return DependantDecision(
        dependant, DependantStatus.UNDECIDED, reason, (action,), (), adult_on, short
    )


P7_TITLE = "Dependants"


def dependants_headline(assessment: DependantsAssessment) -> tuple[HeadlineItem, ...]:
    """P7's lines for the verdict headline: every dependant flagged or not yet decided.

    P7 never fails a case, yet a dependant left out of the family application changes what
    the client can expect, so each one is named in the headline with its short reason.
    """
    return tuple(
        HeadlineItem(
            code="P7",
            title=P7_TITLE,
            status="flagged" if d.status is DependantStatus.INELIGIBLE else Outcome.MISSING.value,
            text=d.short or d.reason,
        )
        for d in assessment.decisions
        if d.status is not DependantStatus.ELIGIBLE
    )


def dependants_outcome(assessment: DependantsAssessment) -> RuleOutcome:
    """P7: pass, or missing while a dependant cannot be decided; never fail."""
    eligible = assessment.accompanying
    excluded = assessment.with_status(DependantStatus.INELIGIBLE)
    undecided = assessment.undecided
    actions = [a for d in assessment.decisions for a in d.actions]
    warnings = [d.reason for d in excluded] + [w for d in eligible for w in d.warnings]
    return RuleOutcome(
        code="P7",
        title=P7_TITLE,
        outcome=Outcome.MISSING if undecided else Outcome.PASS,
        reason=_dependants_reason(eligible, excluded, undecided),
        short=f"{plural(len(undecided), 'dependant')} cannot be decided yet" if undecided else "",
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
