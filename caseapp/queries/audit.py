"""The audit trail for managers and admins: filtered, keyset-paged newest first, exported.

A page is ``WHERE <filter> AND (at, id) < (boundary) ORDER BY at DESC, id DESC LIMIT 51``
over the indexes (at, id), (user_id, at, id), (action, at, id) and (case_id, at): as fast on
the thousandth page as on the first. The rows are read with their user and case joined, as
plain column tuples, so a page costs the same few statements whatever it holds.

Personal data never leaves through this module: the changes of an applicant or a dependant
can hold a passport number, a date of birth, an e-mail address or a phone number, and each
line is masked here (:func:`masked_changes`), once, for the page and the CSV alike. A passport
number can also stand in another field's value (a scan uploaded as ``K98765432.pdf``): the
numbers of the people of the cases in view, now and as the trail recorded them, are blanked
out of every value too (:func:`known_passports`, one more statement a page or a batch).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Protocol
from urllib.parse import urlencode

from sqlalchemy import (
    ColumnElement,
    Connection,
    Integer,
    Select,
    and_,
    func,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import aliased

from caseapp import clock
from caseapp.extensions import db
from caseapp.models import Applicant, AuditEntry, Case, User
from caseapp.models.base import UTCDateTime
from caseapp.queries import cursors
from caseapp.queries.case_filters import (
    UNSAFE_FILTER_MESSAGE,
    Args,
    day_start,
    filter_date,
)
from caseapp.queries.case_list import keyset_condition
from caseapp.services.people import has_unsafe_characters

PER_PAGE = 50
EXPORT_LIMIT = 100_000  # rows in one CSV file; the page says so when the filter holds more
EXPORT_BATCH_SIZE = 2000
MAX_ACTIONS = 200  # distinct actions offered in the filter
MAX_USERS = 2000  # users offered in the filter
MAX_REFERENCE_LENGTH = 40
SYSTEM = "system"  # the user filter's value for entries made by no one (command line, jobs)
VIA_CHOICES = {"api": "Through the API", "other": "Not through the API"}
TYPED_PARAMETERS = ("user", "case", "action", "from", "to", "via")
MASK = "(hidden)"
# Never shown or exported, from any entity: a passport number is personal data wherever it
# was recorded.
ALWAYS_MASKED = frozenset({"passport_number"})
# Personal data of the people on a case (an applicant, a dependant): hidden on their entities.
PERSONAL_FIELDS = frozenset({"passport_number", "date_of_birth", "email", "phone"})
PERSONAL_ENTITIES = frozenset({"applicant", "dependant"})
# A passport number shorter than this is not blanked out of other text (it would blank out
# half of every value); no real passport number is.
MIN_SCRUBBED_LENGTH = 5
_KEY_KINDS = (datetime, int)
_KEY_TYPES = (UTCDateTime(), Integer())


# ---- the filter -------------------------------------------------------------------------------

@dataclass(frozen=True)
class AuditFilters:
    user_id: int | None = None
    system: bool = False  # entries made by no user
    case_id: int | None = None
    case_reference: str = ""  # as stored, for the form and the links
    action: str = ""
    date_from: date | None = None
    date_to: date | None = None
    via: str = ""  # "", or a key of VIA_CHOICES

    @property
    def is_empty(self) -> bool:
        return self == AuditFilters()

    def query_items(self) -> list[tuple[str, str]]:
        """The filter as query-string pairs, the inverse of :func:`parse_audit_filters`."""
        items: list[tuple[str, str]] = []
        if self.system:
            items.append(("user", SYSTEM))
        elif self.user_id is not None:
            items.append(("user", str(self.user_id)))
        if self.case_reference:
            items.append(("case", self.case_reference))
        if self.action:
            items.append(("action", self.action))
        if self.date_from is not None:
            items.append(("from", self.date_from.isoformat()))
        if self.date_to is not None:
            items.append(("to", self.date_to.isoformat()))
        if self.via:
            items.append(("via", self.via))
        return items

    def query_string(self) -> str:
        return urlencode(self.query_items())


@dataclass(frozen=True)
class UserChoice:
    id: int
    name: str
    active: bool


@dataclass(frozen=True)
class AuditChoices:
    """What the filter form offers: every user (deactivated ones too) and the actions used."""

    users: list[UserChoice]
    actions: list[str]


@dataclass
class ParsedAuditFilters:
    filters: AuditFilters
    errors: dict[str, list[str]] = field(default_factory=dict)


def audit_choices() -> AuditChoices:
    """Two statements whatever the trail holds: the users by name, and the distinct actions
    by a loose index scan on (action, at, id) (one probe per action, not a scan of the
    trail), at most MAX_ACTIONS of them."""
    users = [UserChoice(id=row.id, name=row.name, active=row.active) for row in db.session.execute(
        select(User.id, User.name, User.active).order_by(User.name, User.id).limit(MAX_USERS))]
    return AuditChoices(users=users, actions=_distinct_actions())


def _distinct_actions() -> list[str]:
    entries = aliased(AuditEntry)
    first = select(func.min(AuditEntry.action).label("action"))
    seen = first.cte("seen_actions", recursive=True)
    following = (select(func.min(entries.action))
                 .where(entries.action > seen.c.action).scalar_subquery())
    seen = seen.union_all(select(following).where(seen.c.action.is_not(None)))
    query = (select(seen.c.action).where(seen.c.action.is_not(None))
             .order_by(seen.c.action).limit(MAX_ACTIONS))
    return list(db.session.scalars(query))


def _case_id(reference: str) -> int | None:
    """The case with ``reference``, in any case of letters: references are stored upper case
    (``QM-2025-0001``), so the unique index finds it."""
    return db.session.scalar(select(Case.id).where(Case.reference == reference.upper()))


def parse_audit_filters(args: Args, choices: AuditChoices) -> ParsedAuditFilters:
    """Read the filter from query arguments. A value that cannot be read (or names a user, a
    case or an action there is none of) is reported for its field and not applied."""
    errors: dict[str, list[str]] = {}
    raw: dict[str, str] = {}
    for name in TYPED_PARAMETERS:
        value = str(args.get(name) or "").strip()
        if has_unsafe_characters(value):
            errors.setdefault(name, []).append(UNSAFE_FILTER_MESSAGE)
            value = ""
        raw[name] = value

    def bad(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    values: dict[str, Any] = {}
    user = raw["user"]
    if user == SYSTEM:
        values["system"] = True
    elif user:
        known = {choice.id for choice in choices.users}
        if user.isascii() and user.isdigit() and len(user) < 10 and int(user) in known:
            values["user_id"] = int(user)
        else:
            bad("user", "There is no such user: choose one from the list.")

    reference = raw["case"]
    if len(reference) > MAX_REFERENCE_LENGTH:
        bad("case", f"A case reference has at most {MAX_REFERENCE_LENGTH} characters.")
    elif reference:
        case_id = _case_id(reference)
        if case_id is None:
            bad("case", f"There is no case {reference!r}.")
        else:
            values["case_id"], values["case_reference"] = case_id, reference.upper()

    action = raw["action"]
    if action and action not in choices.actions:
        bad("action", "The trail has no entry with this action: choose one from the list.")
    elif action:
        values["action"] = action

    start = filter_date(raw["from"], "from", errors)
    end = filter_date(raw["to"], "to", errors)
    if start and end and start > end:
        bad("to", "The end of the range is before its start.")
        end = None
    values["date_from"], values["date_to"] = start, end

    via = raw["via"]
    if via and via not in VIA_CHOICES:
        bad("via", "Choose through the API or not.")
    elif via:
        values["via"] = via
    return ParsedAuditFilters(AuditFilters(**values), errors)


def filter_conditions(filters: AuditFilters) -> list[ColumnElement[bool]]:
    f = filters
    conditions: list[ColumnElement[bool]] = []
    if f.system:
        conditions.append(AuditEntry.user_id.is_(None))
    elif f.user_id is not None:
        conditions.append(AuditEntry.user_id == f.user_id)
    if f.case_id is not None:
        conditions.append(AuditEntry.case_id == f.case_id)
    if f.action:
        conditions.append(AuditEntry.action == f.action)
    # Business days, inclusive: from the start of ``date_from`` in Hong Kong to the start of
    # the day after ``date_to``.
    if f.date_from is not None:
        conditions.append(AuditEntry.at >= day_start(f.date_from))
    if f.date_to is not None:
        conditions.append(AuditEntry.at < day_start(f.date_to + timedelta(days=1)))
    if f.via == "api":
        conditions.append(AuditEntry.via == "api")
    elif f.via == "other":
        conditions.append(or_(AuditEntry.via.is_(None), AuditEntry.via != "api"))
    return conditions


# ---- the lines ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Change:
    field: str
    old: str | None
    new: str | None


@dataclass(frozen=True)
class AuditLine:
    """One entry as the page and the CSV show it, its personal data already masked."""

    id: int
    at: datetime  # UTC
    user_name: str | None  # None: the system (command line, scheduled jobs)
    user_email: str | None
    via: str | None
    case_reference: str | None
    action: str
    entity: str
    changes: tuple[Change, ...]

    @property
    def local_at(self) -> datetime:
        return self.at.astimezone(clock.business_timezone())

    @property
    def through_api(self) -> bool:
        return self.via == "api"

    def changes_text(self) -> str:
        """``field: old → new; …`` with ``—`` for no value: the CSV's changes cell."""
        return "; ".join(f"{c.field}: {c.old if c.old is not None else '—'} → "
                         f"{c.new if c.new is not None else '—'}" for c in self.changes)


