"""The case-list filters: parsed once from a query string (pages, exports, saved views and,
later, the API read the same parameters) and turned into SQL conditions on the case row.

Every parameter can repeat where a list makes sense (``status=intake&status=on_hold``). A value
that cannot be read is left out of the filter and reported for its field, with what was typed.
So is a value with control or text-direction characters: PostgreSQL refuses a NUL in text, and
a search for a string that displays in another order than it is stored finds nothing sensible.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import Any, Protocol
from urllib.parse import urlencode

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    exists,
    literal_column,
    or_,
    select,
    table,
    true,
)

from caseapp import clock
from caseapp.models import Applicant, Case, Dependant, StatusChange, User
from caseapp.models.base import SEARCH_TABLE
from caseapp.models.case import LATEST_VERDICTS
from caseapp.rules.workflow import OPEN_STATUSES, CaseStatus
from caseapp.services.people import has_unsafe_characters
from caseapp.textsearch import MIN_TERM_LENGTH, SearchTerm

MAX_SEARCH_LENGTH = 100
MAX_VALUES = 50  # per repeated parameter: more is not a filter a person makes
MAX_STALE_DAYS = 3650
TICKED = ("1", "on", "yes", "true")  # the attention check box's values that tick it
# The dates a filter takes: every case, check and move lies well inside them.
FIRST_FILTER_DAY = date(1900, 1, 1)
LAST_FILTER_DAY = date(9998, 12, 31)
VERDICT_LABELS = {
    "eligible": "Eligible",
    "incomplete": "Incomplete",
    "not_eligible": "Not eligible",
    "unchecked": "Never checked",
}
# Before submission: where a case can still be waiting on the client.
PRE_SUBMISSION = (CaseStatus.INTAKE, CaseStatus.COLLECTING_DOCUMENTS,
                  CaseStatus.READY_FOR_REVIEW, CaseStatus.ON_HOLD)
WAITING = {"documents": "Waiting on documents", "deposit": "Waiting on deposit evidence"}
FAMILY = {"single": "Single applicant", "family": "Family (with dependants)"}
DATE_RANGES = ("opened", "updated", "planned", "entered")
# The parameters a person can type or pick in the filter form; each has a place for a message.
TYPED_PARAMETERS = ("q", "status", "entered", "consultant", "verdict", "nationality", "family",
                    "waiting", "stale",
                    *(f"{name}_{end}" for name in DATE_RANGES for end in ("from", "to")))
UNSAFE_FILTER_MESSAGE = ("Invisible control or text-direction characters (often pasted in with "
                         "the text) were taken out of this field: check it and apply the "
                         "filter again.")


class Args(Protocol):
    """A request's query arguments (werkzeug's MultiDict) or anything alike."""

    def getlist(self, key: str) -> list[str]: ...

    def get(self, key: str, default: Any = None) -> Any: ...

    def __contains__(self, key: object) -> bool: ...


@dataclass(frozen=True)
class CaseFilters:
    statuses: tuple[CaseStatus, ...] = ()
    consultant_ids: tuple[int, ...] = ()
    verdicts: tuple[str, ...] = ()
    nationalities: tuple[str, ...] = ()
    family: str = ""
    opened_from: date | None = None
    opened_to: date | None = None
    updated_from: date | None = None
    updated_to: date | None = None
    planned_from: date | None = None
    planned_to: date | None = None
    stale_days: int | None = None
    attention: bool = False
    entered: tuple[CaseStatus, ...] = ()
    entered_from: date | None = None
    entered_to: date | None = None
    waiting: str = ""
    search: str = ""

    @property
    def is_empty(self) -> bool:
        return self == CaseFilters()

    def for_user(self, user: User) -> CaseFilters:
        """A consultant's list is their own: a consultant filter means nothing there."""
        return self if user.sees_all_cases else replace(self, consultant_ids=())

    def query_items(self) -> list[tuple[str, str]]:
        """The filter as query-string pairs, the inverse of :func:`parse_filters`."""
        items: list[tuple[str, str]] = []
        items += [("status", s.value) for s in self.statuses]
        items += [("consultant", str(i)) for i in self.consultant_ids]
        items += [("verdict", v) for v in self.verdicts]
        items += [("nationality", n) for n in self.nationalities]
        if self.family:
            items.append(("family", self.family))
        for name in DATE_RANGES:
            for end in ("from", "to"):
                value = getattr(self, f"{name}_{end}")
                if value is not None:
                    items.append((f"{name}_{end}", value.isoformat()))
        if self.stale_days is not None:
            items.append(("stale", str(self.stale_days)))
        if self.attention:
            items.append(("attention", "1"))
        items += [("entered", s.value) for s in self.entered]
        if self.waiting:
            items.append(("waiting", self.waiting))
        if self.search:
            items.append(("q", self.search))
        return items

    def query_string(self) -> str:
        return urlencode(self.query_items())


@dataclass
class ParsedFilters:
    filters: CaseFilters
    errors: dict[str, list[str]] = field(default_factory=dict)


