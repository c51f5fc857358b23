"""Reference exchange rates to HKD, kept by the admins: add, delete, import from CSV.

Every change is one transaction with its audit entry (``exchange_rate:<id>``, no case). A
deposit copies the reference rate it was compared with, so deleting or replacing a rate here
never changes evidence already recorded.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, TextIO

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from caseapp import clock
from caseapp.extensions import db
from caseapp.models import ExchangeRate, User, utcnow
from caseapp.queries.rates import format_rate, rate_on
from caseapp.services import audit
from caseapp.services.deposits import HKD, currency_error, number_or_problem, rate_error
from caseapp.services.errors import ServiceError, ValidationFailed

RATE_FIELDS = ["currency", "rate_date", "rate", "source"]
CSV_HEADER = ["currency", "date", "rate", "source"]
CSV_NAMES = dict(zip(RATE_FIELDS, CSV_HEADER, strict=True))
MAX_SOURCE_LENGTH = 120
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)


def _entity(rate: ExchangeRate) -> str:
    return f"exchange_rate:{rate.id}"


def _describe(rate: ExchangeRate) -> str:
    return f"{rate.currency} {rate.rate_date.isoformat()}: {format_rate(rate.rate)} ({rate.source})"


def _readable(value: Any) -> str | None:
    """As the audit shows it; a rate as written (7.8125), whichever database it came from."""
    return format_rate(value) if isinstance(value, Decimal) else audit.display_value(value)


def _snapshot(rate: ExchangeRate) -> dict[str, list[str | None]]:
    return {f: [None, _readable(getattr(rate, f))] for f in RATE_FIELDS}


def checked_rate(values: dict[str, Any]) -> dict[str, Any]:
    """A reference rate's four values, normalised; ValidationFailed with every problem."""
    unknown = set(values) - set(RATE_FIELDS)
    if unknown:
        raise ValidationFailed({f: ["Unknown field."] for f in sorted(unknown)})
    currency = str(values.get("currency") or "").strip().upper()
    currency_problem = currency_error(currency)
    if currency == HKD:
        currency_problem = "HKD is always 1: it needs no reference rate."
    rate_date = values.get("rate_date")
    if not isinstance(rate_date, date):
        date_problem: str | None = "Enter the date of the rate as YYYY-MM-DD."
    elif rate_date > clock.today():
        date_problem = "The rate's date cannot be in the future."
    else:
        date_problem = None
    rate, rate_problem = number_or_problem(values.get("rate"), "rate", "7.8125")
    if rate is None and rate_problem is None:
        rate_problem = "Enter the rate: HKD for one unit of the currency."
    elif rate is not None and rate_problem is None:
        rate_problem = rate_error(rate)
    source = str(values.get("source") or "").strip()
    if not source:
        source_problem: str | None = "Say where the rate comes from, such as HKMA."
    elif len(source) > MAX_SOURCE_LENGTH:
        source_problem = f"Keep the source to {MAX_SOURCE_LENGTH} characters."
    else:
        source_problem = None
    problems = {"currency": currency_problem, "rate_date": date_problem, "rate": rate_problem,
                "source": source_problem}
    errors = {field: [message] for field, message in problems.items() if message}
    if errors:
        raise ValidationFailed(errors)
    return {"currency": currency, "rate_date": rate_date, "rate": rate, "source": source}


def _taken(existing: ExchangeRate) -> ValidationFailed:
    return ValidationFailed({"rate_date": [
        f"There is already a rate for {existing.currency} on {existing.rate_date.isoformat()}: "
        f"{format_rate(existing.rate)} ({existing.source}). Delete it first to correct it."]})


def add_rate(actor: User, values: dict[str, Any]) -> ExchangeRate:
    """Add one reference rate; a second rate for the same currency and day is refused."""
    checked = checked_rate(values)
    existing = rate_on(checked["currency"], checked["rate_date"])
    if existing is not None:
        raise _taken(existing)
    try:
        rate = ExchangeRate(**checked, recorded_by_id=actor.id, recorded_at=utcnow())
        db.session.add(rate)
        db.session.flush()
        audit.record(actor, "created", _entity(rate), _snapshot(rate))
        db.session.commit()
    except IntegrityError:
        # Someone added the same currency and day at the same moment.
        db.session.rollback()
        existing = rate_on(checked["currency"], checked["rate_date"])
        if existing is None:
            raise
        raise _taken(existing) from None
    except Exception:
        db.session.rollback()
        raise
    return rate


def delete_rate(actor: User, rate: ExchangeRate) -> str:
    """Remove a wrong rate; returns how it read, for the message. Evidence compared with it
    keeps its own copy of the rate."""
    described = _describe(rate)
    try:
        audit.record(actor, "removed", _entity(rate),
                     {f: [_readable(getattr(rate, f)), None] for f in RATE_FIELDS})
        db.session.delete(rate)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return described


# ---- importing a CSV file ---------------------------------------------------------------------