def _passport_pattern(numbers: Iterable[str]) -> re.Pattern[str] | None:
    usable = sorted({n.strip().upper() for n in numbers
                     if isinstance(n, str) and len(n.strip()) >= MIN_SCRUBBED_LENGTH},
                    key=len, reverse=True)
    if not usable:
        return None
    return re.compile("|".join(re.escape(n) for n in usable), re.IGNORECASE)


def masked_changes(entity: str, changes: Any,
                   passports: Iterable[str] = ()) -> tuple[Change, ...]:
    """The recorded ``{field: [old, new]}`` of ``entity`` with personal data masked: the
    personal fields hidden whole, and the ``passports`` blanked out of every other value. The
    one place the audit page and its export take changes from."""
    return _masked_changes(entity, changes, _passport_pattern(passports))


def _masked_changes(entity: str, changes: Any,
                    pattern: re.Pattern[str] | None) -> tuple[Change, ...]:
    if not isinstance(changes, dict):
        return ()
    personal = entity.partition(":")[0] in PERSONAL_ENTITIES

    def shown(value: Any) -> str | None:
        if value is None:
            return None
        text = str(value)
        return pattern.sub(MASK, text) if pattern is not None else text

    def masked(value: Any) -> str | None:
        return None if value is None else MASK

    lines = []
    for name, values in changes.items():
        old, new = (values[0], values[1]) if isinstance(values, list) and len(values) == 2 \
            else (None, values)
        hide = name in ALWAYS_MASKED or "passport_number" in name or (
            personal and name in PERSONAL_FIELDS)
        show = masked if hide else shown
        lines.append(Change(shown(name) or "", show(old), show(new)))
    return tuple(lines)


