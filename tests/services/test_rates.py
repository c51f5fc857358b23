"""The admins' reference rates through the service and the queries."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from caseapp import clock
from caseapp.models import AuditEntry, ExchangeRate
from caseapp.queries.rates import Cursor, rates_page, reference_rate
from caseapp.services.errors import ValidationFailed
from caseapp.services.rates import add_rate, delete_rate

TODAY = clock.today()


def rate(**overrides):
    values = {"currency": "USD", "rate_date": TODAY - timedelta(days=1),
              "rate": Decimal("7.8125"), "source": "HKMA"}
    values.update(overrides)
    return values


def _count(db):
    return db.session.scalar(select(func.count()).select_from(ExchangeRate))


def test_adding_a_rate_is_audited_and_attributed(db, admin):
    added = add_rate(admin, rate(currency="usd", source="  HKMA "))
    db.session.expire_all()
    stored = db.session.get(ExchangeRate, added.id)
    assert (stored.currency, stored.rate, stored.source) == ("USD", Decimal("7.8125"), "HKMA")
    assert stored.recorded_by_id == admin.id and stored.recorded_at is not None
    entry = db.session.scalars(select(AuditEntry).where(
        AuditEntry.entity.like("exchange_rate:%"))).one()
    assert (entry.user_id, entry.action, entry.entity, entry.case_id) == (
        admin.id, "created", f"exchange_rate:{added.id}", None)
    assert entry.changes["rate"] == [None, "7.8125"]


def test_a_second_rate_for_the_same_currency_and_day_is_refused(db, admin):
    add_rate(admin, rate())
    with pytest.raises(ValidationFailed) as refused:
        add_rate(admin, rate(rate=Decimal("7.80")))
    assert refused.value.errors == {"rate_date": [
        f"There is already a rate for USD on {(TODAY - timedelta(days=1)).isoformat()}: "
        "7.8125 (HKMA). Delete it first to correct it."]}
    assert _count(db) == 1


@pytest.mark.parametrize("field,value,message", [
    ("currency", "HKD", "HKD is always 1: it needs no reference rate."),
    ("currency", "XAU", "XAU is a precious metal"),
    ("currency", "BOV", "BOV is a fund code"),
    ("currency", "ABC", "'ABC' is not a known ISO 4217 currency code."),
    ("rate_date", TODAY + timedelta(days=1), "The rate's date cannot be in the future."),
    ("rate_date", None, "Enter the date of the rate as YYYY-MM-DD."),
    ("rate", Decimal("0"), "The rate must be more than zero."),
    ("rate", Decimal("-7"), "The rate must be more than zero."),
    ("rate", Decimal("7.123456789"), "Enter the rate to at most 8 decimal places."),
    ("rate", "7e0", "an exponent"),
    ("rate", None, "Enter the rate: HKD for one unit of the currency."),
    ("source", " ", "Say where the rate comes from, such as HKMA."),
    ("source", "x" * 121, "Keep the source to 120 characters."),
])
def test_a_bad_rate_is_refused_beside_its_field(db, admin, field, value, message):
    with pytest.raises(ValidationFailed) as refused:
        add_rate(admin, rate(**{field: value}))
    assert list(refused.value.errors) == [field]
    assert message in refused.value.errors[field][0]
    assert _count(db) == 0


def test_deleting_a_rate_is_audited(db, admin):
    added = add_rate(admin, rate())
    described = delete_rate(admin, added)
    assert described == f"USD {(TODAY - timedelta(days=1)).isoformat()}: 7.8125 (HKMA)"
    assert _count(db) == 0
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "removed")).one()
    assert entry.user_id == admin.id and entry.changes["rate"] == ["7.8125", None]


def test_the_reference_rate_is_that_of_the_day_or_the_latest_before(db, admin):
    day = TODAY - timedelta(days=10)
    add_rate(admin, rate(rate_date=day, rate=Decimal("7.80")))
    add_rate(admin, rate(rate_date=day + timedelta(days=5), rate=Decimal("7.81")))
    add_rate(admin, rate(currency="EUR", rate_date=day + timedelta(days=6), rate=Decimal("8.5")))
    assert reference_rate("USD", day - timedelta(days=1)) is None
    assert reference_rate("USD", day).rate == Decimal("7.80")
    assert reference_rate("USD", day + timedelta(days=4)).rate == Decimal("7.80")
    found = reference_rate("USD", day + timedelta(days=9))
    assert (found.rate, found.rate_date, found.source) == (Decimal("7.81"),
                                                            day + timedelta(days=5), "HKMA")
    assert found.label == f"7.81 (HKMA, {(day + timedelta(days=5)).isoformat()})"


def test_the_list_is_keyset_paged_newest_first(db, admin):
    for days in range(7):
        add_rate(admin, rate(rate_date=TODAY - timedelta(days=days)))
        add_rate(admin, rate(currency="EUR", rate_date=TODAY - timedelta(days=days),
                             rate=Decimal("8.5")))
    first = rates_page("USD", per_page=3)
    assert [r.rate_date for r in first.items] == [TODAY - timedelta(days=d) for d in (0, 1, 2)]
    assert first.has_next and not first.has_prev
    second = rates_page("USD", after=Cursor.decode(first.next_cursor), per_page=3)
    assert [r.rate_date for r in second.items] == [TODAY - timedelta(days=d) for d in (3, 4, 5)]
    assert second.has_prev and second.has_next
    back = rates_page("USD", before=Cursor.decode(second.prev_cursor), per_page=3)
    assert [r.id for r in back.items] == [r.id for r in first.items]
    assert not back.has_prev and back.has_next
    last = rates_page("USD", after=Cursor.decode(second.next_cursor), per_page=3)
    assert len(last.items) == 1 and not last.has_next
    assert len(rates_page(None, per_page=100).items) == 14


@pytest.mark.parametrize("text", ["", "x", "2026-13-01.4", "2026-01-01.", "2026-01-01.-3",
                                  "2026-01-01.99999999999"])
def test_an_unreadable_cursor_is_the_first_page(text):
    assert Cursor.decode(text) is None
