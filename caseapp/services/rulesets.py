"""Rule sets an admin makes: a new version from an existing one, and edits before first use.

A new version copies its base (packaged or stored) and changes only the numbers an admin may
change: the prerequisites' thresholds, the excluded nationalities, and the General Points
Test's pass mark (points table) or threshold count and criteria numbers (criteria). It takes
effect on a future day, has a new version name, and is validated by ``load_rule_set`` exactly
as a packaged file is. Once a check run has used a version it can no longer change (a run
records only the version, so the version must keep meaning what it meant); an admin then makes
a new version. Each change is one transaction with its audit entry (``rule_set:<version>``).

Values come as a form gives them (int, Decimal, date, a list of codes) or as text (the command
line, tests); every problem is a message for its field (``ValidationFailed``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import pycountry
from sqlalchemy.exc import IntegrityError

from caseapp import clock
from caseapp.extensions import db
from caseapp.models import StoredRuleSet, User, utcnow
from caseapp.queries.rulesets import (
    all_rule_sets,
    canonical_json,
    find_rule_set,
    forget_stored_rule_sets,
    get_stored,
    is_packaged,
    times_used,
)
from caseapp.rules import RuleSet, load_rule_set
from caseapp.rules.ruleset import GeneralPointsCriteria, GeneralPointsTable
from caseapp.services import audit
from caseapp.services.deposits import number_or_problem
from caseapp.services.errors import NotAllowed, ValidationFailed

VERSION_PATTERN = re.compile(r"[a-z0-9][a-z0-9.-]{2,39}", re.ASCII)
MAX_TITLE_LENGTH = 200
MAX_HKD = Decimal("1000000000000")  # a threshold beyond a trillion HKD is a typo
# Whole numbers an admin may change: field -> (label, smallest, largest).
WHOLE_NUMBERS: dict[str, tuple[str, int, int]] = {
    "minimum_age": ("The minimum age", 1, 99),
    "dependant_child_max_age": ("The age a child may accompany under", 1, 99),
    "deposit_freshness_months": ("The deposit freshness", 1, 60),
    "passport_warning_months": ("The passport warning", 0, 60),
}
MONEY = {"deposit_single_hkd": "The single applicant's deposit",
         "deposit_family_hkd": "The family's deposit"}
# A criterion's numbers an admin may change, by the name the rule set gives them.
CRITERION_NUMBERS: dict[str, tuple[str, int, int]] = {
    "max_age": ("The age limit", 1, 99),
    "min_years": ("The years", 1, 60),
}
CRITERION_MONEY = "min_hkd"


@dataclass(frozen=True)
class CriterionField:
    """One editable number of one criterion: the form field ``criterion_<n>_<name>``."""

    number: int
    name: str  # max_age, min_years or min_hkd
    title: str

    @property
    def key(self) -> str:
        return criterion_key(self.number, self.name)


def criterion_key(number: int, name: str) -> str:
    return f"criterion_{number}_{name}"


def criterion_fields(rule_set: RuleSet) -> list[CriterionField]:
    """The numbers of each criterion an admin may change (degree levels are not numbers)."""
    gpt = rule_set.general_points
    if not isinstance(gpt, GeneralPointsCriteria):
        return []
    return [CriterionField(item.number, name, item.title) for item in gpt.criteria
            for name in item.values() if name in CRITERION_NUMBERS or name == CRITERION_MONEY]


def editable_values(rule_set: RuleSet) -> dict[str, Any]:
    """Every value an admin may change, as the form shows it (prefilled from ``rule_set``)."""
    values: dict[str, Any] = {
        "version": rule_set.version,
        "title": rule_set.title,
        "effective_date": rule_set.effective_date,
        **{name: getattr(rule_set, name) for name in (*WHOLE_NUMBERS, *MONEY)},
        "excluded_nationalities": sorted(rule_set.excluded_nationalities),
    }
    gpt = rule_set.general_points
    if isinstance(gpt, GeneralPointsCriteria):
        values["threshold"] = gpt.threshold
        for item in gpt.criteria:
            for name in item.values():
                if name in CRITERION_NUMBERS or name == CRITERION_MONEY:
                    values[criterion_key(item.number, name)] = getattr(item, name)
    else:
        values["pass_mark"] = gpt.pass_mark
    return values


def parse_codes(value: Any) -> list[str]:
    """Country codes from a list or from text separated by commas, spaces or new lines."""
    if isinstance(value, str):
        value = re.split(r"[\s,;]+", value)
    return [str(code).strip().upper() for code in value or () if str(code).strip()]


# ---- checking the values -----------------------------------------------------------------------

class _Problems:
    def __init__(self) -> None:
        self.errors: dict[str, list[str]] = {}

    def add(self, field: str, message: str) -> None:
        self.errors.setdefault(field, []).append(message)

    def whole(self, field: str, value: Any, label: str, low: int, high: int) -> int | None:
        if isinstance(value, str):
            value = value.strip()
            if re.fullmatch(r"-?[0-9]{1,6}", value, re.ASCII):
                value = int(value)
        if value is None or value == "":
            self.add(field, f"{label} is required.")
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            self.add(field, f"{label} must be a whole number.")
            return None
        if not low <= value <= high:
            self.add(field, f"{label} must be from {low} to {high}.")
            return None
        return value

    def money(self, field: str, value: Any, label: str) -> Decimal | None:
        amount, problem = number_or_problem(value, "amount", "250000")
        if problem:
            self.add(field, problem)
        elif amount is None:
            self.add(field, f"{label} is required, in HKD.")
        elif amount <= 0:
            self.add(field, f"{label} must be more than zero.")
        elif amount >= MAX_HKD:
            self.add(field, f"{label} must be below HKD 1,000,000,000,000.")
        elif -amount.as_tuple().exponent > 2:  # type: ignore[operator]
            self.add(field, f"{label} has at most 2 decimal places (cents).")
        else:
            # 300000.00 is stored as 300000, as the packaged files write it.
            return amount.quantize(Decimal(1)) if amount == amount.to_integral() else amount
        return None


def _effective_date(problems: _Problems, value: Any, others: list[RuleSet]) -> date | None:
    if isinstance(value, str) and value.strip():
        try:
            value = date.fromisoformat(value.strip())
        except ValueError:
            problems.add("effective_date", "Enter a real date as YYYY-MM-DD.")
            return None
    if not isinstance(value, date):
        problems.add("effective_date", "Enter the day the version takes effect.")
        return None
    today = clock.today()
    if value <= today:
        problems.add("effective_date",
                     f"The effective date must be in the future: after today, {today.isoformat()}.")
        return None
    clash = next((r for r in others if r.effective_date == value), None)
    if clash is not None:
        problems.add("effective_date",
                     f"{clash.version} already takes effect on {value.isoformat()}: choose "
                     "another day (two versions in force from the same day would be ambiguous).")
        return None
    return value


def _version(problems: _Problems, value: Any) -> str | None:
    version = str(value or "").strip()
    if not version:
        problems.add("version", "Name the new version, such as qmas-2027-01.")
    elif not VERSION_PATTERN.fullmatch(version):
        problems.add("version", "Use 3 to 40 lower-case letters, digits, dots and hyphens, "
                                "starting with a letter or digit, such as qmas-2027-01.")
    elif is_packaged(version):
        problems.add("version", f"{version} is a packaged rule set: choose another name.")
    elif get_stored(version) is not None:
        problems.add("version", f"There is already a version {version}: choose another name.")
    elif times_used(version):
        problems.add("version", f"Check runs name {version} already: choose another name.")
    else:
        return version
    return None


def _excluded(problems: _Problems, value: Any, base: RuleSet) -> dict[str, str] | None:
    codes = parse_codes(value)
    unknown = [code for code in codes if pycountry.countries.get(alpha_3=code) is None
               or len(code) != 3]
    if unknown:
        problems.add("excluded_nationalities",
                     f"Not ISO 3166-1 alpha-3 country codes: {', '.join(unknown)}.")
        return None
    names: dict[str, str] = {}
    for code in sorted(set(codes)):
        # Keep the base's wording of a name it already lists (the packaged files' spelling).
        names[code] = base.excluded_nationalities.get(code) or str(
            pycountry.countries.get(alpha_3=code).name)  # type: ignore[union-attr]
    return names


def _rule_set_data(base: RuleSet, values: dict[str, Any], others: list[RuleSet],
                   version: str | None) -> dict[str, Any]:
    """The new rule set as JSON-ready data, or ValidationFailed with every problem."""
    problems = _Problems()
    data = base.to_dict()
    data["overrides"] = {}  # a stored version carries no app-config overrides
    if version is None:
        data["version"] = _version(problems, values.get("version"))
    title = str(values.get("title") or "").strip()
    if not title:
        problems.add("title", "Give the version a title that says what changed.")
    elif len(title) > MAX_TITLE_LENGTH:
        problems.add("title", f"Keep the title to {MAX_TITLE_LENGTH} characters.")
    data["title"] = title
    effective = _effective_date(problems, values.get("effective_date"), others)
    data["effective_date"] = effective.isoformat() if effective else None
    for name, (label, low, high) in WHOLE_NUMBERS.items():
        data[name] = problems.whole(name, values.get(name), label, low, high)
    amounts = {name: problems.money(name, values.get(name), label)
               for name, label in MONEY.items()}
    single, family = amounts["deposit_single_hkd"], amounts["deposit_family_hkd"]
    if single is not None and family is not None and family < single:
        problems.add("deposit_family_hkd",
                     "The family's deposit cannot be below the single applicant's.")
    data.update({name: str(amount) for name, amount in amounts.items()})
    data["excluded_nationalities"] = _excluded(
        problems, values.get("excluded_nationalities"), base)
    gpt = base.general_points
    general = data["general_points"]
    if isinstance(gpt, GeneralPointsCriteria):
        general["threshold"] = problems.whole(
            "threshold", values.get("threshold"), "The number of criteria to meet", 1,
            len(gpt.criteria))
        for spec in criterion_fields(base):
            criterion = general["criteria"][spec.number - 1]
            if spec.name == CRITERION_MONEY:
                amount = problems.money(spec.key, values.get(spec.key), "The amount")
                criterion[spec.name] = None if amount is None else str(amount)
            else:
                label, low, high = CRITERION_NUMBERS[spec.name]
                criterion[spec.name] = problems.whole(spec.key, values.get(spec.key), label,
                                                      low, high)
    elif isinstance(gpt, GeneralPointsTable):
        general["pass_mark"] = problems.whole("pass_mark", values.get("pass_mark"),
                                              "The pass mark", 1, gpt.maximum)
    if problems.errors:
        raise ValidationFailed(problems.errors)
    return data


def _validated(data: dict[str, Any]) -> RuleSet:
    """The rules' own validation, as for a packaged file; its message goes beside the field
    it names (or above the form)."""
    try:
        return load_rule_set(data)
    except ValueError as error:
        message = str(error)
        path = message.split(":", 1)[0]
        field = path.split(".", 1)[0].split("[", 1)[0]
        match = re.match(r"general_points\.criteria\[(\d+)\]\.(\w+)", path)
        if match:
            field = criterion_key(int(match.group(1)) + 1, match.group(2))
        elif field == "general_points":
            field = "threshold" if "threshold" in message else "pass_mark"
        raise ValidationFailed({field: [f"The rules refuse this: {message}"]}) from error


def _flat(rule_set: RuleSet) -> dict[str, str | None]:
    values = editable_values(rule_set)
    values.pop("version")
    values["excluded_nationalities"] = " ".join(values["excluded_nationalities"])
    return {name: audit.display_value(value) for name, value in values.items()}


def _finish(actor: User, row: StoredRuleSet, action: str,
            changes: dict[str, list[str | None]]) -> StoredRuleSet:
    try:
        db.session.flush()
        audit.record(actor, action, f"rule_set:{row.version}", changes)
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        # Another admin saved the same version name, or a version taking effect the same
        # day, at the same moment.
        raise ValidationFailed({
            "version": [f"There may already be a version {row.version}: choose another name."],
            "effective_date": [f"Or another version takes effect on "
                               f"{row.effective_date.isoformat()}: choose another day."],
        }) from None
    except Exception:
        db.session.rollback()
        raise
    finally:
        forget_stored_rule_sets()
    return row


def create_rule_set(actor: User, base_version: str, values: dict[str, Any]) -> StoredRuleSet:
    """A new stored version made from ``base_version`` with ``values`` (see
    :func:`editable_values` for the names), taking effect on a future day."""
    base = find_rule_set(base_version)
    if base is None:
        raise NotAllowed(f"There is no rule set {base_version} to start from.")
    data = _rule_set_data(base, values, list(all_rule_sets()), version=None)
    rule_set = _validated(data)
    now = utcnow()
    row = StoredRuleSet(
        version=rule_set.version, title=rule_set.title, effective_date=rule_set.effective_date,
        based_on=base.version, content=canonical_json(rule_set), created_by_id=actor.id,
        created_at=now, updated_by_id=actor.id, updated_at=now)
    db.session.add(row)
    changes: dict[str, list[str | None]] = {"based_on": [None, base.version]}
    changes.update({name: [None, value] for name, value in _flat(rule_set).items()})
    return _finish(actor, row, "created", changes)


def used_message(version: str) -> str:
    return f"Check runs have used {version}: it can no longer change; create a new version."


def update_rule_set(actor: User, version: str, values: dict[str, Any]) -> StoredRuleSet:
    """Change a stored version no check run has used yet (its name stays)."""
    if is_packaged(version):
        raise NotAllowed(f"{version} is a packaged rule set: it cannot change here; create a "
                         "new version from it.")
    row = get_stored(version)
    if row is None:
        raise NotAllowed(f"There is no stored rule set {version}.")
    if times_used(version):
        raise NotAllowed(used_message(version))
    current = find_rule_set(version)
    assert current is not None
    others = [r for r in all_rule_sets() if r.version != version]
    data = _rule_set_data(current, values, others, version=version)
    rule_set = _validated(data)
    before, after = _flat(current), _flat(rule_set)
    changes = {name: [before[name], after[name]] for name in after
               if before.get(name) != after[name]}
    if not changes:
        return row
    row.title, row.effective_date = rule_set.title, rule_set.effective_date
    row.content = canonical_json(rule_set)
    row.updated_by_id, row.updated_at = actor.id, utcnow()
    return _finish(actor, row, "updated", changes)
