"""The case list read in bulk: the rows of an export, exact counts, and the selections managers
act on (reassignment).

An export walks the list in its own sort order in keyset batches (``WHERE (sort keys) > (last
row's keys) ORDER BY sort keys LIMIT n``): each batch comes off the sort's index, whatever the
list's size, and no more than one batch of rows is in memory at a time. The rows are plain
column tuples (Core), not ORM objects. All batches read one snapshot of the database, so a case
that changes while the export runs is neither skipped nor repeated.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

from sqlalchemy import Connection, Row, Select, func, select, type_coerce
from sqlalchemy.orm import selectinload
from sqlalchemy.types import NullType

from caseapp import clock
from caseapp.extensions import db
from caseapp.models import Applicant, Case, Dependant, User
from caseapp.queries.case_filters import VERDICT_LABELS, CaseFilters
from caseapp.queries.case_list import SORT_KEYS, SortKey, filtered_ids, keyset_condition
from caseapp.rules.workflow import STATUS_LABELS, CaseStatus

EXPORT_BATCH_SIZE = 2000

# The export's columns, in order. Never passport numbers, dates of birth or e-mails.
EXPORT_HEADERS = (
    "Reference", "Applicant", "Chinese name", "Nationality", "Status", "Consultant",
    "Latest check", "Checked at", "Opened", "Updated", "Planned submission", "Family",
    "Dependants", "HKD counted",
)

# One exported case, typed; the writers format it for their file:
# (reference, applicant, chinese name, nationality, status label, consultant, verdict label,
#  checked at (aware, business zone) or None, opened (business date), updated (business date),
#  planned submission date or None, "Yes"/"No" family, dependant count, HKD counted or None)
ExportRow = tuple[str, str, str, str, str, str, str, datetime | None, date, date, date | None,
                  str, int, Decimal | None]


def _raw(column: Any) -> Any:
    """The column as the driver returns it: no per-value conversion by SQLAlchemy."""
    return type_coerce(column, NullType())


_ROW_COLUMNS = (
    Case.id, Case.reference, Applicant.given_name, Applicant.family_name, Applicant.chinese_name,
    Applicant.nationality, _raw(Case.status), Case.consultant_id, User.name, Case.latest_verdict,
    # Timestamps are converted below, several times faster than UTCDateTime does one by one.
    _raw(Case.latest_check_at), _raw(Case.opened_at), _raw(Case.updated_at),
    Case.planned_submission_date, Case.counted_hkd,
    # Per row, off the index on dependants.case_id: cheaper than a grouped statement per batch
    # with thousands of bound ids (which PostgreSQL's driver parses afresh every time).
    select(func.count()).where(Dependant.case_id == Case.id).correlate(Case).scalar_subquery(),
)
STATUS_TEXT = {status.value: label for status, label in STATUS_LABELS.items()}


def count_matching(user: User, filters: CaseFilters) -> int:
    """How many cases ``user`` may see match ``filters``: exact, not capped like the list's."""
    matching = filtered_ids(user, filters).subquery()
    return db.session.scalar(select(func.count()).select_from(matching)) or 0


@contextmanager
def read_snapshot() -> Iterator[Connection]:
    """A connection of its own on which every statement reads the same snapshot.

    PostgreSQL: a read-only REPEATABLE READ transaction. SQLite: pysqlite opens no transaction
    for reads, so one is begun by hand; in WAL mode it keeps its snapshot while others write.
    The connection goes back to the pool (its isolation level reset) when the block ends.
    """
    with db.engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            connection.execution_options(isolation_level="REPEATABLE READ",
                                         postgresql_readonly=True)
            with connection.begin():
                yield connection
        else:
            connection.execution_options(isolation_level="AUTOCOMMIT")
            connection.exec_driver_sql("BEGIN")
            try:
                yield connection
            finally:
                connection.exec_driver_sql("ROLLBACK")


