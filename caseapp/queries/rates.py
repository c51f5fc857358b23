"""Reference exchange rates to HKD: the admins' list and the rate a deposit is compared with."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import selectinload

from caseapp.extensions import db
from caseapp.models import ExchangeRate

RATES_PER_PAGE = 50
MAX_RATES_PER_PAGE = 200


@dataclass(frozen=True)
class ReferenceRate:
    """The table's rate for a currency as of a day: the rate, the day it is of, its source."""

    currency: str
    rate: Decimal
    rate_date: date
    source: str

    @property
    def label(self) -> str:
        """'7.8125 (HKMA, 2026-11-20)': how forms and messages name the rate."""
        return f"{format_rate(self.rate)} ({self.source}, {self.rate_date.isoformat()})"


def format_rate(rate: Decimal) -> str:
    """A rate as people write it: 7.81250000 reads 7.8125, 1.00000000 reads 1."""
    return format(rate.normalize(), "f")


def reference_rate(currency: str, on_date: date) -> ReferenceRate | None:
    """The rate of ``on_date``, or the latest one before it; None when the table has none.

    One indexed lookup: the unique (currency, rate_date) index is walked backwards from the day.
    """
    row = db.session.scalars(
        select(ExchangeRate)
        .where(ExchangeRate.currency == currency, ExchangeRate.rate_date <= on_date)
        .order_by(ExchangeRate.rate_date.desc())
        .limit(1)
    ).first()
    if row is None:
        return None
    return ReferenceRate(row.currency, row.rate, row.rate_date, row.source)


def get_rate(rate_id: int) -> ExchangeRate | None:
    return db.session.get(ExchangeRate, rate_id)


def rate_on(currency: str, on_date: date) -> ExchangeRate | None:
    """The table's row for exactly that currency and day."""
    return db.session.scalars(
        select(ExchangeRate).where(ExchangeRate.currency == currency,
                                   ExchangeRate.rate_date == on_date)
    ).one_or_none()


# ---- the admins' list --------------------------------------------------------------------------

@dataclass(frozen=True)
class Cursor:
    """Where a page starts or ends in the list's order: newest day first, then by id."""

    rate_date: date
    id: int

    def encode(self) -> str:
        return f"{self.rate_date.isoformat()}.{self.id}"

    @classmethod
    def decode(cls, text: str | None) -> Cursor | None:
        """A cursor from the URL; None for anything unreadable (the first page then)."""
        if not text:
            return None
        day, _, number = text.partition(".")
        try:
            parsed = cls(date.fromisoformat(day), int(number))
        except ValueError:
            return None
        return parsed if 0 < parsed.id < 2**31 else None


@dataclass(frozen=True)
class RatePage:
    items: list[ExchangeRate]
    has_prev: bool
    has_next: bool
    prev_cursor: str | None
    next_cursor: str | None


def rates_page(currency: str | None, after: Cursor | None = None, before: Cursor | None = None,
               per_page: int = RATES_PER_PAGE) -> RatePage:
    """One page of the table, newest first, optionally of one currency.

    Keyset-paged on (rate_date, id): one statement for the rows and one for the people who
    recorded them, whatever the page and however long the table.
    """
    per_page = max(1, min(per_page, MAX_RATES_PER_PAGE))
    query = select(ExchangeRate).options(selectinload(ExchangeRate.recorded_by))
    if currency:
        query = query.where(ExchangeRate.currency == currency)
    backwards = after is None and before is not None
    if after is not None:
        query = query.where(or_(ExchangeRate.rate_date < after.rate_date,
                                and_(ExchangeRate.rate_date == after.rate_date,
                                     ExchangeRate.id < after.id)))
    elif before is not None:
        query = query.where(or_(ExchangeRate.rate_date > before.rate_date,
                                and_(ExchangeRate.rate_date == before.rate_date,
                                     ExchangeRate.id > before.id)))
    if backwards:
        query = query.order_by(ExchangeRate.rate_date.asc(), ExchangeRate.id.asc())
    else:
        query = query.order_by(ExchangeRate.rate_date.desc(), ExchangeRate.id.desc())
    rows = list(db.session.scalars(query.limit(per_page + 1)))
    more = len(rows) > per_page
    items = rows[:per_page]
    if backwards:
        items.reverse()
    has_prev = more if backwards else after is not None
    has_next = before is not None if backwards else more
    return RatePage(
        items=items,
        has_prev=bool(items) and has_prev,
        has_next=bool(items) and has_next,
        prev_cursor=Cursor(items[0].rate_date, items[0].id).encode() if items else None,
        next_cursor=Cursor(items[-1].rate_date, items[-1].id).encode() if items else None,
    )