class _SafeArgs:
    """The query arguments without the values holding control or text-direction characters;
    each parameter that had one is reported once in ``errors``."""

    def __init__(self, args: Args, errors: dict[str, list[str]]) -> None:
        self._values: dict[str, list[str]] = {}
        for name in TYPED_PARAMETERS:
            if name not in args:
                continue
            values = args.getlist(name)[:MAX_VALUES]
            kept = [value for value in values if not has_unsafe_characters(value)]
            if len(kept) < len(values):
                errors.setdefault(name, []).append(UNSAFE_FILTER_MESSAGE)
            if kept:
                self._values[name] = kept

    def getlist(self, key: str) -> list[str]:
        return list(self._values.get(key, []))

    def get(self, key: str, default: Any = None) -> Any:
        return self._values[key][0] if key in self._values else default

    def __contains__(self, key: object) -> bool:
        return key in self._values


def _many(args: Args, name: str) -> list[str]:
    return [v.strip() for v in args.getlist(name)[:MAX_VALUES] if v.strip()]


def _date(args: Args, name: str, errors: dict[str, list[str]]) -> date | None:
    return filter_date((args.get(name) or "").strip(), name, errors)


def filter_date(raw: str, name: str, errors: dict[str, list[str]]) -> date | None:
    """A day typed into a list's filter (YYYY-MM-DD, 1900 to 9998), or None with a message
    for ``name`` in ``errors``; an empty one is no filter."""
    if not raw:
        return None
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        errors.setdefault(name, []).append("Enter a date as YYYY-MM-DD.")
        return None
    if not FIRST_FILTER_DAY <= day <= LAST_FILTER_DAY:
        # Year 1 starts in year 0 in UTC, which no datetime holds: nothing is that old anyway.
        errors.setdefault(name, []).append(
            f"Enter a date from {FIRST_FILTER_DAY.isoformat()} to {LAST_FILTER_DAY.isoformat()}.")
        return None
    return day


