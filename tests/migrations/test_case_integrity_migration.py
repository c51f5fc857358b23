"""Migration 0005: a case already submitted gets its submission date from its history."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import create_engine, text

from tests.dbutil import migrate
from tests.migrations.test_migrations import empty_database  # noqa: F401  (fixture)

# 18:30 UTC on 14 October is already 15 October in Hong Kong.
SUBMITTED_AT = datetime(2024, 10, 14, 18, 30, tzinfo=UTC)


def test_0005_gives_submitted_cases_their_submission_day(empty_database):  # noqa: F811
    migrate(empty_database, "0004")
    engine = create_engine(empty_database)
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO users (id, email, name, role, password_hash, active, created_at) "
            "VALUES (1, 'c@x.test', 'Connie', 'consultant', 'x', :t, :at)"),
            {"t": True, "at": SUBMITTED_AT})
        for case_id, status in ((1, "under_assessment"), (2, "collecting_documents")):
            conn.execute(text(
                "INSERT INTO cases (id, reference, consultant_id, status, opened_at, "
                "updated_at, version) VALUES (:id, :ref, 1, :s, :at, :at, 2)"),
                {"id": case_id, "ref": f"QM-2024-00000{case_id}", "s": status,
                 "at": SUBMITTED_AT})
        conn.execute(text(
            "INSERT INTO status_changes (case_id, from_status, to_status, reason, override, "
            "changed_by_id, changed_at) VALUES (1, 'ready_for_review', 'submitted', '', :f, 1, "
            ":at)"), {"f": False, "at": SUBMITTED_AT})
    engine.dispose()
    migrate(empty_database)
    engine = create_engine(empty_database)
    with engine.connect() as conn:
        days = dict(conn.execute(text("SELECT id, submitted_on FROM cases")).all())
    engine.dispose()
    assert str(days[1]) == date(2024, 10, 15).isoformat() and days[2] is None
