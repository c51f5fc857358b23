"""What a check run produces: outcomes with reasons, points, a verdict, and what to do next.

Everything here is plain data that survives JSON: ``CheckResult.to_dict()`` is what the app
stores with a check run, and ``CheckResult.from_dict()`` rebuilds it to re-render the page later,
exactly as it was (the rule ``data`` dicts hold only JSON types: Decimals as strings, dates ISO).

The General Points Test result has one of two shapes, chosen by the rule set: a
``GeneralPointsResult`` (points table; stored without a ``kind`` key, as before issue 9) or a
``GeneralCriteriaResult`` (criteria count; stored with ``"kind": "criteria"``). Both answer
``passed``, ``complete``, ``missing``, ``reason``, ``actions`` and ``warnings`` alike.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any, ClassVar

__all__ = [
    "AchievementPointsResult",
    "CheckResult",
    "CriterionResult",
    "CriterionStatus",
    "GeneralCriteriaResult",
    "GeneralPointsResult",
    "HeadlineItem",
    "Outcome",
    "PointsFactor",
    "RuleOutcome",
    "Verdict",
]

RESULT_FORMAT = 1


class Outcome(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    MISSING = "missing"  # data not there yet: the actions say what to collect

    @property
    def label(self) -> str:
        return {"pass": "Pass", "fail": "Fail", "missing": "Missing information"}[self.value]


class CriterionStatus(StrEnum):
    MET = "met"
    NOT_MET = "not_met"
    UNKNOWN = "unknown"  # not recorded yet: the criterion's actions say what to collect

    @property
    def label(self) -> str:
        return {"met": "Met", "not_met": "Not met", "unknown": "Not yet known"}[self.value]


class Verdict(StrEnum):
    ELIGIBLE = "eligible"
    NOT_ELIGIBLE = "not_eligible"
    INCOMPLETE = "incomplete"

    @property
    def label(self) -> str:
        return {
            "eligible": "Eligible",
            "not_eligible": "Not eligible",
            "incomplete": "Incomplete",
        }[self.value]


@dataclass(frozen=True, kw_only=True)
class RuleOutcome:
    """The outcome of one prerequisite (P1-P7)."""

    code: str
    title: str
    outcome: Outcome
    reason: str  # a sentence a consultant can read to the client
    data: dict[str, Any] = field(default_factory=dict)  # the inputs and figures used (JSON)
    actions: tuple[str, ...] = ()  # what to collect or fix, or what would change the outcome
    warnings: tuple[str, ...] = ()
    short: str = ""  # a few words for the verdict headline when not a pass; "" uses the reason

    @property
    def short_reason(self) -> str:
        return self.short or self.reason

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "title": self.title,
            "outcome": self.outcome.value,
            "reason": self.reason,
            "short": self.short,
            "data": copy.deepcopy(self.data),
            "actions": list(self.actions),
            "warnings": list(self.warnings),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RuleOutcome:
        return cls(
            code=data["code"],
            title=data["title"],
            outcome=Outcome(data["outcome"]),
            reason=data["reason"],
            data=data["data"],
            actions=tuple(data["actions"]),
            warnings=tuple(data["warnings"]),
            short=data.get("short", ""),  # results stored before issue 8 have none
        )


@dataclass(frozen=True, kw_only=True)
class HeadlineItem:
    """One line under the verdict: a prerequisite that is not a pass, with its short reason.

    ``status`` is ``fail`` or ``missing`` (P1-P7), or ``flagged`` for a dependant P7 leaves out
    of the family application (P7 itself still passes: it never fails a case). P7 gives one item
    per dependant it flags or cannot decide, so every such dependant is named.
    """

    code: str
    title: str
    status: str
    text: str

    @property
    def label(self) -> str:
        return {"fail": "Fail", "missing": "Missing", "flagged": "Flagged"}.get(
            self.status, self.status.capitalize()
        )

    @property
    def line(self) -> str:
        """``P7 Dependants: Tom Lee (child, 18 on 2026-03-01) cannot accompany``."""
        return f"{self.code} {self.title}: {self.text}"

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "title": self.title, "status": self.status, "text": self.text}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> HeadlineItem:
        return cls(
            code=data["code"], title=data["title"], status=data["status"], text=data["text"]
        )


@dataclass(frozen=True, kw_only=True)
class PointsFactor:
    """One factor of the General Points Test.

    ``points`` counts only what is known; ``best_case`` is what the factor could score if every
    unknown input turned out as well as possible. The factor is complete when they are equal.
    """

    code: str
    title: str
    points: int
    max: int
    best_case: int
    explanation: str
    missing: tuple[str, ...] = ()  # names of the unknown inputs that could change the points
    actions: tuple[str, ...] = ()

    @property
    def complete(self) -> bool:
        return self.points == self.best_case

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "title": self.title,
            "points": self.points,
            "max": self.max,
            "best_case": self.best_case,
            "complete": self.complete,
            "explanation": self.explanation,
            "missing": list(self.missing),
            "actions": list(self.actions),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PointsFactor:
        return cls(
            code=data["code"],
            title=data["title"],
            points=data["points"],
            max=data["max"],
            best_case=data["best_case"],
            explanation=data["explanation"],
            missing=tuple(data["missing"]),
            actions=tuple(data["actions"]),
        )


@dataclass(frozen=True, kw_only=True)
class GeneralPointsResult:
    """The General Points Test.

    ``passed`` is True once the known points reach the pass mark (unknown inputs can only add
    points), False once even ``best_possible`` falls short, and None while it could go either way.
    ``complete`` is True only when every input the test needs is known.

    Its stored form has no ``kind`` key (it had none before the criteria test existed).
    """

    kind: ClassVar[str] = "points_table"

    factors: tuple[PointsFactor, ...]
    total: int
    best_possible: int
    pass_mark: int
    maximum: int
    passed: bool | None
    reason: str
    actions: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()

    @property
    def complete(self) -> bool:
        return all(factor.complete for factor in self.factors)

    @property
    def missing(self) -> tuple[str, ...]:
        return tuple(name for factor in self.factors for name in factor.missing)

    def factor(self, code: str) -> PointsFactor:
        """One of ``age``, ``education``, ``work_experience``, ``language``, ``family``."""
        for factor in self.factors:
            if factor.code == code:
                return factor
        raise KeyError(code)

    def to_dict(self) -> dict[str, Any]:
        return {
            "factors": [factor.to_dict() for factor in self.factors],
            "total": self.total,
            "best_possible": self.best_possible,
            "pass_mark": self.pass_mark,
            "maximum": self.maximum,
            "complete": self.complete,
            "passed": self.passed,
            "missing": list(self.missing),
            "reason": self.reason,
            "actions": list(self.actions),
            "warnings": list(self.warnings),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> GeneralPointsResult:
        return cls(
            factors=tuple(PointsFactor.from_dict(item) for item in data["factors"]),
            total=data["total"],
            best_possible=data["best_possible"],
            pass_mark=data["pass_mark"],
            maximum=data["maximum"],
            passed=data["passed"],
            reason=data["reason"],
            actions=tuple(data["actions"]),
            warnings=tuple(data["warnings"]),
        )


@dataclass(frozen=True, kw_only=True)
class CriterionResult:
    """One criterion of the criteria-count General Points Test.

    ``missing`` names the inputs to record when the criterion is unknown, and ``actions`` says
    how (one sentence each); both are empty once it is met or not met.
    """

    number: int
    code: str
    title: str
    status: CriterionStatus
    reason: str  # a sentence a consultant can read to the client
    data: dict[str, Any] = field(default_factory=dict)  # the inputs and numbers used (JSON)
    missing: tuple[str, ...] = ()
    actions: tuple[str, ...] = ()

    @property
    def met(self) -> bool:
        return self.status is CriterionStatus.MET

    @property
    def unknown(self) -> bool:
        return self.status is CriterionStatus.UNKNOWN

    def to_dict(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "code": self.code,
            "title": self.title,
            "status": self.status.value,
            "reason": self.reason,
            "data": copy.deepcopy(self.data),
            "missing": list(self.missing),
            "actions": list(self.actions),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CriterionResult:
        return cls(
            number=data["number"],
            code=data["code"],
            title=data["title"],
            status=CriterionStatus(data["status"]),
            reason=data["reason"],
            data=data["data"],
            missing=tuple(data["missing"]),
            actions=tuple(data["actions"]),
        )


@dataclass(frozen=True, kw_only=True)
class GeneralCriteriaResult:
    """The General Points Test as a count of criteria met (the test since 1 November 2024).

    ``passed`` is True once ``met`` reaches the threshold, False once even ``best_possible``
    (met plus unknown) falls short of it, and None while it could go either way. ``actions``
    names the cheapest criteria still open while undecided (see ``criteria.py``).
    """

    kind: ClassVar[str] = "criteria"

    criteria: tuple[CriterionResult, ...]
    threshold: int
    passed: bool | None
    reason: str
    actions: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()

    @property
    def met(self) -> int:
        return sum(1 for item in self.criteria if item.status is CriterionStatus.MET)

    @property
    def not_met(self) -> int:
        return sum(1 for item in self.criteria if item.status is CriterionStatus.NOT_MET)

    @property
    def unknown(self) -> int:
        return sum(1 for item in self.criteria if item.status is CriterionStatus.UNKNOWN)

    @property
    def best_possible(self) -> int:
        """The criteria met if every unknown one turned out met."""
        return self.met + self.unknown

    @property
    def complete(self) -> bool:
        return self.unknown == 0

    @property
    def missing(self) -> tuple[str, ...]:
        """The unknown inputs, each once, in criterion order."""
        return tuple(dict.fromkeys(name for item in self.criteria for name in item.missing))

    def criterion(self, code: str) -> CriterionResult:
        for item in self.criteria:
            if item.code == code:
                return item
        raise KeyError(code)

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "criteria": [item.to_dict() for item in self.criteria],
            "met": self.met,
            "not_met": self.not_met,
            "unknown": self.unknown,
            "best_possible": self.best_possible,
            "threshold": self.threshold,
            "complete": self.complete,
            "passed": self.passed,
            "missing": list(self.missing),
            "reason": self.reason,
            "actions": list(self.actions),
            "warnings": list(self.warnings),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> GeneralCriteriaResult:
        return cls(
            criteria=tuple(CriterionResult.from_dict(item) for item in data["criteria"]),
            threshold=data["threshold"],
            passed=data["passed"],
            reason=data["reason"],
            actions=tuple(data["actions"]),
            warnings=tuple(data["warnings"]),
        )


def general_result_from_dict(data: dict[str, Any]) -> GeneralPointsResult | GeneralCriteriaResult:
    """Either shape of stored General Points Test; no ``kind`` is a points table (pre-issue 9)."""
    kind = data.get("kind", GeneralPointsResult.kind)
    if kind == GeneralCriteriaResult.kind:
        return GeneralCriteriaResult.from_dict(data)
    if kind == GeneralPointsResult.kind:
        return GeneralPointsResult.from_dict(data)
    raise ValueError(f"unknown General Points Test kind {kind!r}")


@dataclass(frozen=True, kw_only=True)
class AchievementPointsResult:
    """The Achievement-based Points Test: all or nothing, asserted by the consultant."""

    outcome: Outcome
    points: int
    pass_mark: int
    reason: str
    actions: tuple[str, ...] = ()

    @property
    def passed(self) -> bool | None:
        return None if self.outcome is Outcome.MISSING else self.outcome is Outcome.PASS

    @property
    def complete(self) -> bool:
        return self.outcome is not Outcome.MISSING

    def to_dict(self) -> dict[str, Any]:
        return {
            "outcome": self.outcome.value,
            "points": self.points,
            "pass_mark": self.pass_mark,
            "complete": self.complete,
            "passed": self.passed,
            "reason": self.reason,
            "actions": list(self.actions),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AchievementPointsResult:
        return cls(
            outcome=Outcome(data["outcome"]),
            points=data["points"],
            pass_mark=data["pass_mark"],
            reason=data["reason"],
            actions=tuple(data["actions"]),
        )


def _day(value: str | None) -> date | None:
    return None if value is None else date.fromisoformat(value)


@dataclass(frozen=True, kw_only=True)
class CheckResult:
    """One check run: the verdict, every outcome behind it, and the rule set version used."""

    rule_set_version: str
    rule_set_overrides: dict[str, Any]
    check_date: date
    planned_submission_date: date | None
    verdict: Verdict
    summary: str
    prerequisites: tuple[RuleOutcome, ...]
    general_points: GeneralPointsResult | GeneralCriteriaResult
    achievement_points: AchievementPointsResult
    family_application: bool | None  # None while a dependant's eligibility is undecided
    warnings: tuple[str, ...] = ()
    next_actions: tuple[str, ...] = ()
    # Every prerequisite that is not a pass, in order P1-P7. Results stored before issue 8
    # have none and render with their summary alone, as they were shown then.
    headline: tuple[HeadlineItem, ...] = ()
    # Which rule set applied and why (issue 9): the date the application is lodged, and the
    # rule set's effective date. Results stored before have neither and render without them.
    lodging_date: date | None = None
    rule_set_effective_date: date | None = None

    def prerequisite(self, code: str) -> RuleOutcome:
        """The outcome of ``"P1"`` .. ``"P7"``."""
        for rule in self.prerequisites:
            if rule.code == code:
                return rule
        raise KeyError(code)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data (no Decimal, no date objects) to store with the check run.

        A result rebuilt from data stored before issue 9 gives that data back key for key: the
        lodging and effective dates it did not have are left out rather than stored as null.
        """
        data = {
            "format": RESULT_FORMAT,
            "rule_set_version": self.rule_set_version,
            "rule_set_overrides": copy.deepcopy(self.rule_set_overrides),
            "check_date": self.check_date.isoformat(),
            "planned_submission_date": _iso(self.planned_submission_date),
            "verdict": self.verdict.value,
            "summary": self.summary,
            "prerequisites": [rule.to_dict() for rule in self.prerequisites],
            "general_points": self.general_points.to_dict(),
            "achievement_points": self.achievement_points.to_dict(),
            "family_application": self.family_application,
            "warnings": list(self.warnings),
            "next_actions": list(self.next_actions),
            "headline": [item.to_dict() for item in self.headline],
        }
        if self.lodging_date is not None:
            data["lodging_date"] = self.lodging_date.isoformat()
        if self.rule_set_effective_date is not None:
            data["rule_set_effective_date"] = self.rule_set_effective_date.isoformat()
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CheckResult:
        """Rebuild a stored result; refuses data written in a format it does not know."""
        if data.get("format") != RESULT_FORMAT:
            raise ValueError(f"unknown check result format {data.get('format')!r}")
        return cls(
            rule_set_version=data["rule_set_version"],
            rule_set_overrides=dict(data["rule_set_overrides"]),
            check_date=date.fromisoformat(data["check_date"]),
            planned_submission_date=_day(data["planned_submission_date"]),
            verdict=Verdict(data["verdict"]),
            summary=data["summary"],
            prerequisites=tuple(RuleOutcome.from_dict(item) for item in data["prerequisites"]),
            general_points=general_result_from_dict(data["general_points"]),
            achievement_points=AchievementPointsResult.from_dict(data["achievement_points"]),
            family_application=data["family_application"],
            warnings=tuple(data["warnings"]),
            next_actions=tuple(data["next_actions"]),
            headline=tuple(HeadlineItem.from_dict(item) for item in data.get("headline", ())),
            lodging_date=_day(data.get("lodging_date")),
            rule_set_effective_date=_day(data.get("rule_set_effective_date")),
        )


def _iso(day: date | None) -> str | None:
    return None if day is None else day.isoformat()