class _Executor(Protocol):
    def execute(self, statement: Any) -> Any: ...


def known_passports(executor: _Executor, case_ids: Iterable[int]) -> dict[int, set[str]]:
    """The passport numbers of the people of each of ``case_ids``: those stored now and every
    value the trail recorded for a ``passport_number`` of the applicant or a dependant (one
    statement)."""
    ids = sorted(set(case_ids))
    numbers: dict[int, set[str]] = {case_id: set() for case_id in ids}
    if not ids:
        return numbers
    # Only the applicant's passport is a column today; the trail's history below reads a
    # dependant's too, should one be recorded.
    stored = select(Applicant.case_id, Applicant.passport_number.label("number")).where(
        Applicant.case_id.in_(ids))
    recorded = AuditEntry.changes["passport_number"].as_string()  # JSON text of [old, new]
    history = (select(AuditEntry.case_id, recorded.label("number"))
               .where(AuditEntry.case_id.in_(ids),
                      # A range, not LIKE: both sides walk the (case_id, entity) index.
                      or_(AuditEntry.entity == "applicant",
                          and_(AuditEntry.entity >= "dependant:",
                               AuditEntry.entity < "dependant;")),
                      recorded.is_not(None)))
    for case_id, value in executor.execute(union_all(stored, history)):
        numbers[case_id].update(_numbers_in(value))
    return numbers


def _numbers_in(value: Any) -> list[str]:
    """A stored number, or the [old, new] the trail recorded (JSON text on some drivers)."""
    if isinstance(value, str) and value.startswith("["):
        try:
            value = json.loads(value)
        except ValueError:
            return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return [value] if isinstance(value, str) else []


_LINE_COLUMNS = (AuditEntry.id, AuditEntry.at, User.name, User.email, AuditEntry.via,
                 AuditEntry.case_id, Case.reference, AuditEntry.action, AuditEntry.entity,
                 AuditEntry.changes)


def _lines_query(filters: AuditFilters) -> Select[Any]:
    return (select(*_LINE_COLUMNS)
            .select_from(AuditEntry)
            .outerjoin(User, User.id == AuditEntry.user_id)
            .outerjoin(Case, Case.id == AuditEntry.case_id)
            .where(*filter_conditions(filters)))


