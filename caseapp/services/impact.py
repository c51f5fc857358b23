"""Impact preview: which open cases would change verdict if a rule set version took effect.

Read-only; it lives with the services because it evaluates rules. For every open case not yet
submitted (see below) it compares two evaluations on today's facts:

* **now**: under the rule set that applies to the case *without* the candidate, i.e. the one in
  force on the case's lodging date among every other rule set (the candidate is left out even
  when it is stored already: a stored future version would otherwise already count as "now");
* **candidate**: under the candidate, when it would be the rule set in force on that lodging
  date (its effective date on or before the lodging date, and no later version after it).

A case lodged before the candidate's effective date keeps its rule set and cannot change: it is
not evaluated at all. Submitted cases (and later statuses) are left out: they were lodged with
ImmD already, on their submission date, so a new version cannot apply to them. A consultancy
that pins a version (CASEAPP_RULE_SET_VERSION) checks every case under it: nothing can change,
and the report says so. The app's threshold overrides apply to both sides, as in a check run.

Cases are read in keyset batches by id with their applicant, dependants, deposits and
consultant loaded per batch (a fixed number of statements per batch, whatever its size), and
each batch is let go before the next, so memory stays flat at 100,000 cases.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from caseapp import clock
from caseapp.extensions import db
from caseapp.models import Case
from caseapp.queries.rulesets import all_rule_sets
from caseapp.rules import CheckResult, RuleSet, evaluate, rule_set_in_force
from caseapp.rules.workflow import OPEN_STATUSES, SUBMITTED_STATUSES
from caseapp.services import checks

BATCH_SIZE = 500
LISTED = 200  # changed cases kept for a page; the counts cover every one
# Open and not yet lodged with ImmD: the cases a new rule set may still apply to.
PREVIEW_STATUSES = tuple(s for s in OPEN_STATUSES if s not in SUBMITTED_STATUSES)


@dataclass(frozen=True)
class ChangedCase:
    reference: str
    consultant: str
    current_version: str
    current: str  # verdict label
    candidate: str
    why: str


@dataclass
class ImpactReport:
    candidate: RuleSet
    as_of: date
    pinned: str | None = None  # the version CASEAPP_RULE_SET_VERSION pins, if any
    considered: int = 0  # open cases not yet submitted (one count)
    evaluated: int = 0  # of those, lodged on or after the candidate's effective date
    changed: int = 0
    per_consultant: Counter[str] = field(default_factory=Counter)
    cases: list[ChangedCase] = field(default_factory=list)  # the first ``limit`` changed

    @property
    def consultants(self) -> list[tuple[str, int]]:
        """(consultant, changed cases), most first, then by name."""
        return sorted(self.per_consultant.items(), key=lambda item: (-item[1], item[0]))

    @property
    def more(self) -> int:
        """Changed cases counted but not listed."""
        return self.changed - len(self.cases)


def _state(passed: bool | None) -> str:
    return {True: "passes", False: "fails", None: "undecided"}[passed]


def why(current: CheckResult, candidate: CheckResult) -> str:
    """What moved the verdict, in a short phrase: each prerequisite or test whose outcome
    differs, from -> to, with the candidate's short reason for a prerequisite."""
    parts = []
    for old, new in zip(current.prerequisites, candidate.prerequisites, strict=True):
        if old.outcome is not new.outcome:
            parts.append(f"{new.code} {new.title}: {old.outcome.value} -> {new.outcome.value} "
                         f"({new.short_reason})")
    old_gpt, new_gpt = current.general_points, candidate.general_points
    if old_gpt.passed != new_gpt.passed:
        parts.append(f"General Points Test {_state(old_gpt.passed)} -> "
                     f"{_state(new_gpt.passed)} ({new_gpt.reason})")
    old_abpt, new_abpt = current.achievement_points, candidate.achievement_points
    if old_abpt.passed != new_abpt.passed:
        parts.append(f"Achievement-based Points Test {_state(old_abpt.passed)} -> "
                     f"{_state(new_abpt.passed)}")
    return "; ".join(parts) or candidate.summary


