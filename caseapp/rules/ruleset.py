"""Rule sets: every number the QMAS rules use, as versioned data rather than code.

A rule set is loaded from JSON (the packaged ones live in ``rulesets/``), validated on load so
that a typo fails loudly with the path of the bad value, and recorded by version in every check
run, so a case checked last year still explains itself. Money is parsed as Decimal from strings;
a float in the data is refused. Adding the 2020 225-point table means adding a file, not code.

The General Points Test comes in two kinds, named by ``general_points.kind``:

* ``points_table`` (the default when ``kind`` is absent, as in ``qmas-2006-165``): factors scored
  against a pass mark;
* ``criteria`` (``qmas-2024-11``): a list of criteria, each met, not met or unknown, and a
  ``threshold`` count to meet. What each criterion reads is fixed by its ``code``; every number it
  compares with (``max_age``, ``degree_levels``, ``min_years``, ``min_hkd``) is data here.

Which rule set applies to a case is the one in force on its lodging date: see
:func:`rule_set_in_force` and ``facts.lodging_date``.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from importlib import resources
from itertools import pairwise
from pathlib import Path
from types import MappingProxyType
from typing import Any, ClassVar

from .text import decimal_str
from .vocab import Qualification

__all__ = [
    "DEFAULT_VERSION",
    "AchievementPointsTable",
    "AgeBand",
    "Criterion",
    "EducationTier",
    "FamilyPoints",
    "GeneralPointsCriteria",
    "GeneralPointsTable",
    "LanguagePoints",
    "RuleSet",
    "WorkTier",
    "available_rule_sets",
    "default_rule_set",
    "load_rule_set",
    "packaged_rule_sets",
    "rule_set_for",
    "rule_set_in_force",
]

DEFAULT_VERSION = "qmas-2006-165"
FORMAT = 1
_COUNTRY_CODE = re.compile(r"^[A-Z]{3}$")


@dataclass(frozen=True)
class AgeBand:
    min_age: int
    max_age: int | None  # None: no upper bound
    points: int

    def covers(self, age: int) -> bool:
        return age >= self.min_age and (self.max_age is None or age <= self.max_age)

    @property
    def label(self) -> str:
        return f"{self.min_age}+" if self.max_age is None else f"{self.min_age}-{self.max_age}"


@dataclass(frozen=True)
class EducationTier:
    """Points for holding at least these degrees (every stated minimum must be met)."""

    label: str
    points: int
    doctorate: int = 0
    master: int = 0
    bachelor: int = 0
    professional: bool = False

    def met_by(self, doctorate: int, master: int, bachelor: int, professional: bool) -> bool:
        return (
            doctorate >= self.doctorate
            and master >= self.master
            and bachelor >= self.bachelor
            and (professional or not self.professional)
        )


@dataclass(frozen=True)
class WorkTier:
    """Points for at least ``min_years`` at graduate level, of which ``min_senior_years`` senior."""

    label: str
    points: int
    min_years: int
    min_senior_years: int = 0

    def met_by(self, years: int, senior_years: int) -> bool:
        return years >= self.min_years and senior_years >= self.min_senior_years


@dataclass(frozen=True)
class LanguagePoints:
    both: int  # Chinese and English
    one_plus_foreign: int  # one of them plus another foreign language
    one: int  # one of them


@dataclass(frozen=True)
class FamilyPoints:
    per_child: int
    child_max: int
    spouse_degree: int
    hk_permanent_resident: int

    @property
    def maximum(self) -> int:
        return self.child_max + self.spouse_degree + self.hk_permanent_resident


@dataclass(frozen=True)
class GeneralPointsTable:
    kind: ClassVar[str] = "points_table"

    pass_mark: int
    maximum: int
    age_bands: tuple[AgeBand, ...]
    education: tuple[EducationTier, ...]
    work_experience: tuple[WorkTier, ...]
    language: LanguagePoints
    family: FamilyPoints

    def factor_maxima(self) -> dict[str, int]:
        """The best score of each factor; they must add up to ``maximum``."""
        return {
            "age": max(band.points for band in self.age_bands),
            "education": max(tier.points for tier in self.education),
            "work_experience": max(tier.points for tier in self.work_experience),
            "language": max(self.language.both, self.language.one_plus_foreign, self.language.one),
            "family": self.family.maximum,
        }


# What each criterion code compares with: the code fixes what the rules read (see
# ``criteria.py``), these values are the rule set's numbers. A criterion names only its own.
CRITERION_VALUES: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "age": ("max_age",),
        "degree": ("degree_levels",),
        "stem_degree": ("degree_levels",),
        "two_languages": (),
        "english": (),
        "work_years": ("min_years",),
        "multinational_work": ("min_years",),
        "sector_work": ("min_years",),
        "international_work": ("min_years",),
        "income": ("min_hkd",),
        "business_profit": ("min_hkd",),
        "listed_company": (),
    }
)


@dataclass(frozen=True)
class Criterion:
    """One criterion of a criteria-count General Points Test.

    ``number`` is its place in the rule set (1-based, as on ImmD's questionnaire). Only the
    values its ``code`` uses are set (see ``CRITERION_VALUES``); the others stay None / empty.
    """

    number: int
    code: str
    title: str
    max_age: int | None = None
    degree_levels: tuple[Qualification, ...] = ()
    min_years: int | None = None
    min_hkd: Decimal | None = None

    def values(self) -> dict[str, Any]:
        """The numbers this criterion compares with, as JSON-ready data (money as strings)."""
        data: dict[str, Any] = {}
        for name in CRITERION_VALUES[self.code]:
            value = getattr(self, name)
            if name == "degree_levels":
                value = [level.value for level in value]
            elif isinstance(value, Decimal):
                value = decimal_str(value)
            data[name] = value
        return data

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "title": self.title, **self.values()}


@dataclass(frozen=True)
class GeneralPointsCriteria:
    """The General Points Test as a count: at least ``threshold`` of ``criteria`` met."""

    kind: ClassVar[str] = "criteria"

    threshold: int
    criteria: tuple[Criterion, ...]

    def criterion(self, code: str) -> Criterion:
        for item in self.criteria:
            if item.code == code:
                return item
        raise KeyError(code)

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "threshold": self.threshold,
            "criteria": [item.to_dict() for item in self.criteria],
        }


@dataclass(frozen=True)
class AchievementPointsTable:
    points: int
    pass_mark: int


@dataclass(frozen=True)
class RuleSet:
    """One version of the QMAS rules. Build with :func:`load_rule_set`, not by hand."""

    version: str
    title: str
    effective_date: date
    minimum_age: int
    dependant_child_max_age: int  # a child may accompany while *under* this age
    deposit_single_hkd: Decimal
    deposit_family_hkd: Decimal
    deposit_freshness_months: int
    passport_warning_months: int
    excluded_nationalities: Mapping[str, str]  # ISO alpha-3 code -> country name
    general_points: GeneralPointsTable | GeneralPointsCriteria
    achievement_points: AchievementPointsTable
    # Values changed by with_overrides (e.g. from app config), recorded with every run.
    overrides: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def general_points_kind(self) -> str:
        """``points_table`` or ``criteria``."""
        return self.general_points.kind

    def to_dict(self) -> dict[str, Any]:
        """The rule set as JSON-ready data, in the same shape as the packaged files.

        ``load_rule_set(rule_set.to_dict()) == rule_set`` for both kinds of General Points Test,
        so a version stored as JSON elsewhere (an admin's) is validated exactly like a file.
        """
        return {
            "format": FORMAT,
            "version": self.version,
            "title": self.title,
            "effective_date": self.effective_date.isoformat(),
            "minimum_age": self.minimum_age,
            "dependant_child_max_age": self.dependant_child_max_age,
            "deposit_single_hkd": decimal_str(self.deposit_single_hkd),
            "deposit_family_hkd": decimal_str(self.deposit_family_hkd),
            "deposit_freshness_months": self.deposit_freshness_months,
            "passport_warning_months": self.passport_warning_months,
            "excluded_nationalities": dict(self.excluded_nationalities),
            "general_points": _general_points_dict(self.general_points),
            "achievement_points": asdict(self.achievement_points),
            "overrides": dict(self.overrides),
        }

    def with_overrides(self, **values: Any) -> RuleSet:
        """A copy with some top-level values replaced, validated like a file, and recorded.

        The app uses this for thresholds set in its config (``deposit_single_hkd=...``). The
        version stays, and ``overrides`` lists what differs, so a stored run shows both.
        """
        unknown = sorted(set(values) - _OVERRIDABLE)
        if unknown:
            allowed = ", ".join(sorted(_OVERRIDABLE))
            raise ValueError(f"cannot override {', '.join(unknown)}; overridable: {allowed}")
        data = self.to_dict()
        recorded = dict(data.pop("overrides"))
        for name, value in values.items():
            data[name] = _jsonable(value)
            recorded[name] = data[name]
        data["overrides"] = recorded
        return load_rule_set(data)


_OVERRIDABLE = frozenset(
    {
        "minimum_age",
        "dependant_child_max_age",
        "deposit_single_hkd",
        "deposit_family_hkd",
        "deposit_freshness_months",
        "passport_warning_months",
        "excluded_nationalities",
    }
)


def _general_points_dict(gpt: GeneralPointsTable | GeneralPointsCriteria) -> dict[str, Any]:
    if isinstance(gpt, GeneralPointsCriteria):
        return gpt.to_dict()
    return {
        "kind": gpt.kind,
        "pass_mark": gpt.pass_mark,
        "maximum": gpt.maximum,
        "age": [asdict(band) for band in gpt.age_bands],
        "education": [_education_dict(tier) for tier in gpt.education],
        "work_experience": [asdict(tier) for tier in gpt.work_experience],
        "language": asdict(gpt.language),
        "family": asdict(gpt.family),
    }


def _education_dict(tier: EducationTier) -> dict[str, Any]:
    data: dict[str, Any] = {"label": tier.label, "points": tier.points}
    for name in ("doctorate", "master", "bachelor"):
        if getattr(tier, name):
            data[name] = getattr(tier, name)
    if tier.professional:
        data["professional"] = True
    return data


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return decimal_str(value)
    if isinstance(value, Mapping):
        return dict(value)
    return value


class _Reader:
    """Reads one JSON object, naming the exact path of any bad value, and refusing extra keys."""

    def __init__(self, data: Any, path: str) -> None:
        if not isinstance(data, Mapping):
            raise ValueError(f"{path}: expected an object, got {type(data).__name__}")
        self.data = data
        self.path = path
        self.seen: set[str] = set()

    def _get(self, key: str, optional: bool = False) -> Any:
        self.seen.add(key)
        if key not in self.data:
            if optional:
                return None
            raise ValueError(f"{self._at(key)}: required value is missing")
        return self.data[key]

    def _at(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def text(self, key: str) -> str:
        value = self._get(key)
        if not isinstance(value, str) or not value.strip():
            raise ValueError(f"{self._at(key)}: expected a non-empty string, got {value!r}")
        return value

    def whole(self, key: str, minimum: int = 0, optional: bool = False) -> int:
        value = self._get(key, optional)
        if value is None and optional:
            return 0
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"{self._at(key)}: expected a whole number, got {value!r}")
        if value < minimum:
            raise ValueError(f"{self._at(key)}: {value} is below the minimum {minimum}")
        return value

    def whole_or_null(self, key: str) -> int | None:
        if self._get(key) is None:
            return None
        return self.whole(key)

    def flag(self, key: str) -> bool:
        value = self._get(key, optional=True)
        if value is None:
            return False
        if not isinstance(value, bool):
            raise ValueError(f"{self._at(key)}: expected true or false, got {value!r}")
        return value

    def money(self, key: str) -> Decimal:
        value = self._get(key)
        if isinstance(value, (bool, float)) or not isinstance(value, (str, int, Decimal)):
            raise ValueError(
                f'{self._at(key)}: expected an amount as a string such as "250000", got {value!r}'
            )
        try:
            amount = Decimal(value)
        except InvalidOperation:
            raise ValueError(f"{self._at(key)}: {value!r} is not an amount") from None
        if not amount.is_finite() or amount <= 0:
            raise ValueError(f"{self._at(key)}: {value!r} must be a positive amount")
        return amount

    def day(self, key: str) -> date:
        value = self.text(key)
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise ValueError(f"{self._at(key)}: {value!r} is not an ISO date") from None

    def obj(self, key: str) -> _Reader:
        return _Reader(self._get(key), self._at(key))

    def items(self, key: str) -> list[_Reader]:
        value = self._get(key)
        if not isinstance(value, list) or not value:
            raise ValueError(f"{self._at(key)}: expected a non-empty list")
        return [_Reader(item, f"{self._at(key)}[{i}]") for i, item in enumerate(value)]

    def words(self, key: str) -> list[str]:
        """A non-empty list of non-empty strings, without repeats."""
        value = self._get(key)
        if not isinstance(value, list) or not value:
            raise ValueError(f"{self._at(key)}: expected a non-empty list of strings")
        for i, item in enumerate(value):
            if not isinstance(item, str) or not item.strip():
                raise ValueError(f"{self._at(key)}[{i}]: expected a non-empty string, got {item!r}")
        if len(set(value)) != len(value):
            raise ValueError(f"{self._at(key)}: lists a value twice")
        return value

    def raw(self, key: str, optional: bool = False) -> Any:
        return self._get(key, optional)

    def done(self) -> None:
        extra = sorted(set(self.data) - self.seen)
        if extra:
            raise ValueError(f"{self.path or 'rule set'}: unknown keys {', '.join(extra)}")


def _age_bands(reader: _Reader) -> tuple[AgeBand, ...]:
    bands = []
    for item in reader.items("age"):
        band = AgeBand(item.whole("min_age"), item.whole_or_null("max_age"), item.whole("points"))
        item.done()
        bands.append(band)
    for earlier, later in pairwise(bands):
        if earlier.max_age is None or later.min_age != earlier.max_age + 1:
            raise ValueError(f"{reader.path}.age: bands must be contiguous and ascending")
    if bands[-1].max_age is not None:
        raise ValueError(f"{reader.path}.age: the last band needs max_age null (no upper bound)")
    if any(b.max_age is not None and b.max_age < b.min_age for b in bands):
        raise ValueError(f"{reader.path}.age: a band ends before it starts")
    return tuple(bands)


def _education(reader: _Reader) -> tuple[EducationTier, ...]:
    tiers = []
    for item in reader.items("education"):
        tier = EducationTier(
            label=item.text("label"),
            points=item.whole("points"),
            doctorate=item.whole("doctorate", optional=True),
            master=item.whole("master", optional=True),
            bachelor=item.whole("bachelor", optional=True),
            professional=item.flag("professional"),
        )
        item.done()
        if not (tier.doctorate or tier.master or tier.bachelor or tier.professional):
            raise ValueError(f"{item.path}: a tier must require at least one qualification")
        tiers.append(tier)
    return tuple(tiers)


def _work(reader: _Reader) -> tuple[WorkTier, ...]:
    tiers = []
    for item in reader.items("work_experience"):
        tier = WorkTier(
            label=item.text("label"),
            points=item.whole("points"),
            min_years=item.whole("min_years", minimum=1),
            min_senior_years=item.whole("min_senior_years", optional=True),
        )
        item.done()
        if tier.min_senior_years > tier.min_years:
            raise ValueError(f"{item.path}: min_senior_years cannot exceed min_years")
        tiers.append(tier)
    return tuple(tiers)


GENERAL_POINTS_KINDS = ("points_table", "criteria")
_DEGREES = tuple(level for level in Qualification if level.is_degree)


def _general_points(reader: _Reader) -> GeneralPointsTable | GeneralPointsCriteria:
    # No kind is a points table: the files written before the criteria test existed.
    kind = reader.raw("kind", optional=True)
    if kind is None or kind == "points_table":
        return _points_table(reader)
    if kind == "criteria":
        return _criteria(reader)
    kinds = " or ".join(GENERAL_POINTS_KINDS)
    raise ValueError(f"{reader.path}.kind: expected {kinds}, got {kind!r}")


def _criteria(reader: _Reader) -> GeneralPointsCriteria:
    criteria = tuple(_criterion(item, n) for n, item in enumerate(reader.items("criteria"), 1))
    threshold = reader.whole("threshold", minimum=1)
    reader.done()
    codes = [item.code for item in criteria]
    for code in codes:
        if codes.count(code) > 1:
            raise ValueError(f"{reader.path}.criteria: {code!r} is listed twice")
    if threshold > len(criteria):
        raise ValueError(
            f"{reader.path}.threshold: {threshold} exceeds the {len(criteria)} criteria listed"
        )
    return GeneralPointsCriteria(threshold=threshold, criteria=criteria)


def _criterion(item: _Reader, number: int) -> Criterion:
    code = item.text("code")
    if code not in CRITERION_VALUES:
        known = ", ".join(CRITERION_VALUES)
        raise ValueError(f"{item.path}.code: unknown criterion {code!r}; known: {known}")
    values: dict[str, Any] = {}
    for name in CRITERION_VALUES[code]:
        if name in ("max_age", "min_years"):
            values[name] = item.whole(name, minimum=1)
        elif name == "min_hkd":
            values[name] = item.money(name)
        else:
            values[name] = _degree_levels(item, name)
    criterion = Criterion(number=number, code=code, title=item.text("title"), **values)
    item.done()
    return criterion


def _degree_levels(item: _Reader, key: str) -> tuple[Qualification, ...]:
    allowed = {level.value: level for level in _DEGREES}
    levels = []
    for i, word in enumerate(item.words(key)):
        if word not in allowed:
            names = ", ".join(allowed)
            raise ValueError(f"{item.path}.{key}[{i}]: {word!r} is not a degree ({names})")
        levels.append(allowed[word])
    # Stored lowest first whatever the order written, so equal data compares equal.
    return tuple(sorted(levels, key=list(Qualification).index))


def _points_table(reader: _Reader) -> GeneralPointsTable:
    language = reader.obj("language")
    family = reader.obj("family")
    table = GeneralPointsTable(
        pass_mark=reader.whole("pass_mark", minimum=1),
        maximum=reader.whole("maximum", minimum=1),
        age_bands=_age_bands(reader),
        education=_education(reader),
        work_experience=_work(reader),
        language=LanguagePoints(
            language.whole("both"), language.whole("one_plus_foreign"), language.whole("one")
        ),
        family=FamilyPoints(
            per_child=family.whole("per_child"),
            child_max=family.whole("child_max"),
            spouse_degree=family.whole("spouse_degree"),
            hk_permanent_resident=family.whole("hk_permanent_resident"),
        ),
    )
    for sub in (reader, language, family):
        sub.done()
    total = sum(table.factor_maxima().values())
    if total != table.maximum:
        raise ValueError(
            f"{reader.path}: the factors add up to {total} but maximum says {table.maximum}"
        )
    if table.pass_mark > table.maximum:
        raise ValueError(f"{reader.path}: pass_mark {table.pass_mark} exceeds the maximum")
    return table


def _excluded(reader: _Reader) -> Mapping[str, str]:
    value = reader.raw("excluded_nationalities")
    if not isinstance(value, Mapping):
        raise ValueError("excluded_nationalities: expected an object of code -> country name")
    for code, name in value.items():
        if not isinstance(code, str) or not _COUNTRY_CODE.match(code):
            raise ValueError(f"excluded_nationalities: {code!r} is not an upper-case alpha-3 code")
        if not isinstance(name, str) or not name.strip():
            raise ValueError(f"excluded_nationalities.{code}: expected the country name")
    return MappingProxyType(dict(value))


def _achievement(reader: _Reader) -> AchievementPointsTable:
    sub = reader.obj("achievement_points")
    table = AchievementPointsTable(
        points=sub.whole("points", minimum=1), pass_mark=sub.whole("pass_mark", minimum=1)
    )
    sub.done()
    if table.points < table.pass_mark:
        raise ValueError("achievement_points: points must reach the pass mark (all or nothing)")
    return table


def _parse(data: Mapping[str, Any]) -> RuleSet:
    reader = _Reader(data, "")
    if reader.raw("format") != FORMAT:
        raise ValueError(f"format: expected {FORMAT}, got {data.get('format')!r}")
    overrides = reader.raw("overrides", optional=True) or {}
    if not isinstance(overrides, Mapping):
        raise ValueError("overrides: expected an object")
    rule_set = RuleSet(
        version=reader.text("version"),
        title=reader.text("title"),
        effective_date=reader.day("effective_date"),
        minimum_age=reader.whole("minimum_age", minimum=1),
        dependant_child_max_age=reader.whole("dependant_child_max_age", minimum=1),
        deposit_single_hkd=reader.money("deposit_single_hkd"),
        deposit_family_hkd=reader.money("deposit_family_hkd"),
        deposit_freshness_months=reader.whole("deposit_freshness_months", minimum=1),
        passport_warning_months=reader.whole("passport_warning_months"),
        excluded_nationalities=_excluded(reader),
        general_points=_general_points(reader.obj("general_points")),
        achievement_points=_achievement(reader),
        overrides=MappingProxyType(dict(overrides)),
    )
    reader.done()
    if rule_set.deposit_family_hkd < rule_set.deposit_single_hkd:
        raise ValueError("deposit_family_hkd cannot be below deposit_single_hkd")
    return rule_set


def load_rule_set(source: str | os.PathLike[str] | Mapping[str, Any]) -> RuleSet:
    """A validated rule set from a JSON file path or an already-parsed mapping.

    Raises ValueError naming the file and the bad value; JSON numbers with a fraction are read
    as Decimal, never float.
    """
    if isinstance(source, Mapping):
        return _parse(source)
    path = Path(source)
    try:
        data = json.loads(path.read_text(encoding="utf-8"), parse_float=Decimal)
        return _parse(data)
    except ValueError as exc:  # includes json.JSONDecodeError
        raise ValueError(f"rule set {path.name}: {exc}") from exc


@lru_cache(maxsize=1)
def _packaged() -> dict[str, RuleSet]:
    """The rule sets shipped in ``rulesets/``, loaded once; the file name must be the version."""
    found: dict[str, RuleSet] = {}
    folder = resources.files(__package__).joinpath("rulesets")
    for entry in folder.iterdir():
        if not entry.name.endswith(".json"):
            continue
        with resources.as_file(entry) as path:
            rule_set = load_rule_set(path)
        if rule_set.version != entry.name.removesuffix(".json"):
            raise ValueError(f"rule set {entry.name}: version is {rule_set.version!r}")
        found[rule_set.version] = rule_set
    return dict(sorted(found.items(), key=lambda item: item[1].effective_date))


def packaged_rule_sets() -> tuple[RuleSet, ...]:
    """Every rule set shipped with the package, oldest effective date first."""
    return tuple(_packaged().values())


def rule_set_in_force(rule_sets: Iterable[RuleSet], on: date) -> RuleSet:
    """The rule set in force ``on`` a day: the latest effective date on or before it.

    Pass the lodging date (``CaseFacts.lodging_date``). Raises LookupError when none is in force
    yet, and ValueError when two take effect on the same day (the choice would be arbitrary).
    """
    candidates = [rule_set for rule_set in rule_sets if rule_set.effective_date <= on]
    if not candidates:
        raise LookupError(f"no rule set is in force on {on.isoformat()}")
    latest = max(rule_set.effective_date for rule_set in candidates)
    chosen = [rule_set for rule_set in candidates if rule_set.effective_date == latest]
    if len({rule_set.version for rule_set in chosen}) > 1:
        versions = ", ".join(sorted(rule_set.version for rule_set in chosen))
        raise ValueError(f"rule sets {versions} all take effect on {latest.isoformat()}")
    return chosen[0]


def available_rule_sets() -> tuple[str, ...]:
    """Versions shipped with the package, oldest effective date first."""
    return tuple(_packaged())


def rule_set_for(version: str) -> RuleSet:
    """The packaged rule set ``version`` (for re-running or explaining a stored check)."""
    try:
        return _packaged()[version]
    except KeyError:
        known = ", ".join(available_rule_sets())
        raise LookupError(f"no rule set {version!r}; available: {known}") from None


def default_rule_set() -> RuleSet:
    """The rule set a check uses unless the caller passes another."""
    return rule_set_for(DEFAULT_VERSION)
