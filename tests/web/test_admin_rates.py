"""The admins' reference-rate pages: list (filtered, keyset-paged), add, delete."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from flask import g
from sqlalchemy import func, select

from caseapp import clock
from caseapp.models import AuditEntry, ExchangeRate, Role
from tests.factories import add_reference_rate

DAY = clock.today() - timedelta(days=1)


@pytest.fixture
def admin_client(admin, client_for):
    return client_for(admin)


def rate_form(**overrides):
    form = {"currency": "USD", "rate_date": DAY.isoformat(), "rate": "7.8125", "source": "HKMA"}
    form.update(overrides)
    return form


def _count(db):
    return db.session.scalar(select(func.count()).select_from(ExchangeRate))


ROUTES = [("get", "/admin/"), ("get", "/admin/rates"), ("get", "/admin/rates/new"),
          ("post", "/admin/rates/new"), ("post", "/admin/rates/{id}/delete")]


@pytest.mark.parametrize("role", [Role.CONSULTANT, Role.MANAGER])
@pytest.mark.parametrize("method,path", ROUTES)
def test_only_admins_may_open_the_rate_pages(app, db, make_user, client_for, role, method,
                                             path):
    rate = add_reference_rate("USD", "7.8125", DAY)
    client = client_for(make_user(role))
    response = getattr(client, method)(path.format(id=rate.id), data=rate_form(
        currency="EUR"))
    assert response.status_code == 403
    assert _count(db) == 1


@pytest.mark.parametrize("method,path", ROUTES)
def test_signing_in_is_required(app, db, method, path):
    response = getattr(app.test_client(), method)(path.format(id=1), data=rate_form())
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_the_nav_links_to_the_rates_for_admins_only(app, db, admin_client, manager_client,
                                                    consultant_client):
    assert 'href="/admin/rates"' in admin_client.get("/").get_data(as_text=True)
    assert 'href="/admin/rates"' not in manager_client.get("/").get_data(as_text=True)
    assert 'href="/admin/rates"' not in consultant_client.get("/").get_data(as_text=True)


def test_an_admin_adds_a_rate_and_it_is_listed_and_audited(app, db, admin, admin_client):
    form = admin_client.get("/admin/rates/new").get_data(as_text=True)
    options = set(re.findall(r'<option[^>]*value="([A-Z]{3})"', form))
    assert "USD" in options and "HKD" not in options and "XAU" not in options
    response = admin_client.post("/admin/rates/new", data=rate_form(rate="7.81250"))
    assert response.status_code == 302
    stored = db.session.scalars(select(ExchangeRate)).one()
    assert (stored.currency, stored.rate_date, stored.rate, stored.recorded_by_id) == (
        "USD", DAY, Decimal("7.8125"), admin.id)
    entry = db.session.scalars(select(AuditEntry).where(
        AuditEntry.entity == f"exchange_rate:{stored.id}")).one()
    assert (entry.user_id, entry.action, entry.case_id) == (admin.id, "created", None)
    page = admin_client.get(response.headers["Location"]).get_data(as_text=True)
    assert f"Rate added: USD {DAY.isoformat()} 7.8125 (HKMA)." in page
    row = page[page.index(f'id="rate-{stored.id}"'):]
    assert "7.8125" in row and "HKMA" in row and "Ada Admin" in row


@pytest.mark.parametrize("field,value,message", [
    ("currency", "HKD", "HKD is always 1: it needs no reference rate."),
    ("currency", "XAG", "XAG is a precious metal"),
    ("rate", "1e1", "Write the rate in plain digits"),
    ("rate", "0", "The rate must be more than zero."),
    ("rate", "7.123456789", "Enter the rate to at most 8 decimal places."),
    ("rate", "", "Enter the rate: HKD for one unit of the currency."),
    ("rate_date", (clock.today() + timedelta(days=1)).isoformat(),
     "This date cannot be in the future."),
    ("source", "", "Say where the rate comes from, such as HKMA."),
])
def test_a_bad_rate_is_refused_beside_its_field_and_nothing_saved(app, db, admin_client, field,
                                                                  value, message):
    response = admin_client.post("/admin/rates/new", data=rate_form(**{field: value}))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert message in page and "Nothing was saved" in page
    assert _count(db) == 0


def test_a_second_rate_for_the_day_is_refused_and_the_input_kept(app, db, admin_client):
    add_reference_rate("USD", "7.8125", DAY)
    response = admin_client.post("/admin/rates/new", data=rate_form(rate="7.9"))
    page = response.get_data(as_text=True)
    assert (f"There is already a rate for USD on {DAY.isoformat()}: 7.8125 (HKMA). Delete it "
            "first to correct it.") in page
    assert 'value="7.9"' in page
    assert _count(db) == 1


def test_an_admin_deletes_a_wrong_rate(app, db, admin, admin_client):
    wrong = add_reference_rate("USD", "78.125", DAY)
    response = admin_client.post(f"/admin/rates/{wrong.id}/delete?currency=USD")
    assert response.status_code == 302 and "currency=USD" in response.headers["Location"]
    assert _count(db) == 0
    entry = db.session.scalars(select(AuditEntry).where(
        AuditEntry.entity == f"exchange_rate:{wrong.id}")).one()
    assert (entry.action, entry.user_id, entry.changes["rate"]) == ("removed", admin.id,
                                                                   ["78.125", None])
    page = admin_client.get(response.headers["Location"]).get_data(as_text=True)
    assert f"Rate deleted: USD {DAY.isoformat()}: 78.125 (HKMA)." in page
    again = admin_client.post(f"/admin/rates/{wrong.id}/delete", follow_redirects=True)
    assert "no longer in the table" in again.get_data(as_text=True)


def test_deleting_needs_the_csrf_token(app, db, admin_client):
    app.config["WTF_CSRF_ENABLED"] = True
    rate = add_reference_rate("USD", "7.8125", DAY)
    assert admin_client.post(f"/admin/rates/{rate.id}/delete").status_code == 400
    page = admin_client.get("/admin/rates").get_data(as_text=True)
    form = page[page.index(f"/admin/rates/{rate.id}/delete"):]
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form).group(1)
    assert admin_client.post(f"/admin/rates/{rate.id}/delete",
                             data={"csrf_token": token}).status_code == 302
    assert _count(db) == 0


def test_the_list_filters_by_currency_and_says_when_the_filter_is_wrong(app, db, admin_client):
    add_reference_rate("USD", "7.8125", DAY)
    add_reference_rate("EUR", "8.5", DAY, source="ECB")
    page = admin_client.get("/admin/rates?currency=eur").get_data(as_text=True)
    assert "ECB" in page and "HKMA" not in page
    page = admin_client.get("/admin/rates?currency=XAU").get_data(as_text=True)
    assert "XAU is a precious metal" in page and "Showing every currency." in page
    assert "ECB" in page and "HKMA" in page
    assert 'value="XAU"' in page  # what was typed stays in the box


def _links(page: str) -> dict[str, str]:
    return {rel: href.replace("&amp;", "&")
            for rel, href in re.findall(r'<a rel="(\w+)" href="([^"]+)"', page)}


def test_the_list_pages_newest_first_with_a_constant_statement_count(
        app, db, admin, admin_client, make_user, count_statements):
    def statements(url: str) -> tuple[int, str]:
        db.session.remove()  # a fresh session, as each real request gets
        g.pop("_login_user", None)
        count_statements.reset()
        response = admin_client.get(url)
        assert response.status_code == 200
        return count_statements.count, response.get_data(as_text=True)

    add_reference_rate("USD", "7.8", DAY).recorded_by_id = admin.id
    db.session.commit()
    baseline, _ = statements("/admin/rates")
    # Many rates, recorded by many admins: the people are loaded once per page, not per row.
    recorders = [make_user(Role.ADMIN) for _ in range(5)]
    for i in range(1, 130):
        db.session.add(ExchangeRate(currency="USD" if i % 2 else "EUR",
                                    rate_date=DAY - timedelta(days=i), rate=Decimal("7.8"),
                                    source="HKMA", recorded_by_id=recorders[i % 5].id))
    db.session.commit()
    first_count, first = statements("/admin/rates")
    assert first_count == baseline
    dates = re.findall(r'<tr id="rate-\d+">\s*<td>(\d{4}-\d{2}-\d{2})</td>', first)
    assert len(dates) == 50 and dates == sorted(dates, reverse=True)
    assert dates[0] == DAY.isoformat()
    second_count, second = statements(_links(first)["next"])
    assert second_count == baseline
    second_dates = re.findall(r'<tr id="rate-\d+">\s*<td>(\d{4}-\d{2}-\d{2})</td>', second)
    assert second_dates[0] < dates[-1]
    back_count, back = statements(_links(second)["prev"])
    assert back_count == baseline
    assert re.findall(r'<tr id="rate-\d+">\s*<td>(\d{4}-\d{2}-\d{2})</td>', back) == dates
    usd_count, usd = statements("/admin/rates?currency=USD&after=" +
                                f"{(DAY - timedelta(days=20)).isoformat()}.999999")
    assert usd_count == baseline
    assert "<td>EUR</td>" not in usd