def _as_configured(rule_set: RuleSet, overrides: dict[str, object]) -> RuleSet:
    return rule_set.with_overrides(**overrides) if overrides else rule_set


def _batches(as_of: date, candidate: RuleSet, batch_size: int) -> Iterator[list[Case]]:
    """Open cases not yet submitted, by id, in batches with every part the rules read."""
    last_id = 0
    # Not submitted, the lodging date is the later of the planned date and today: when the
    # candidate takes effect after today only cases planned on or after that day can change.
    planned_filter = (Case.planned_submission_date >= candidate.effective_date
                      if candidate.effective_date > as_of else None)
    while True:
        query = (
            select(Case)
            .where(Case.status.in_(PREVIEW_STATUSES), Case.id > last_id)
            .order_by(Case.id)
            .limit(batch_size)
            .options(selectinload(Case.applicant), selectinload(Case.dependants),
                     selectinload(Case.deposits), selectinload(Case.consultant))
        )
        if planned_filter is not None:
            query = query.where(planned_filter)
        batch = list(db.session.scalars(query))
        if not batch:
            return
        yield batch
        last_id = batch[-1].id
        for case in batch:
            # The parts cascade; the consultants (a few dozen users) stay for the next batch.
            db.session.expunge(case)


def count_preview_cases() -> int:
    """Open cases not yet submitted: the cases the preview looks at."""
    return db.session.scalar(select(func.count()).select_from(Case).where(
        Case.status.in_(PREVIEW_STATUSES))) or 0


def preview_impact(candidate: RuleSet, as_of: date | None = None, limit: int | None = LISTED,
                   each_change: Callable[[ChangedCase], None] | None = None,
                   batch_size: int = BATCH_SIZE) -> ImpactReport:
    """Evaluate every open, not yet submitted case now and under ``candidate``.

    ``limit`` bounds the changed cases kept in the report (None keeps all); ``each_change`` is
    called with every changed case as it is found (the command line prints them).
    """
    as_of = as_of or clock.today()
    report = ImpactReport(candidate=candidate, as_of=as_of)
    pinned = checks.pinned_rule_set()
    # The app's threshold overrides are the same for every rule set: read them once.
    overrides = dict(checks.configured_rule_set().overrides)
    report.considered = count_preview_cases()
    if pinned is not None:
        report.pinned = pinned.version
        return report
    others = [r for r in all_rule_sets() if r.version != candidate.version]
    with_candidate = [*others, candidate]
    configured: dict[str, RuleSet] = {}

    def as_configured(rule_set: RuleSet) -> RuleSet:
        if rule_set.version not in configured:
            configured[rule_set.version] = _as_configured(rule_set, overrides)
        return configured[rule_set.version]

    for batch in _batches(as_of, candidate, batch_size):
        for case in batch:
            facts = checks.case_facts(case, as_of)
            lodged = facts.lodging_date
            if lodged < candidate.effective_date:
                continue
            if rule_set_in_force(with_candidate, lodged).version != candidate.version:
                continue  # a later version takes effect before this case is lodged
            report.evaluated += 1
            current_rules = as_configured(rule_set_in_force(others, lodged))
            now = evaluate(facts, current_rules)
            then = evaluate(facts, as_configured(candidate))
            if now.verdict is then.verdict:
                continue
            change = ChangedCase(
                reference=case.reference, consultant=case.consultant.name,
                current_version=current_rules.version, current=now.verdict.label,
                candidate=then.verdict.label, why=why(now, then))
            report.changed += 1
            report.per_consultant[change.consultant] += 1
            if limit is None or len(report.cases) < limit:
                report.cases.append(change)
            if each_change is not None:
                each_change(change)
    return report
