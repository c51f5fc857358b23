"""``flask --app caseapp rates import FILE.csv``: all or nothing, line-numbered errors."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import func, select

from caseapp import clock
from caseapp.models import AuditEntry, ExchangeRate
from tests.factories import add_reference_rate

DAY = clock.today() - timedelta(days=3)
D = DAY.isoformat()


def _import(app, tmp_path, text, *options):
    path = tmp_path / "rates.csv"
    path.write_text(text, encoding="utf-8")
    return app.test_cli_runner().invoke(
        args=["rates", "import", str(path), *options])


def _rates(db):
    db.session.expire_all()
    return {(r.currency, r.rate_date.isoformat()): (r.rate, r.source)
            for r in db.session.scalars(select(ExchangeRate))}


def test_a_good_file_is_imported_and_counted(app, db, tmp_path):
    result = _import(app, tmp_path, f"currency,date,rate,source\nUSD,{D},7.8125,HKMA\n"
                                    f"\ncny,{D}, 1.085 ,PBOC\nXOF,{D},0.0129,BCEAO\n")
    assert result.exit_code == 0, result.stderr
    assert "Added 3, replaced 0, skipped 0" in result.stdout
    assert _rates(db) == {("USD", D): (Decimal("7.8125"), "HKMA"),
                          ("CNY", D): (Decimal("1.085"), "PBOC"),
                          ("XOF", D): (Decimal("0.0129"), "BCEAO")}
    entries = list(db.session.scalars(select(AuditEntry).where(
        AuditEntry.entity.like("exchange_rate:%"))))
    assert len(entries) == 3 and {e.action for e in entries} == {"imported"}
    assert all(e.entity.startswith("exchange_rate:") and e.user_id is None for e in entries)


def test_bad_rows_are_listed_by_line_and_nothing_is_imported(app, db, tmp_path):
    future = (clock.today() + timedelta(days=1)).isoformat()
    text = "\n".join([
        "currency,date,rate,source",
        f"USD,{D},7.8125,HKMA",            # 2: good, but not imported with the rest
        f"XAU,{D},15000,LBMA",              # 3: a metal
        "EUR,2026/11/20,8.5,ECB",           # 4: not an ISO date
        f"EUR,{future},8.5,ECB",            # 5: future
        f"GBP,{D},1e1,BoE",                 # 6: exponent
        f"JPY,{D},0.051234567,BoJ",         # 7: nine places
        f"SGD,{D},-5.8,MAS",                # 8: negative
        f"CHF,{D},8.9,",                    # 9: no source
        f"USD,{D},7.8125,HKMA",             # 10: twice in the file
        "AUD,2026-01-01",                   # 11: too few values
        f"HKD,{D},1,fixed",                 # 12: HKD
        f"CAD,{D},\"5,700\",BoC",           # 13: commas
    ]) + "\n"
    result = _import(app, tmp_path, text)
    assert result.exit_code == 1
    errors = result.stderr
    for line, message in [
        (3, "currency: XAU is a precious metal"),
        (4, "date: '2026/11/20' is not a date as YYYY-MM-DD."),
        (5, "date: The rate's date cannot be in the future."),
        (6, "rate: Write the rate in plain digits"),
        (7, "rate: Enter the rate to at most 8 decimal places."),
        (8, "rate: The rate must be more than zero."),
        (9, "source: Say where the rate comes from"),
        (10, f"USD {D} is already on line 2"),
        (11, "expected 4 values (currency,date,rate,source), found 2"),
        (12, "currency: HKD is always 1"),
        (13, "rate: Write the rate without thousands commas."),
    ]:
        assert f"rates.csv:{line}: {message}" in errors, (line, errors)
    assert "rates.csv:2:" not in errors
    assert "no rate was imported" in errors
    assert _rates(db) == {}
    assert db.session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.entity.like("exchange_rate:%"))) == 0


def test_a_wrong_header_is_refused(app, db, tmp_path):
    result = _import(app, tmp_path, f"code,day,rate,source\nUSD,{D},7.8,HKMA\n")
    assert result.exit_code == 1
    assert "rates.csv:1: the first line must be the header currency,date,rate,source" in (
        result.stderr)
    assert _rates(db) == {}


def test_an_existing_rate_is_skipped_when_equal_and_refused_when_different(app, db, tmp_path):
    add_reference_rate("USD", "7.8125", DAY)
    add_reference_rate("EUR", "8.50", DAY, source="ECB")
    same = f"currency,date,rate,source\nUSD,{D},7.81250,HKMA\nCNY,{D},1.085,PBOC\n"
    result = _import(app, tmp_path, same)
    assert result.exit_code == 0 and "Added 1, replaced 0, skipped 1" in result.stdout

    different = f"currency,date,rate,source\nGBP,{D},9.87,BoE\nEUR,{D},8.60,ECB\n"
    result = _import(app, tmp_path, different)
    assert result.exit_code == 1
    assert (f"rates.csv:3: EUR {D}: 8.5 (ECB) is in the table already; this row says 8.6 "
            "(use --replace to replace it)") in result.stderr
    assert ("GBP", D) not in _rates(db)  # all or nothing

    result = _import(app, tmp_path, different, "--replace")
    assert result.exit_code == 0, result.stderr
    assert "Added 1, replaced 1, skipped 0" in result.stdout
    assert _rates(db)[("EUR", D)] == (Decimal("8.60"), "ECB")
    replaced = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "replaced")
                                  ).one()
    assert replaced.changes["rate"] == ["8.5", "8.6"]


def test_the_import_can_be_attributed_to_a_user(app, db, tmp_path, admin):
    result = _import(app, tmp_path, f"currency,date,rate,source\nUSD,{D},7.8125,HKMA\n",
                     "--as", admin.email)
    assert result.exit_code == 0, result.stderr
    stored = db.session.scalars(select(ExchangeRate)).one()
    assert stored.recorded_by_id == admin.id
    assert db.session.scalars(select(AuditEntry).where(
        AuditEntry.entity.like("exchange_rate:%"))).one().user_id == admin.id