def _lines(executor: _Executor, rows: list[Any],
           seen: dict[int, re.Pattern[str] | None] | None = None) -> list[AuditLine]:
    """The rows as lines, each masked with the passport numbers of its case. ``seen`` keeps
    the cases' patterns from batch to batch of an export: each case is looked up once."""
    patterns: dict[int, re.Pattern[str] | None] = {} if seen is None else seen
    new_ids = {row.case_id for row in rows if row.case_id is not None} - patterns.keys()
    for case_id, numbers in known_passports(executor, new_ids).items():
        patterns[case_id] = _passport_pattern(numbers)
    return [AuditLine(id=row.id, at=row.at, user_name=row.name, user_email=row.email,
                      via=row.via, case_reference=row.reference, action=row.action,
                      entity=row.entity,
                      changes=_masked_changes(row.entity, row.changes,
                                              patterns.get(row.case_id)))
            for row in rows]


# ---- the page ----------------------------------------------------------------------------------

@dataclass
class AuditPage:
    items: list[AuditLine]
    total: int  # counted up to export_limit + 1
    export_limit: int
    has_newer: bool
    has_older: bool
    newer_cursor: str | None
    older_cursor: str | None

    @property
    def more_than_export(self) -> bool:
        return self.total > self.export_limit


def _cursor(line: AuditLine) -> str:
    return cursors.encode_cursor([line.at, line.id])


def count_entries(filters: AuditFilters, limit: int | None = None) -> int:
    """How many entries match, counted up to ``limit`` (EXPORT_LIMIT) + 1: more than the
    export holds."""
    limit = EXPORT_LIMIT if limit is None else limit
    ids = select(AuditEntry.id).where(*filter_conditions(filters)).limit(limit + 1).subquery()
    return db.session.scalar(select(func.count()).select_from(ids)) or 0


def audit_page(filters: AuditFilters, older: str | None = None, newer: str | None = None,
               per_page: int = PER_PAGE) -> AuditPage:
    """One page newest first: the entries older than the cursor ``older`` (the Older link),
    or newer than ``newer`` (the Newer link), or the newest. Three statements: the lines with
    their user and case, the passport numbers to blank out, and the bounded count. A cursor
    this page did not make is ignored."""
    per_page = max(1, min(per_page, PER_PAGE))
    columns = [AuditEntry.at, AuditEntry.id]
    after = cursors.decode_cursor(older, _KEY_KINDS)
    before = None if after is not None else cursors.decode_cursor(newer, _KEY_KINDS)
    query = _lines_query(filters)
    if after is not None:
        query = query.where(keyset_condition(columns, after, _KEY_TYPES, forward=False))
        order = [AuditEntry.at.desc(), AuditEntry.id.desc()]
    elif before is not None:
        # Walking back towards the newest reads the ascending order, then turns it round.
        query = query.where(keyset_condition(columns, before, _KEY_TYPES, forward=True))
        order = [AuditEntry.at.asc(), AuditEntry.id.asc()]
    else:
        order = [AuditEntry.at.desc(), AuditEntry.id.desc()]
    rows = db.session.execute(query.order_by(*order).limit(per_page + 1)).all()
    more = len(rows) > per_page
    items = _lines(db.session, rows[:per_page])
    if before is not None:
        items.reverse()
        has_newer, has_older = more, True
    else:
        has_newer, has_older = after is not None, more
    return AuditPage(
        items=items, total=count_entries(filters), export_limit=EXPORT_LIMIT,
        has_newer=bool(items) and has_newer, has_older=bool(items) and has_older,
        newer_cursor=_cursor(items[0]) if items else None,
        older_cursor=_cursor(items[-1]) if items else None,
    )


# ---- the export --------------------------------------------------------------------------------

def export_size(filters: AuditFilters) -> int:
    """How many entries the export of ``filters`` holds: at most EXPORT_LIMIT."""
    return min(count_entries(filters), EXPORT_LIMIT)


def export_lines(connection: Connection, filters: AuditFilters, limit: int | None = None,
                 batch_size: int = EXPORT_BATCH_SIZE) -> Iterator[list[AuditLine]]:
    """The newest ``limit`` (EXPORT_LIMIT) entries matching ``filters``, newest first, in
    keyset batches of ``batch_size`` read on ``connection`` (one snapshot: see
    ``queries.exports``)."""
    limit = EXPORT_LIMIT if limit is None else limit
    columns = [AuditEntry.at, AuditEntry.id]
    base = _lines_query(filters)
    order = [AuditEntry.at.desc(), AuditEntry.id.desc()]
    boundary: list[Any] | None = None
    passports: dict[int, re.Pattern[str] | None] = {}
    left = limit
    while left > 0:
        size = min(batch_size, left)
        query = base
        if boundary is not None:
            query = query.where(keyset_condition(columns, boundary, _KEY_TYPES, forward=False))
        rows = connection.execute(query.order_by(*order).limit(size)).all()
        if not rows:
            return
        batch = _lines(connection, rows, passports)
        yield batch
        left -= len(rows)
        if len(rows) < size:
            return
        boundary = [batch[-1].at, batch[-1].id]

