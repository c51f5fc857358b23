"""Migration 0004: existing cases get their latest verdict, check time, counted HKD, search
text and attention date; the search is served by an index on each database."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import create_engine, text

from caseapp.rules.workflow import CaseStatus
from caseapp.textsearch import SearchTerm
from tests.dbutil import migrate
from tests.migrations.test_migrations import empty_database  # noqa: F401  (fixture)

RUN_AT = datetime(2026, 11, 2, 3, 4, 5, tzinfo=UTC)


def _insert_at_0003(url: str) -> None:
    """A case as the app stored it before 0004: two check runs, the newer one eligible."""
    engine = create_engine(url)
    soon = date.today() + timedelta(days=30)  # passport inside the six-month window
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO users (id, email, name, role, password_hash, active, created_at) "
            "VALUES (1, 'c@x.test', 'Connie', 'consultant', 'x', :t, :now)"),
            {"t": True, "now": RUN_AT})
        conn.execute(text(
            "INSERT INTO cases (id, reference, consultant_id, status, opened_at, updated_at, "
            "version) VALUES (1, 'QM-2026-000001', 1, :s, :now, :now, 3)"),
            {"s": CaseStatus.COLLECTING_DOCUMENTS.value, "now": RUN_AT})
        conn.execute(text(
            "INSERT INTO applicants (case_id, given_name, family_name, chinese_name, "
            "passport_expiry, email) VALUES (1, 'Jürgen', 'Müller', '陳大文', :soon, "
            "'j.muller@example.org')"), {"soon": soon})
        conn.execute(text(
            "INSERT INTO dependants (case_id, relationship, given_name, family_name) "
            "VALUES (1, 'child', 'Ada', 'Okafor')"))
        conn.execute(text(
            "INSERT INTO deposit_evidence (case_id, amount, currency, rate_to_hkd, amount_hkd, "
            "statement_date, bank, account_holder, status, recorded_by_id, recorded_at, "
            "rejection_reason) VALUES (1, 300000, 'HKD', 1, 300000, :d, 'HSBC', 'J M', "
            "'verified', 1, :now, '')"), {"d": date.today(), "now": RUN_AT})
        for n, (verdict, at, total) in enumerate([
                ("incomplete", RUN_AT - timedelta(days=5), "0.00"),
                ("eligible", RUN_AT, "300000.00")], start=1):
            result = {"prerequisites": [{"code": "P2", "data": {"total_hkd": total}}]}
            conn.execute(text(
                "INSERT INTO check_runs (id, case_id, run_by_id, run_at, check_date, "
                "rule_set_version, verdict, case_version, facts_sha256, result) VALUES "
                "(:n, 1, 1, :at, :d, 'qmas-2006-165', :v, 3, '', :r)"),
                {"n": n, "at": at, "d": at.date(), "v": verdict, "r": json.dumps(result)})
    engine.dispose()


def test_0004_backfills_every_new_column_of_existing_cases(empty_database):  # noqa: F811
    migrate(empty_database, "0003")
    _insert_at_0003(empty_database)
    migrate(empty_database)
    engine = create_engine(empty_database)
    with engine.connect() as conn:
        # Rebuilding the cases table on SQLite must not cascade into its children.
        for table in ("applicants", "dependants", "deposit_evidence", "check_runs"):
            assert conn.execute(text(f"SELECT count(*) FROM {table}")).scalar() >= 1, table
        row = conn.execute(text(
            "SELECT latest_verdict, latest_check_at, counted_hkd, search_text, attention_on, "
            "has_verified_deposit, version FROM cases WHERE id = 1")).one()
    engine.dispose()
    assert row.latest_verdict == "eligible"
    checked = row.latest_check_at
    checked = datetime.fromisoformat(checked) if isinstance(checked, str) else checked
    if checked.tzinfo is None:  # SQLite keeps the UTC time without its zone
        checked = checked.replace(tzinfo=UTC)
    assert checked == RUN_AT
    assert str(row.counted_hkd) in ("300000.00", "300000")
    assert " muller " in row.search_text and " 陳 " in row.search_text
    assert "okafor" in row.search_text and "j.muller@example.org" in row.search_text
    attention_on = row.attention_on
    assert attention_on is not None and str(attention_on) <= date.today().isoformat()
    assert row.has_verified_deposit in (True, 1)
    assert row.version == 3  # a backfill is not an edit


@pytest.mark.parametrize("typed", ["muller", "陳"])
def test_search_is_served_by_the_trigram_index(empty_database, typed):  # noqa: F811
    migrate(empty_database)
    term = SearchTerm(typed)
    engine = create_engine(empty_database)
    with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SET enable_seqscan = off"))  # a tiny table: ask what can serve
            plan = conn.execute(text(
                "EXPLAIN SELECT id FROM cases WHERE search_text LIKE :p ESCAPE '\\'"),
                {"p": term.like_pattern()}).scalars().all()
            assert any("ix_cases_search_text_trgm" in line for line in plan), plan
        else:
            plan = conn.execute(text(
                "EXPLAIN QUERY PLAN SELECT rowid FROM case_search WHERE case_search MATCH :q"),
                {"q": term.fts_phrase()}).all()
            assert any("VIRTUAL TABLE INDEX" in str(line) for line in plan), plan
    engine.dispose()
