"""Every rule set, packaged or stored by an admin, through one loader.

Packaged rule sets come from ``caseapp/rules/rulesets/`` (loaded once per process by the rules
package); stored ones from ``stored_rule_sets``, each parsed with ``load_rule_set`` so it is
validated exactly like a file. ``all_rule_sets()`` runs on every check run, so parsed stored
versions are cached per process and keyed by (database, version, updated_at): a call costs one
small query of versions and timestamps, and a version is parsed again only after it changed
(in this process or another one: the timestamp moves either way). The write service calls
:func:`forget_stored_rule_sets` after each change as well.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from caseapp.extensions import db
from caseapp.models import CheckRun, StoredRuleSet
from caseapp.rules import RuleSet, load_rule_set, packaged_rule_sets, rule_set_in_force

# (database URL, version) -> (updated_at, parsed rule set)
_parsed: dict[tuple[str, str], tuple[datetime, RuleSet]] = {}
_lock = threading.Lock()


class StoredRuleSetInvalid(ValueError):
    """A stored version no longer loads (or clashes with a packaged one): checks must not
    silently fall back to another rule set, so this is raised, naming the version."""


def canonical_json(rule_set: RuleSet) -> str:
    """The rule set as stored: ``RuleSet.to_dict()`` with sorted keys, compact, UTF-8 text."""
    return json.dumps(rule_set.to_dict(), sort_keys=True, ensure_ascii=False,
                      separators=(",", ":"))


def parse_stored(content: str) -> RuleSet:
    """A stored rule set's JSON, validated like a packaged file (ValueError when it is not)."""
    return load_rule_set(json.loads(content, parse_float=Decimal))


def _database() -> str:
    return db.engine.url.render_as_string(hide_password=True)


def forget_stored_rule_sets() -> None:
    """Drop every parsed stored version: the next call reads them again (after a write)."""
    with _lock:
        _parsed.clear()


def stored_rule_sets() -> tuple[RuleSet, ...]:
    """The admins' versions, parsed and validated, oldest effective date first."""
    database = _database()
    stamps = db.session.execute(
        select(StoredRuleSet.version, StoredRuleSet.updated_at)
        .order_by(StoredRuleSet.effective_date, StoredRuleSet.version)
    ).all()
    with _lock:
        stale = [version for version, updated_at in stamps
                 if _parsed.get((database, version), (None,))[0] != updated_at]
    if stale:
        rows = db.session.execute(
            select(StoredRuleSet.version, StoredRuleSet.updated_at, StoredRuleSet.content)
            .where(StoredRuleSet.version.in_(stale))
        ).all()
        fresh = {}
        for version, updated_at, content in rows:
            try:
                rule_set = parse_stored(content)
            except ValueError as error:
                raise StoredRuleSetInvalid(
                    f"stored rule set {version} does not load: {error}") from error
            if rule_set.version != version:
                raise StoredRuleSetInvalid(
                    f"stored rule set {version} says it is version {rule_set.version}")
            fresh[(database, version)] = (updated_at, rule_set)
        with _lock:
            _parsed.update(fresh)
    with _lock:
        found = [_parsed.get((database, version)) for version, _ in stamps]
    # A version deleted or changed between the two queries is simply read on the next call.
    return tuple(entry[1] for entry in found if entry is not None)


def all_rule_sets() -> tuple[RuleSet, ...]:
    """Packaged and stored rule sets, oldest effective date first.

    A stored version named like a packaged one is an error (the service refuses to create
    one; a packaged file added later with an admin's name would make runs ambiguous).
    """
    packaged = packaged_rule_sets()
    stored = stored_rule_sets()
    names = {rule_set.version for rule_set in packaged}
    for rule_set in stored:
        if rule_set.version in names:
            raise StoredRuleSetInvalid(
                f"stored rule set {rule_set.version} has the name of a packaged rule set; "
                "rename one of them")
    return tuple(sorted((*packaged, *stored), key=lambda r: (r.effective_date, r.version)))


def is_packaged(version: str) -> bool:
    return any(rule_set.version == version for rule_set in packaged_rule_sets())


def find_rule_set(version: str) -> RuleSet | None:
    """The rule set ``version``, packaged or stored; None when there is none."""
    return next((r for r in all_rule_sets() if r.version == version), None)


def get_stored(version: str) -> StoredRuleSet | None:
    """The stored row of ``version`` (None for a packaged or unknown one)."""
    return db.session.scalars(
        select(StoredRuleSet).where(StoredRuleSet.version == version)
    ).one_or_none()


def rule_set_usage() -> dict[str, int]:
    """Version -> how many check runs used it (versions never used are absent)."""
    rows = db.session.execute(
        select(CheckRun.rule_set_version, func.count()).group_by(CheckRun.rule_set_version)
    ).all()
    return {version: count for version, count in rows}


def times_used(version: str) -> int:
    """How many check runs used ``version``."""
    return db.session.scalar(
        select(func.count()).select_from(CheckRun).where(CheckRun.rule_set_version == version)
    ) or 0


@dataclass(frozen=True)
class RuleSetEntry:
    """One line of the admins' list."""

    rule_set: RuleSet
    stored: StoredRuleSet | None  # None: packaged
    runs: int
    in_force_today: bool

    @property
    def packaged(self) -> bool:
        return self.stored is None

    @property
    def editable(self) -> bool:
        """A stored version no check run has used yet may still change."""
        return self.stored is not None and self.runs == 0


def rule_set_entries(today: date) -> list[RuleSetEntry]:
    """Every rule set with its use and whether it is in force today by date (a handful of
    rows: each admin version is one; three statements whatever their number)."""
    rule_sets = all_rule_sets()
    usage = rule_set_usage()
    rows = {row.version: row for row in db.session.scalars(
        select(StoredRuleSet).options(selectinload(StoredRuleSet.created_by),
                                      selectinload(StoredRuleSet.updated_by)))}
    try:
        today_version: str | None = rule_set_in_force(rule_sets, today).version
    except (LookupError, ValueError):
        today_version = None
    return [RuleSetEntry(rule_set=r, stored=rows.get(r.version), runs=usage.get(r.version, 0),
                         in_force_today=r.version == today_version) for r in rule_sets]