def parse_filters(args: Args) -> ParsedFilters:
    """Read the filters from query arguments; unreadable values are reported, not applied."""
    errors: dict[str, list[str]] = {}
    values: dict[str, Any] = {}
    attention = args.get("attention") or ""
    args = _SafeArgs(args, errors)

    def bad(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    statuses = []
    for name in ("status", "entered"):
        chosen = []
        for raw in _many(args, name):
            if raw in CaseStatus._value2member_map_:
                chosen.append(CaseStatus(raw))
            else:
                bad(name, f"Unknown status {raw!r}.")
        statuses.append(tuple(dict.fromkeys(chosen)))
    values["statuses"], values["entered"] = statuses

    consultant_ids = []
    for raw in _many(args, "consultant"):
        if raw.isascii() and raw.isdigit() and len(raw) < 10:
            consultant_ids.append(int(raw))
        else:
            bad("consultant", f"Unknown consultant {raw!r}.")
    values["consultant_ids"] = tuple(dict.fromkeys(consultant_ids))

    verdicts = []
    for raw in _many(args, "verdict"):
        if raw in LATEST_VERDICTS:
            verdicts.append(raw)
        else:
            bad("verdict", f"Unknown verdict {raw!r}.")
    values["verdicts"] = tuple(dict.fromkeys(verdicts))

    nationalities = []
    for raw in _many(args, "nationality"):
        code = raw.upper()
        if len(code) == 3 and code.isascii() and code.isalpha():
            nationalities.append(code)
        else:
            bad("nationality", "Use a three-letter ISO country code, e.g. MYS.")
    values["nationalities"] = tuple(dict.fromkeys(nationalities))

    for name, allowed in (("family", FAMILY), ("waiting", WAITING)):
        raw = (args.get(name) or "").strip()
        if raw and raw not in allowed:
            bad(name, f"Choose one of: {', '.join(allowed)}.")
        values[name] = raw if raw in allowed else ""

    for name in DATE_RANGES:
        start, end = _date(args, f"{name}_from", errors), _date(args, f"{name}_to", errors)
        if start and end and start > end:
            bad(f"{name}_to", "The end of the range is before its start.")
            end = None
        values[f"{name}_from"], values[f"{name}_to"] = start, end

    # The filter form always sends its Stale box: left empty, it filters nothing (as its hint
    # says). The dashboard's links name the number of days.
    raw = (args.get("stale") or "").strip()
    if raw:
        if raw.isascii() and raw.isdigit() and 1 <= int(raw) <= MAX_STALE_DAYS:
            values["stale_days"] = int(raw)
        else:
            bad("stale", f"Enter a number of days from 1 to {MAX_STALE_DAYS}.")

    # A check box: anything but its "on" values is simply unticked.
    values["attention"] = attention in TICKED

    search = (args.get("q") or "").strip()
    if len(search) > MAX_SEARCH_LENGTH:
        bad("q", f"Search for at most {MAX_SEARCH_LENGTH} characters.")
        search = ""
    elif search and not SearchTerm(search).usable:
        bad("q", f"Type at least {MIN_TERM_LENGTH - 1} letters, or one Chinese character.")
        search = ""
    values["search"] = search
    return ParsedFilters(CaseFilters(**values), errors)



# ---- SQL ------------------------------------------------------------------------------------

def day_start(day: date) -> datetime:
    """The instant the business day ``day`` starts (aware; stored timestamps are UTC)."""
    return datetime.combine(day, time.min, tzinfo=clock.business_timezone())


def _within(column: Any, start: date | None, end: date | None) -> list[ColumnElement[bool]]:
    """``column`` (a timestamp) within the business days ``start``..``end`` inclusive."""
    conditions = []
    if start is not None:
        conditions.append(column >= day_start(start))
    if end is not None and end < date.max:
        conditions.append(column < day_start(end + timedelta(days=1)))
    return conditions


_search_table = table(SEARCH_TABLE, literal_column("rowid"))


def fts_matches(term: SearchTerm) -> Select[Any]:
    """SQLite: the ids of the cases whose search text holds the term, from the FTS5 table."""
    return (select(literal_column("rowid")).select_from(_search_table)
            .where(literal_column(SEARCH_TABLE).op("MATCH")(term.fts_phrase())))


def search_condition(term: SearchTerm, dialect: str) -> ColumnElement[bool]:
    """Cases whose search text holds the term: served by the trigram index on each database."""
    if dialect == "sqlite":
        return Case.id.in_(fts_matches(term))
    return Case.search_text.like(term.like_pattern(), escape="\\")


def check_too_old_before(today: date, check_max_age_days: int) -> datetime:
    """An eligible check run before this instant is too old to submit on."""
    return day_start(today - timedelta(days=check_max_age_days))


def needs_attention(today: date, check_max_age_days: int) -> ColumnElement[bool]:
    """Open cases with a danger foreseen by the rules that has come (passport window, stale
    statement or child turning 18 before the planned submission), and cases not yet submitted
    whose latest check is eligible but too old to submit on."""
    too_old = check_too_old_before(today, check_max_age_days)
    return or_(
        and_(Case.attention_on <= today, Case.status.in_(OPEN_STATUSES)),
        and_(Case.latest_verdict == "eligible", Case.latest_check_at < too_old,
             Case.status.in_(PRE_SUBMISSION)),
    )


def stale_condition(now: datetime, days: int) -> ColumnElement[bool]:
    return and_(Case.status.in_(OPEN_STATUSES), Case.updated_at < now - timedelta(days=days))


def waiting_condition(what: str) -> ColumnElement[bool]:
    if what == "documents":
        return Case.status == CaseStatus.COLLECTING_DOCUMENTS
    return and_(Case.status.in_(PRE_SUBMISSION), Case.has_verified_deposit.is_(False))


def filter_conditions(filters: CaseFilters, *, dialect: str, today: date, now: datetime,
                      check_max_age_days: int) -> list[ColumnElement[bool]]:
    """The SQL conditions for ``filters``; those on the applicant need it joined."""
    f = filters
    conditions: list[ColumnElement[bool]] = []
    if f.statuses:
        conditions.append(Case.status.in_(f.statuses))
    if f.consultant_ids:
        conditions.append(Case.consultant_id.in_(f.consultant_ids))
    if f.verdicts:
        conditions.append(Case.latest_verdict.in_(f.verdicts))
    if f.nationalities:
        conditions.append(Applicant.nationality.in_(f.nationalities))
    if f.family:
        has_dependants = exists().where(Dependant.case_id == Case.id)
        conditions.append(has_dependants if f.family == "family" else ~has_dependants)
    conditions += _within(Case.opened_at, f.opened_from, f.opened_to)
    conditions += _within(Case.updated_at, f.updated_from, f.updated_to)
    if f.planned_from is not None:
        conditions.append(Case.planned_submission_date >= f.planned_from)
    if f.planned_to is not None:
        conditions.append(Case.planned_submission_date <= f.planned_to)
    if f.stale_days is not None:
        conditions.append(stale_condition(now, f.stale_days))
    if f.attention:
        conditions.append(needs_attention(today, check_max_age_days))
    if f.entered or f.entered_from or f.entered_to:
        moves = select(StatusChange.case_id).where(
            StatusChange.to_status.in_(f.entered or tuple(CaseStatus)),
            *_within(StatusChange.changed_at, f.entered_from, f.entered_to))
        conditions.append(Case.id.in_(moves))
    if f.waiting:
        conditions.append(waiting_condition(f.waiting))
    if f.search:
        conditions.append(search_condition(SearchTerm(f.search), dialect))
    return conditions


def needs_applicant(filters: CaseFilters) -> bool:
    return bool(filters.nationalities)


def visible_to(user: User) -> ColumnElement[bool]:
    """Every case for managers and admins; a consultant's own cases for a consultant."""
    return true() if user.sees_all_cases else Case.consultant_id == user.id

