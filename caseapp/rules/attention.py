"""When a case needs a manager's attention, as a date, so lists can filter on it.

Three of the dangers the checks warn about depend only on the facts and the calendar: a
passport that enters the warning window, a counted bank statement that goes stale before the
planned submission, a child who turns 18 on or before it. ``attention(facts, rules)`` turns
them into the first date on which the case needs attention (the date a passport enters the
window; the check date when a planned-submission danger already stands) and the reasons, so
that a list can ask ``attention_on <= today`` instead of evaluating the rules per row.

The fourth danger (the latest eligible check is too old to submit on) is the consultancy's
submission policy, not a QMAS rule: the query side compares the check time with its limit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from .ages import add_months, date_turning, last_day_counted
from .facts import CaseFacts
from .financial import _sort_evidence
from .ruleset import RuleSet
from .text import iso
from .vocab import MaritalStatus, Relationship

__all__ = ["Attention", "attention", "passport_window_opens"]


@dataclass(frozen=True)
class Attention:
    """Each reason with the date from which it holds; ``on`` is the earliest (None: nothing
    foreseeable). A page shows the reasons whose date has come."""

    reasons: tuple[tuple[date, str], ...] = ()

    @property
    def on(self) -> date | None:
        return min((since for since, _ in self.reasons), default=None)

    def due(self, today: date) -> tuple[str, ...]:
        return tuple(text for since, text in self.reasons if since <= today)


def passport_window_opens(expiry: date, months: int) -> date:
    """The first check date on which a passport expiring on ``expiry`` is within ``months``
    months (the same inclusive test as the checks' passport warning)."""
    opens = add_months(expiry, -months)
    # Month-end clamping: step back while the day before still reaches the expiry.
    while opens > date.min and add_months(opens - timedelta(days=1), months) >= expiry:
        opens -= timedelta(days=1)
    while add_months(opens, months) < expiry:
        opens += timedelta(days=1)
    return opens


def attention(facts: CaseFacts, rules: RuleSet) -> Attention:
    """The first date on which the case needs attention, and why, as of ``facts.check_date``."""
    reasons: list[tuple[date, str]] = []
    check = facts.check_date
    expiry = facts.applicant.passport_expiry
    if expiry is not None:
        months = rules.passport_warning_months
        reasons.append((passport_window_opens(expiry, months),
                        f"The applicant's passport expires on {iso(expiry)} "
                        f"(warning window: {months} months)."))
    planned = facts.planned_submission_date
    if planned is not None and planned >= check:
        months = rules.deposit_freshness_months
        evidence = _sort_evidence(facts.deposits, check, months)
        for deposit in evidence.counted:
            stops = last_day_counted(deposit.statement_date, months) + timedelta(days=1)
            if stops <= planned:
                reasons.append((check, f"Statement {deposit.description} stops counting on "
                                       f"{iso(stops)}, before the planned submission on "
                                       f"{iso(planned)}."))
        limit = rules.dependant_child_max_age
        for dependant in facts.dependants:
            if (dependant.relationship is not Relationship.CHILD
                    or dependant.date_of_birth is None
                    or dependant.marital_status is MaritalStatus.MARRIED):
                continue
            adult_on = date_turning(dependant.date_of_birth, limit)
            if check < adult_on <= planned:
                reasons.append((check, f"{dependant.display_name} turns {limit} on "
                                       f"{iso(adult_on)}, on or before the planned submission "
                                       f"on {iso(planned)}."))
    return Attention(tuple(sorted(reasons)))