class ImportFailed(ServiceError):
    """The file has bad rows; ``errors`` are ``(line number, message)``. Nothing was saved."""

    def __init__(self, errors: list[tuple[int, str]]) -> None:
        super().__init__(f"{len(errors)} problem{'s' if len(errors) != 1 else ''} in the file; "
                         "no rate was imported.")
        self.errors = errors


@dataclass
class ImportCounts:
    added: int = 0
    replaced: int = 0
    skipped: int = 0


@dataclass
class _Row:
    line: int
    values: dict[str, Any]


def _parse_row(line: int, cells: list[str]) -> tuple[_Row | None, list[tuple[int, str]]]:
    if len(cells) != len(CSV_HEADER):
        return None, [(line, f"expected {len(CSV_HEADER)} values ({','.join(CSV_HEADER)}), "
                             f"found {len(cells)}")]
    currency, day, rate, source = (cell.strip() for cell in cells)
    rate_date = _iso_date(day)
    problems: dict[str, list[str]] = {}
    try:
        checked = checked_rate({"currency": currency, "rate_date": rate_date, "rate": rate,
                                "source": source})
    except ValidationFailed as failed:
        problems = dict(failed.errors)
    if rate_date is None and day:
        problems["rate_date"] = [f"{day!r} is not a date as YYYY-MM-DD."]
    if "," in rate and "rate" not in problems:
        problems["rate"] = ["Write the rate without thousands commas."]
    if problems:
        return None, [(line, f"{CSV_NAMES[field]}: {message}")
                      for field, messages in problems.items() for message in messages]
    return _Row(line, checked), []


def _iso_date(text: str) -> date | None:
    """A date written YYYY-MM-DD, nothing looser (fromisoformat also reads 20261120)."""
    if not ISO_DATE.fullmatch(text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _read(stream: TextIO) -> tuple[list[_Row], list[tuple[int, str]]]:
    reader = csv.reader(stream)
    header = next(reader, None)
    if header is None or [h.strip().lower() for h in header] != CSV_HEADER:
        return [], [(1, f"the first line must be the header {','.join(CSV_HEADER)}")]
    rows: list[_Row] = []
    errors: list[tuple[int, str]] = []
    seen: dict[tuple[str, date], int] = {}
    try:
        for cells in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in cells):
                continue  # a blank line
            row, row_errors = _parse_row(line, cells)
            errors.extend(row_errors)
            if row is None:
                continue
            key = (row.values["currency"], row.values["rate_date"])
            if key in seen:
                errors.append((line, f"{key[0]} {key[1].isoformat()} is already on line "
                                     f"{seen[key]}"))
                continue
            seen[key] = line
            rows.append(row)
    except csv.Error as error:
        errors.append((reader.line_num, f"unreadable CSV: {error}"))
    return rows, errors


def _existing(rows: Iterable[_Row]) -> dict[tuple[str, date], ExchangeRate]:
    """The table's rows for the file's currencies and days: one statement, bounded by the
    span of days the file covers."""
    rows = list(rows)
    if not rows:
        return {}
    currencies = {r.values["currency"] for r in rows}
    days = [r.values["rate_date"] for r in rows]
    found = db.session.scalars(select(ExchangeRate).where(
        ExchangeRate.currency.in_(currencies),
        ExchangeRate.rate_date.between(min(days), max(days))))
    return {(r.currency, r.rate_date): r for r in found}


def import_rates(stream: TextIO, replace: bool = False,
                 actor: User | None = None) -> ImportCounts:
    """Import ``currency,date,rate,source`` rows, all or nothing.

    A row for a currency and day already in the table with the same rate is skipped; with a
    different rate it is an error, unless ``replace``. Every problem is collected with its
    line number before anything is written (ImportFailed). ``actor`` None: the command line.
    """
    rows, errors = _read(stream)
    existing = _existing(rows) if not errors else {}
    counts = ImportCounts()
    changes: list[tuple[_Row, ExchangeRate | None]] = []
    for row in rows:
        current = existing.get((row.values["currency"], row.values["rate_date"]))
        if current is None:
            changes.append((row, None))
        elif current.rate == row.values["rate"]:
            counts.skipped += 1
        elif replace:
            changes.append((row, current))
        else:
            errors.append((row.line, f"{_describe(current)} is in the table already; this row "
                                     f"says {format_rate(row.values['rate'])} (use --replace "
                                     "to replace it)"))
    if errors:
        db.session.rollback()
        raise ImportFailed(sorted(errors))
    try:
        for row, current in changes:
            if current is None:
                rate = ExchangeRate(**row.values, recorded_by_id=actor.id if actor else None,
                                    recorded_at=utcnow())
                db.session.add(rate)
                db.session.flush()
                audit.record(actor, "imported", _entity(rate), _snapshot(rate))
                counts.added += 1
            else:
                updated = {"rate": [_readable(current.rate), _readable(row.values["rate"])]}
                if current.source != row.values["source"]:
                    updated["source"] = [current.source, row.values["source"]]
                current.rate, current.source = row.values["rate"], row.values["source"]
                current.recorded_by_id = actor.id if actor else None
                current.recorded_at = utcnow()
                audit.record(actor, "replaced", _entity(current), updated)
                counts.replaced += 1
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return counts
