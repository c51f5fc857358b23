"""Migration 0010: existing cases get their deadlines, the same ones the app's recomputation
(``services.deadlines.refresh_deadlines``) gives them; closed cases and hand-made rows without
a client file get none."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import create_engine, select, text

from caseapp import create_app
from caseapp.extensions import db
from caseapp.models import Deadline
from caseapp.rules import rule_set_for
from caseapp.rules.ruleset import DEFAULT_VERSION
from caseapp.services.checks import case_facts, load_case_for_checks
from caseapp.services.deadlines import refresh_deadlines
from tests.dbutil import migrate
from tests.migrations.test_migrations import empty_database  # noqa: F401  (fixture)

NOW = datetime.now(UTC).replace(microsecond=0)
TODAY = NOW.astimezone(ZoneInfo("Asia/Hong_Kong")).date()
FIELDS = ("kind", "source", "due_on", "action", "person")


def _insert_at_0009(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        def run(sql: str, **values: object) -> None:
            conn.execute(text(sql), values)

        run("INSERT INTO users (id, email, name, role, password_hash, active, created_at) "
            "VALUES (1, 'c@x.test', 'Connie', 'consultant', 'x', :t, :now)", t=True, now=NOW)
        cases = [
            # id, status, planned, submitted_on, verdict, checked at
            (1, "collecting_documents", TODAY + timedelta(days=20), None, "eligible",
             NOW - timedelta(days=1)),
            (2, "under_assessment", None, TODAY - timedelta(days=30), "eligible",
             NOW - timedelta(days=40)),
            (3, "withdrawn", TODAY + timedelta(days=5), None, "incomplete", NOW),
            (4, "intake", None, None, "unchecked", None),  # made by hand: no applicant row
        ]
        for case_id, status, planned, submitted, verdict, checked in cases:
            run("INSERT INTO cases (id, reference, consultant_id, status, opened_at, "
                "updated_at, version, planned_submission_date, submitted_on, latest_verdict, "
                "latest_check_at) VALUES (:id, :ref, 1, :s, :now, :now, 1, :p, :sub, :v, :c)",
                id=case_id, ref=f"QM-2026-00000{case_id}", s=status, now=NOW, p=planned,
                sub=submitted, v=verdict, c=checked)
        for case_id in (1, 2, 3):
            run("INSERT INTO applicants (case_id, given_name, family_name, passport_expiry) "
                "VALUES (:id, 'Mei Ling', 'Tan', :e)", id=case_id,
                e=TODAY + timedelta(days=100))
        run("INSERT INTO dependants (id, case_id, relationship, given_name, family_name, "
            "date_of_birth, marital_status) VALUES (7, 1, 'child', 'Ethan', 'Tan', :b, "
            "'single')", b=TODAY - timedelta(days=18 * 365 - 60))
        run("INSERT INTO dependants (id, case_id, relationship, given_name, family_name, "
            "marital_status) VALUES (8, 1, 'spouse', 'Sam', 'Tan', 'married')")
        run("INSERT INTO deposit_evidence (id, case_id, amount, currency, rate_to_hkd, "
            "amount_hkd, statement_date, bank, account_holder, status, recorded_by_id, "
            "recorded_at, rejection_reason) VALUES (12, 1, 300000, 'HKD', 1, 300000, :d, "
            "'HSBC', 'M L Tan', 'verified', 1, :now, '')", d=TODAY - timedelta(days=10),
            now=NOW)
        for request_id, answered in ((5, None), (6, TODAY - timedelta(days=3))):
            run("INSERT INTO information_requests (id, case_id, requested_on, details, "
                "due_on, opened_by_id, opened_at, answered_on, reply_notes) VALUES (:id, 2, "
                ":asked, 'Payslips', :due, 1, :now, :answered, '')", id=request_id,
                asked=TODAY - timedelta(days=7), due=TODAY + timedelta(days=request_id),
                now=NOW, answered=answered)
    engine.dispose()


def _backfilled(url: str) -> dict[int, set[tuple[object, ...]]]:
    engine = create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(text(
            f"SELECT case_id, {', '.join(FIELDS)}, done_at, snoozed_until, mark_reason "
            "FROM deadlines")).all()
    engine.dispose()
    found: dict[int, set[tuple[object, ...]]] = {}
    for row in rows:
        assert row.done_at is None and row.snoozed_until is None and row.mark_reason == ""
        due = row.due_on if isinstance(row.due_on, date) else date.fromisoformat(row.due_on)
        found.setdefault(row.case_id, set()).add(
            (row.kind, row.source, due, row.action, row.person))
    return found


def test_0010_backfills_what_the_recomputation_gives(empty_database):  # noqa: F811
    migrate(empty_database, "0009")
    _insert_at_0009(empty_database)
    migrate(empty_database, "0010")
    backfilled = _backfilled(empty_database)
    assert set(backfilled) == {1, 2}  # none for the withdrawn case nor the bare row
    assert {source for _, source, *_ in backfilled[1]} == {
        "passport:applicant", "child:7", "statement:12", "planned", "check"}
    assert {source for _, source, *_ in backfilled[2]} == {"request:5"}

    migrate(empty_database)
    app = create_app({"CASEAPP_ENV": "testing", "SQLALCHEMY_DATABASE_URI": empty_database,
                      "SUBMISSION_CHECK_MAX_AGE_DAYS": 7})
    with app.app_context():
        try:
            for case_id in (1, 2, 3):
                case = load_case_for_checks(case_id)
                refresh_deadlines(case, case_facts(case, TODAY), rule_set_for(DEFAULT_VERSION))
                changed = [*db.session.new, *db.session.deleted,
                           *(o for o in db.session.dirty
                             if isinstance(o, Deadline) and db.session.is_modified(o))]
                assert changed == [], case_id  # the recomputation finds nothing to change
                rows = db.session.scalars(select(Deadline).where(Deadline.case_id == case_id))
                assert {tuple(getattr(d, f).value if f == "kind" else getattr(d, f)
                              for f in FIELDS) for d in rows} == backfilled.get(case_id, set())
        finally:
            db.session.rollback()
            db.session.remove()
            db.engine.dispose()


def test_0010_backfills_under_the_configured_settings(empty_database, monkeypatch):  # noqa: F811
    """The consultancy's CASEAPP_* overrides hold for the backfill as for the app: a later
    recomputation would otherwise move the dates (and clear any mark made meanwhile)."""
    from caseapp.rules.attention import passport_window_opens

    monkeypatch.setenv("CASEAPP_PASSPORT_WARNING_MONTHS", "9")
    monkeypatch.setenv("CASEAPP_SUBMISSION_CHECK_MAX_AGE_DAYS", "10")
    migrate(empty_database, "0009")
    _insert_at_0009(empty_database)
    migrate(empty_database, "0010")
    due = {source: due for _, source, due, *_ in _backfilled(empty_database)[1]}
    assert due["passport:applicant"] == passport_window_opens(TODAY + timedelta(days=100), 9)
    checked_on = (NOW - timedelta(days=1)).astimezone(ZoneInfo("Asia/Hong_Kong")).date()
    assert due["check"] == checked_on + timedelta(days=10)
