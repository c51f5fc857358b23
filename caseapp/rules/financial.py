"""P2 Financial capability: enough verified, fresh deposit evidence for the application size.

Only verified statements count, and only while fresh: dated no earlier than the check date minus
the rule set's freshness window (calendar months, clamped to month end) and not after the check
date. Amounts are exact Decimals in HKD; the threshold is the single or the family one depending
on whether any dependant may accompany (P7). With a planned submission date, the rule also warns
about statements that will have gone stale by then.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal, localcontext
from typing import Any

from .ages import add_months, last_day_counted
from .dependants import DependantsAssessment
from .facts import CaseFacts, DepositFacts
from .outcome import Outcome, RuleOutcome
from .ruleset import RuleSet
from .text import decimal_str, hkd, iso, join_words, plural
from .vocab import EvidenceStatus

__all__ = ["check_financial", "total_hkd"]

_WHY = {
    "rejected": "rejected in review",
    "future": "dated after the check date",
    "stale": "older than the freshness window",
    "pending": "not yet verified",
}


def total_hkd(amounts: Iterable[Decimal]) -> Decimal:
    """An exact sum: a local context so that no precision setting elsewhere can round it."""
    with localcontext() as ctx:
        ctx.prec = 100
        return sum(amounts, Decimal(0))


@dataclass
class _Evidence:
    """The deposits of a case sorted into those that count and those that do not, and why."""

    fresh_from: date
    counted: list[DepositFacts] = field(default_factory=list)
    excluded: list[tuple[DepositFacts, str]] = field(default_factory=list)

    def excluded_for(self, why: str) -> list[DepositFacts]:
        return [deposit for deposit, reason in self.excluded if reason == why]


def _sort_evidence(deposits: Iterable[DepositFacts], check: date, months: int) -> _Evidence:
    evidence = _Evidence(fresh_from=add_months(check, -months))
    for deposit in deposits:
        why = _exclusion(deposit, check, evidence.fresh_from)
        if why is None:
            evidence.counted.append(deposit)
        else:
            evidence.excluded.append((deposit, why))
    return evidence


def _exclusion(deposit: DepositFacts, check: date, fresh_from: date) -> str | None:
    # Order matters for the advice: verifying a stale statement would not help, so "stale"
    # wins over "pending"; a rejected one is reported as rejected whatever its date.
    if deposit.status is EvidenceStatus.REJECTED:
        return "rejected"
    if deposit.statement_date > check:
        return "future"
    if deposit.statement_date < fresh_from:
        return "stale"
    if deposit.status is EvidenceStatus.PENDING:
        return "pending"
    return None


@dataclass(frozen=True)
class _Thresholds:
    family: bool | None  # None while an undecided dependant could make it a family application
    single_hkd: Decimal
    family_hkd: Decimal

    @property
    def applicable(self) -> Decimal | None:
        if self.family is None:
            return None
        return self.family_hkd if self.family else self.single_hkd

    @property
    def cautious(self) -> Decimal:
        """The threshold to plan against: the family one while that is still possible."""
        return self.single_hkd if self.family is False else self.family_hkd

    def measure(self, total: Decimal) -> tuple[Decimal, str]:
        """The threshold ``total`` is judged against, and the application size it is for.

        With undecided dependants: the family threshold once it is met (a pass either way) or
        while the single one is met (missing until P7 decides), else the single one (a fail
        either way, with the smallest honest shortfall).
        """
        if self.family is False or (self.family is None and total < self.single_hkd):
            return self.single_hkd, "a single application"
        return self.family_hkd, "a family application"


def check_financial(
    facts: CaseFacts, rules: RuleSet, dependants: DependantsAssessment
) -> RuleOutcome:
    """P2: pass at or above the threshold, fail below it, missing with no counted evidence."""
    evidence = _sort_evidence(facts.deposits, facts.check_date, rules.deposit_freshness_months)
    thresholds = _Thresholds(
        dependants.family_application, rules.deposit_single_hkd, rules.deposit_family_hkd
    )
    total = total_hkd(d.hkd for d in evidence.counted)
    data = _data(evidence, thresholds, total)
    if not evidence.counted:
        return _missing_evidence(evidence, thresholds, rules, data)
    outcome, reason, actions, brief = _decide(evidence, thresholds, total, dependants, rules)
    warnings, later = _submission_notes(evidence, facts, rules, thresholds)
    return RuleOutcome(
        code="P2",
        title="Financial capability",
        outcome=outcome,
        reason=reason,
        data=data,
        actions=actions + later,
        warnings=warnings,
        short=brief,
    )


def _data(evidence: _Evidence, thresholds: _Thresholds, total: Decimal) -> dict[str, Any]:
    applicable = thresholds.applicable
    measured, _ = thresholds.measure(total)
    return {
        "family_application": thresholds.family,
        "threshold_hkd": None if applicable is None else decimal_str(applicable),
        "single_threshold_hkd": decimal_str(thresholds.single_hkd),
        "family_threshold_hkd": decimal_str(thresholds.family_hkd),
        "total_hkd": decimal_str(total),
        "shortfall_hkd": decimal_str(max(Decimal(0), measured - total)),
        "fresh_from": iso(evidence.fresh_from),
        "counted_ids": [d.id for d in evidence.counted],
        "counted": [
            {"id": d.id, "amount_hkd": decimal_str(d.hkd), "statement_date": iso(d.statement_date)}
            for d in evidence.counted
        ],
        "excluded": [
            {"id": d.id, "why": why, "detail": _WHY[why], "amount_hkd": decimal_str(d.hkd)}
            for d, why in evidence.excluded
        ],
    }


def _decide(
    evidence: _Evidence,
    thresholds: _Thresholds,
    total: Decimal,
    dependants: DependantsAssessment,
    rules: RuleSet,
) -> tuple[Outcome, str, tuple[str, ...], str]:
    """(outcome, reason, actions, the headline's short reason)."""
    counted = f"Verified fresh deposits total {hkd(total)}"
    threshold, label = thresholds.measure(total)
    if total >= threshold:
        reason = f"{counted}, meeting the {hkd(threshold)} required for {label}."
        return Outcome.PASS, reason, (), ""
    if thresholds.family is None and total >= thresholds.single_hkd:
        undecided = dependants.undecided
        names = join_words(d.name for d in undecided)
        reason = (
            f"{counted}: enough for a single application ({hkd(thresholds.single_hkd)}) but not "
            f"for a family application ({hkd(thresholds.family_hkd)}), and whether this is a "
            f"family application depends on {names}."
        )
        more = hkd(thresholds.family_hkd - total)
        actions = (
            *(a for d in undecided for a in d.actions),
            f"Decide the dependants' eligibility (P7), or collect further evidence of {more}.",
        )
        brief = f"short by {more} if this is a family application, which depends on {names}"
        return Outcome.MISSING, reason, actions, brief
    shortfall = threshold - total
    reason = (
        f"{counted} against the {hkd(threshold)} required for {label}: short by {hkd(shortfall)}."
    )
    brief = f"short by {hkd(shortfall)} for {label}"
    return Outcome.FAIL, reason, _shortfall_actions(evidence, shortfall, rules), brief


def _shortfall_actions(evidence: _Evidence, shortfall: Decimal, rules: RuleSet) -> tuple[str, ...]:
    pending = evidence.excluded_for("pending")
    pending_total = total_hkd(d.hkd for d in pending)
    actions = list(_evidence_actions(evidence, rules))
    if pending and pending_total >= shortfall:
        actions.append(
            f"Verifying the pending statements ({hkd(pending_total)}) would cover the shortfall."
        )
    else:
        actions.append(
            f"Collect further evidence of at least {hkd(shortfall - pending_total)} "
            f"dated {iso(evidence.fresh_from)} or later."
        )
    return tuple(actions)


def _missing_evidence(
    evidence: _Evidence, thresholds: _Thresholds, rules: RuleSet, data: dict[str, Any]
) -> RuleOutcome:
    if evidence.excluded:
        recorded = plural(len(evidence.excluded), "statement")
        reason = f"No verified fresh deposit evidence yet ({recorded} recorded, none counting)."
        brief = f"no verified fresh deposit evidence yet ({recorded}, none counting)"
    else:
        reason = "No deposit evidence is recorded."
        brief = "no deposit evidence recorded"
    actions = list(_evidence_actions(evidence, rules))
    pending_total = total_hkd(d.hkd for d in evidence.excluded_for("pending"))
    if pending_total < thresholds.cautious:
        actions.append(_collect_more(evidence, thresholds, pending_total))
    return RuleOutcome(
        code="P2",
        title="Financial capability",
        outcome=Outcome.MISSING,
        reason=reason,
        data=data,
        actions=tuple(actions),
        short=brief,
    )


def _collect_more(evidence: _Evidence, thresholds: _Thresholds, pending_total: Decimal) -> str:
    """What further statements to gather, net of what is already waiting for verification."""
    dated = f"Collect bank statements dated {iso(evidence.fresh_from)} or later"
    beyond = " beyond the pending ones" if pending_total else ""
    if thresholds.family is not None:
        _, label = thresholds.measure(Decimal(0))
        return (
            f"{dated} showing at least {hkd(thresholds.cautious - pending_total)}{beyond} "
            f"for {label}."
        )
    return (
        f"{dated} showing at least {hkd(thresholds.single_hkd - pending_total)}{beyond} "
        f"(single), or {hkd(thresholds.family_hkd - pending_total)} (family, if the undecided "
        "dependants may accompany)."
    )


def _evidence_actions(evidence: _Evidence, rules: RuleSet) -> Iterable[str]:
    pending = evidence.excluded_for("pending")
    if pending:
        total = total_hkd(d.hkd for d in pending)
        yield (
            f"Verify the {plural(len(pending), 'pending statement')}: "
            f"{join_words(d.description for d in pending)} ({hkd(total)})."
        )
    for deposit in evidence.excluded_for("stale"):
        yield (
            f"Obtain a fresh statement to replace {deposit.description}: it is older than "
            f"{rules.deposit_freshness_months} months (statements must be dated "
            f"{iso(evidence.fresh_from)} or later)."
        )
    for deposit in evidence.excluded_for("rejected"):
        yield f"Replace the rejected statement {deposit.description}."
    for deposit in evidence.excluded_for("future"):
        yield f"Correct the statement date of {deposit.description}: it is after the check date."


def _submission_notes(
    evidence: _Evidence, facts: CaseFacts, rules: RuleSet, thresholds: _Thresholds
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Warnings and actions for counted statements that will be stale by the planned submission."""
    planned = facts.planned_submission_date
    if planned is None or planned < facts.check_date:
        return (), ()
    months = rules.deposit_freshness_months
    expiring = [d for d in evidence.counted if last_day_counted(d.statement_date, months) < planned]
    if not expiring:
        return (), ()
    needed_from = add_months(planned, -months)
    warnings = [
        f"Statement {d.description} stops counting on "
        f"{iso(last_day_counted(d.statement_date, months) + timedelta(days=1))}, before the "
        f"planned submission on {iso(planned)}."
        for d in expiring
    ]
    expiring_ids = {id(d) for d in expiring}
    remaining = total_hkd(d.hkd for d in evidence.counted if id(d) not in expiring_ids)
    warnings.append(_remaining_note(planned, remaining, thresholds))
    actions = tuple(
        f"Obtain a statement dated {iso(needed_from)} or later to replace {d.description} "
        "before submission."
        for d in expiring
    )
    return tuple(warnings), actions


def _remaining_note(planned: date, remaining: Decimal, thresholds: _Thresholds) -> str:
    needed = thresholds.cautious
    start = (
        f"On the planned submission date ({iso(planned)}) the verified fresh deposits would "
        f"total {hkd(remaining)}"
    )
    if remaining >= needed:
        return f"{start}, which still meets the {hkd(needed)} required."
    return f"{start}: short of the {hkd(needed)} required by {hkd(needed - remaining)}."
