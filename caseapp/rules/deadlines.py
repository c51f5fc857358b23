"""The dates that sink applications, as deadlines: what to do by when, and for whom.

From a case's facts and the rule set: each passport's expiry (the applicant's and each
accompanying dependant's, due on the day the checks start to warn about it), each counted bank
statement's last fresh day, each unmarried child's coming of age (while the case is not yet
submitted: a child who comes of age before submission no longer counts), and the planned
submission date. Facts that are not the scheme's (a check too old to submit on, ImmD's reply
date, a consultant's follow-up) are dated by the caller, which knows them.

Plain data in, plain data out: the caller stores them and lists filter and sort on them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from .ages import date_turning, last_day_counted
from .attention import passport_window_opens
from .facts import CaseFacts, DependantFacts
from .financial import _sort_evidence
from .ruleset import RuleSet
from .text import iso
from .vocab import MaritalStatus, Relationship

__all__ = ["DerivedDeadline", "case_deadlines"]


@dataclass(frozen=True)
class DerivedDeadline:
    """``source`` names the cause stably ("passport:applicant", "statement:12", ...), so the
    same cause on a later recomputation is the same deadline; ``person`` is "applicant",
    "dependant:<id>" or "" (the case)."""

    kind: str
    source: str
    due_on: date
    action: str
    person: str = ""


def case_deadlines(facts: CaseFacts, rules: RuleSet) -> tuple[DerivedDeadline, ...]:
    """The case's deadlines that follow from its facts, as of ``facts.check_date``, by date."""
    found: list[DerivedDeadline] = []
    months = rules.passport_warning_months
    submitted = facts.submitted_on is not None
    if not submitted:
        found += _passports(facts, rules, months)
        found += _statements(facts, rules)
        found += _children(facts, rules)
        planned = facts.planned_submission_date
        if planned is not None:
            found.append(DerivedDeadline(
                "planned_submission", "planned", planned,
                f"Planned submission to ImmD on {iso(planned)}: have the case reviewed and "
                "submitted."))
    return tuple(sorted(found, key=lambda d: (d.due_on, d.source)))


def _passports(facts: CaseFacts, rules: RuleSet, months: int) -> list[DerivedDeadline]:
    people = [("applicant", "the applicant", facts.applicant.passport_expiry)]
    people += [(f"dependant:{d.id}", d.display_name, d.passport_expiry)
               for d in facts.dependants if _may_accompany(d, facts.check_date, rules)]
    return [DerivedDeadline(
        "passport_expiry", f"passport:{person}", passport_window_opens(expiry, months),
        f"Passport of {name} expires on {iso(expiry)}: have it renewed (the checks warn "
        f"from {months} months before).", person)
        for person, name, expiry in people if expiry is not None]


def _may_accompany(dependant: DependantFacts, check: date, rules: RuleSet) -> bool:
    """A spouse, or a child who is unmarried and under age on ``check`` (an unknown date of
    birth or marital status may still turn out so): the others' passports are not asked for."""
    if dependant.relationship is Relationship.SPOUSE:
        return True
    if dependant.relationship is not Relationship.CHILD:
        return False
    if dependant.marital_status is MaritalStatus.MARRIED:
        return False
    return (dependant.date_of_birth is None
            or check < date_turning(dependant.date_of_birth, rules.dependant_child_max_age))


def _statements(facts: CaseFacts, rules: RuleSet) -> list[DerivedDeadline]:
    """Each statement that counts, or will once verified: the last day it is fresh. While no
    statement counts, one that went stale stays as an overdue deadline (get a newer one)."""
    months = rules.deposit_freshness_months
    evidence = _sort_evidence(facts.deposits, facts.check_date, months)
    live = [*evidence.counted, *(d for d, why in evidence.excluded if why == "pending")]
    stale = [] if evidence.counted else [d for d, why in evidence.excluded if why == "stale"]
    found = []
    for deposit in [*live, *stale]:
        last = last_day_counted(deposit.statement_date, months)
        found.append(DerivedDeadline(
            "statement_stale", f"statement:{deposit.id}", last,
            f"Statement {deposit.description} counts until {iso(last)}: submit by then or "
            f"get a newer statement ({months} months' freshness)."))
    return found


def _children(facts: CaseFacts, rules: RuleSet) -> list[DerivedDeadline]:
    limit = rules.dependant_child_max_age
    found = []
    for dependant in facts.dependants:
        if (dependant.relationship is not Relationship.CHILD or dependant.date_of_birth is None
                or dependant.marital_status is MaritalStatus.MARRIED):
            continue
        adult_on = date_turning(dependant.date_of_birth, limit)
        if adult_on <= facts.check_date - timedelta(days=1):
            continue  # already of age: the checks say so, no date is left to meet
        found.append(DerivedDeadline(
            "child_turns_adult", f"child:{dependant.id}", adult_on - timedelta(days=1),
            f"{dependant.display_name} turns {limit} on {iso(adult_on)}: submit before then, "
            "or they no longer count as a dependant.", f"dependant:{dependant.id}"))
    return found