def _rows_query(user: User, filters: CaseFilters) -> Select[Any]:
    # The list's own conditions (visibility, filters, search), taken from filtered_ids so that
    # an export always holds exactly what the list and the count hold. They read the case and
    # the applicant, both joined here.
    conditions = filtered_ids(user, filters).whereclause
    query = (
        select(*_ROW_COLUMNS)
        .select_from(Case)
        .join(Applicant, Applicant.case_id == Case.id)
        .join(User, User.id == Case.consultant_id)
    )
    return query if conditions is None else query.where(conditions)


def _sqlite_utc(text: str) -> datetime:
    # SQLite holds a UTCDateTime as the UTC time in ISO text without a zone.
    return datetime.fromisoformat(text + "+00:00")


def _aware(moment: datetime) -> datetime:
    return moment  # PostgreSQL's driver returns timestamptz values aware


def _utc_reader(connection: Connection) -> Callable[[Any], datetime]:
    """How to read a raw stored timestamp as an aware datetime on this database."""
    return _sqlite_utc if connection.dialect.name == "sqlite" else _aware


def _boundary(key: SortKey, row: Row[Any], utc: Callable[[Any], datetime]) -> list[Any]:
    """The sort key values of ``row``, read as the list reads them off a case (its cursors)."""
    (case_id, reference, given_name, family_name, _, _, status, consultant_id, consultant,
     verdict, _, opened_at, updated_at, planned, _, _) = row
    case = SimpleNamespace(
        id=case_id, reference=reference, status=CaseStatus(status), opened_at=utc(opened_at),
        updated_at=utc(updated_at), planned_submission_date=planned, latest_verdict=verdict,
        applicant=SimpleNamespace(family_name=family_name, given_name=given_name),
        consultant=SimpleNamespace(name=consultant, id=consultant_id))
    return list(key.values(case))


def export_rows(connection: Connection, user: User, filters: CaseFilters, sort: str,
                batch_size: int = EXPORT_BATCH_SIZE) -> Iterator[list[ExportRow]]:
    """Every case ``user`` may see that matches ``filters``, in the list's ``sort`` order
    (already parsed), as batches of at most ``batch_size`` rows."""
    descending = sort.startswith("-")
    key = SORT_KEYS[sort.removeprefix("-")]
    columns = key.columns()
    order = [column.desc() if descending else column.asc() for column in columns]
    base = _rows_query(user, filters)
    zone = clock.business_timezone()
    utc = _utc_reader(connection)
    boundary: list[Any] | None = None
    while True:
        query = base
        if boundary is not None:
            query = query.where(keyset_condition(columns, boundary, key.types,
                                                 forward=not descending))
        rows = connection.execute(query.order_by(*order).limit(batch_size)).all()
        if not rows:
            return
        batch: list[ExportRow] = []
        for (_, reference, given_name, family_name, chinese_name, nationality, status, _,
             consultant, verdict, checked_at, opened_at, updated_at, planned, counted_hkd,
             count) in rows:
            batch.append((
                reference, f"{given_name} {family_name}".strip(), chinese_name,
                nationality or "", STATUS_TEXT[status], consultant, VERDICT_LABELS[verdict],
                utc(checked_at).astimezone(zone) if checked_at is not None else None,
                utc(opened_at).astimezone(zone).date(), utc(updated_at).astimezone(zone).date(),
                planned, "Yes" if count else "No", count, counted_hkd,
            ))
        yield batch
        if len(rows) < batch_size:
            return
        boundary = _boundary(key, rows[-1], utc)


def selected_cases(case_ids: Iterable[int], limit: int) -> list[Case]:
    """The first ``limit`` of the cases ``case_ids`` by reference, with applicant and
    consultant, for a page that confirms what a manager selected."""
    ids = list(case_ids)
    if not ids:
        return []
    return list(db.session.scalars(
        select(Case).where(Case.id.in_(ids))
        .options(selectinload(Case.applicant), selectinload(Case.consultant))
        .order_by(Case.reference).limit(limit)))
