"""``flask seed-bulk``: an empty database filled with cases a manager would recognise, every
derived column as the app computes it, and the app carrying on from it without collisions."""

from __future__ import annotations

import itertools
import re
from collections import Counter, defaultdict
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import selectinload

from caseapp import clock
from caseapp.bulk import BULK_EMAIL_DOMAIN, BULK_PASSWORD
from caseapp.models import (
    AuditEntry,
    Case,
    CheckRun,
    Dependant,
    DepositEvidence,
    Document,
    ReferenceCounter,
    Role,
    StatusChange,
    User,
)
from caseapp.rules import evaluate
from caseapp.rules.vocab import EvidenceStatus, Relationship
from caseapp.rules.workflow import CaseStatus, is_allowed
from caseapp.services import cases as case_service
from caseapp.services.checks import configured_rule_set, current_facts, is_current, run_checks
from caseapp.services.derived import attention_values, row_values
from caseapp.services.users import authenticate
from caseapp.textsearch import search_term
from tests.factories import applicant_values, dependant_values

CASES = 300
CONSULTANTS = 5
TABLES = (User, Case, Dependant, DepositEvidence, Document, StatusChange, CheckRun, AuditEntry,
          ReferenceCounter)


def _cli(app, *args):
    return app.test_cli_runner().invoke(args=list(args))


def _counts(db) -> dict[str, int]:
    return {model.__tablename__: db.session.scalar(select(func.count()).select_from(model))
            for model in TABLES}


@pytest.fixture
def seeded(app, db):
    result = _cli(app, "seed-bulk", "--cases", str(CASES), "--consultants", str(CONSULTANTS))
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    return result


def _cases(db) -> list[Case]:
    return list(db.session.scalars(select(Case).order_by(Case.id).options(
        selectinload(Case.applicant), selectinload(Case.dependants),
        selectinload(Case.deposits), selectinload(Case.documents))))


def test_seeds_users_who_can_sign_in_and_prints_the_logins(seeded, db):
    roles = Counter(db.session.scalars(select(User.role)))
    assert roles == {Role.CONSULTANT: CONSULTANTS, Role.MANAGER: 2, Role.ADMIN: 1}
    assert BULK_PASSWORD in seeded.output
    for email in (f"consultant03@{BULK_EMAIL_DOMAIN}", f"manager1@{BULK_EMAIL_DOMAIN}",
                  f"admin@{BULK_EMAIL_DOMAIN}"):
        assert authenticate(email, BULK_PASSWORD) is not None
    assert _counts(db)["cases"] == CASES
    # One hash for everyone: argon2 runs once, not once per user.
    assert db.session.scalar(select(func.count(func.distinct(User.password_hash)))) == 1


def test_refuses_a_database_with_data_and_changes_nothing(seeded, app, db):
    before = _counts(db)
    result = _cli(app, "seed-bulk", "--cases", "10", "--consultants", "2")
    assert result.exit_code == 1
    assert "not empty" in result.output
    db.session.expire_all()
    assert _counts(db) == before


def test_refuses_when_only_users_exist(app, db, make_user):
    make_user(Role.ADMIN)
    result = _cli(app, "seed-bulk", "--cases", "10", "--consultants", "2")
    assert result.exit_code == 1
    assert "not empty" in result.output
    assert _counts(db)["cases"] == 0 and _counts(db)["users"] == 1


def test_refuses_in_production(app, db):
    app.config["CASEAPP_ENV"] = "production"
    result = _cli(app, "seed-bulk", "--cases", "10", "--consultants", "2")
    assert result.exit_code == 1
    assert "production" in result.output
    assert _counts(db)["users"] == 0


def test_cases_cover_the_whole_life_with_their_history(seeded, db):
    cases = _cases(db)
    assert {c.status for c in cases} == set(CaseStatus)
    moves: dict[int, list[StatusChange]] = defaultdict(list)
    for move in db.session.scalars(select(StatusChange).order_by(StatusChange.changed_at,
                                                                 StatusChange.id)):
        moves[move.case_id].append(move)
    today = clock.today()
    for case in cases:
        history = moves[case.id]
        first = history[0]
        assert (first.from_status, first.to_status) == (None, CaseStatus.INTAKE)
        assert first.changed_at == case.opened_at
        assert history[-1].to_status is case.status
        for before, after in itertools.pairwise(history):
            assert after.from_status is before.to_status
            assert is_allowed(before.to_status, after.to_status)
            if after.to_status in (CaseStatus.WITHDRAWN, CaseStatus.REFUSED, CaseStatus.ON_HOLD):
                assert after.reason
        assert case.opened_at <= case.updated_at
        assert case.updated_at.astimezone(clock.business_timezone()).date() < today
        assert case.version >= len(history)
    # Older cases are further along.
    oldest = sorted(cases, key=lambda c: c.opened_at)[: CASES // 4]
    newest = sorted(cases, key=lambda c: c.opened_at)[-CASES // 4:]
    closed = sum(c.is_closed for c in oldest)
    assert closed > len(oldest) / 2 > sum(c.is_closed for c in newest)
    # A submission without an eligible check is a manager's override, with its reason.
    overrides = db.session.scalars(select(StatusChange).where(StatusChange.override)).all()
    managers = set(db.session.scalars(select(User.id).where(User.role == Role.MANAGER)))
    assert all(m.reason and m.changed_by_id in managers for m in overrides)


def test_cases_have_families_money_documents_and_dates_a_manager_would_notice(seeded, db):
    cases = _cases(db)
    applicants = [c.applicant for c in cases]
    chinese = [a for a in applicants if a.chinese_name]
    assert len(chinese) > CASES / 4
    assert any(re.search(r"[^\x00-\x7f]", a.family_name + a.given_name) for a in applicants)
    assert all(re.fullmatch(r"[A-Z]{3}", a.nationality) for a in applicants)
    assert len({a.nationality for a in applicants}) > 10
    assert all("@" in a.email for a in applicants)
    relations = Counter(len(c.dependants) for c in cases)
    assert relations[0] > 0 and sum(n for size, n in relations.items() if size >= 3) > 0
    assert {d.relation for c in cases for d in c.dependants} >= {Relationship.SPOUSE,
                                                                 Relationship.CHILD}
    deposits = [d for c in cases for d in c.deposits]
    assert {"HKD", "USD", "CNY"} <= {d.currency for d in deposits}
    assert {d.status for d in deposits} == set(EvidenceStatus)
    assert all(d.verified_by_id for d in deposits if d.status is EvidenceStatus.VERIFIED)
    assert all(d.rejection_reason for d in deposits if d.status is EvidenceStatus.REJECTED)
    documents = [d for c in cases for d in c.documents]
    assert len({d.stored_name for d in documents}) == len(documents)
    by_id = {d.id: d for d in documents}
    for document in documents:
        if document.replaced_by_id is not None:
            successor = by_id[document.replaced_by_id]
            assert successor.case_id == document.case_id
            assert successor.uploaded_at >= document.uploaded_at
    today = clock.today()
    assert any(c.planned_submission_date for c in cases)
    assert any(c.planned_submission_date is None for c in cases)
    soon = [a for a in applicants if today <= a.passport_expiry <= today + timedelta(days=183)]
    assert soon
    assert _counts(db)["audit_entries"] == CASES


def test_references_are_unique_and_the_counters_follow_them(seeded, db):
    references = list(db.session.scalars(select(Case.reference)))
    assert len(set(references)) == len(references) == CASES
    last: dict[int, int] = {}
    for case in db.session.scalars(select(Case)):
        year, number = re.fullmatch(r"QM-(\d{4})-(\d{6})", case.reference).groups()
        assert int(year) == case.opened_at.astimezone(clock.business_timezone()).year
        last[int(year)] = max(last.get(int(year), 0), int(number))
    counters = {c.year: c.last_number for c in db.session.scalars(select(ReferenceCounter))}
    assert counters == last
    # Numbers within a year count up from 1 without gaps.
    per_year = Counter(int(r[3:7]) for r in references)
    assert per_year == Counter(last)


def test_latest_verdict_and_derived_columns_are_what_the_app_computes(seeded, db):
    rule_set = configured_rule_set()
    today = clock.today()
    runs: dict[int, list[CheckRun]] = defaultdict(list)
    for run in db.session.scalars(select(CheckRun).order_by(CheckRun.run_at, CheckRun.id)):
        runs[run.case_id].append(run)
    cases = _cases(db)
    unchecked = 0
    for case in cases:
        assert row_values(case) == {"search_text": case.search_text,
                                    "has_verified_deposit": case.has_verified_deposit}
        facts = current_facts(case, today)
        assert attention_values(facts, rule_set) == {
            "attention_on": case.attention_on, "attention_reasons": case.attention_reasons}
        latest = runs[case.id][-1] if runs[case.id] else None
        if latest is None:
            unchecked += 1
            assert (case.latest_verdict, case.latest_check_at, case.counted_hkd) == (
                "unchecked", None, None)
            continue
        assert case.latest_verdict == latest.verdict == latest.result["verdict"]
        assert case.latest_check_at == latest.run_at
        p2 = next(p for p in latest.result["prerequisites"] if p["code"] == "P2")
        assert case.counted_hkd == Decimal(p2["data"]["total_hkd"])
        assert latest.case_version <= case.version
        assert latest.check_date == latest.run_at.astimezone(clock.business_timezone()).date()
    assert 0 < unchecked < CASES
    assert {c.latest_verdict for c in cases} == {"eligible", "incomplete", "not_eligible",
                                                 "unchecked"}


def test_deadlines_are_what_the_app_recomputes(seeded, db):
    from caseapp.models import Deadline
    from caseapp.services.checks import load_case_for_checks
    from caseapp.services.deadlines import refresh_deadlines

    rule_set = configured_rule_set()
    stored = db.session.scalars(select(Deadline)).all()
    assert {d.kind.value for d in stored} >= {"passport_expiry", "statement_stale",
                                              "planned_submission"}
    try:
        for case in _cases(db):
            case = load_case_for_checks(case.id)
            refresh_deadlines(case, current_facts(case, clock.today()), rule_set)
            changed = [*db.session.new, *db.session.deleted,
                       *(o for o in db.session.dirty
                         if isinstance(o, Deadline) and db.session.is_modified(o))]
            assert changed == [], case.reference
    finally:
        db.session.rollback()


def test_check_runs_are_the_real_rules_on_the_case_facts(seeded, db):
    rule_set = configured_rule_set()
    current = 0
    for case in _cases(db):
        for run in db.session.scalars(select(CheckRun).where(CheckRun.case_id == case.id)):
            if not is_current(run, case):
                continue  # the case changed after this run (a later deposit review)
            current += 1
            again = evaluate(current_facts(case, run.check_date), rule_set)
            assert again.to_dict() == run.result
            assert run.rule_set_version == again.rule_set_version
    assert current > CASES / 4


def test_a_chinese_name_is_found_by_the_search(seeded, db):
    applicant = next(c.applicant for c in _cases(db) if c.applicant.chinese_name)
    surname = applicant.chinese_name[0]
    term = search_term(surname)
    assert term.usable
    found = set(db.session.scalars(
        select(Case.id).where(Case.search_text.like(term.like_pattern(), escape="\\"))))
    assert applicant.case_id in found
    if db.engine.dialect.name == "sqlite":  # the FTS5 triggers kept the index in step
        matched = set(db.session.scalars(
            text("SELECT rowid FROM case_search WHERE case_search MATCH :phrase"),
            {"phrase": term.fts_phrase()}))
        assert matched == found
    latin = search_term(applicant.family_name)
    assert applicant.case_id in set(db.session.scalars(
        select(Case.id).where(Case.search_text.like(latin.like_pattern(), escape="\\"))))


def test_the_app_carries_on_without_collisions(seeded, db):
    consultant = db.session.scalars(select(User).where(User.role == Role.CONSULTANT)).first()
    year = clock.today().year
    counter = db.session.get(ReferenceCounter, year)
    expected = (counter.last_number if counter else 0) + 1
    case = case_service.open_case(consultant, applicant_values())
    assert case.reference == f"QM-{year}-{expected:06d}"
    assert case.id == db.session.scalar(select(func.max(Case.id)))
    # Every table the seed numbered takes the app's next row (PostgreSQL's sequences moved).
    case_service.add_dependant(consultant, case, dependant_values(), case.version)
    run = run_checks(consultant, case)
    assert run.id == db.session.scalar(select(func.max(CheckRun.id)))
    assert _counts(db)["cases"] == CASES + 1


def _snapshot(db) -> dict[str, list[tuple]]:
    return {model.__tablename__: [tuple(row) for row in db.session.execute(
        select(model.__table__).order_by(*model.__table__.primary_key.columns))]
        for model in TABLES if model is not User}


def test_a_pool_of_workers_writes_the_same_database_as_one_process(app, db):
    from caseapp.bulk import seed_bulk
    from caseapp.models import Base
    from tests.dbutil import empty_all_tables

    pooled = seed_bulk(150, 3, seed=7, workers=2, batch_size=40)
    db.session.expire_all()
    by_pool = _snapshot(db)
    db.session.remove()
    empty_all_tables(db.engine, Base.metadata)
    alone = seed_bulk(150, 3, seed=7, workers=1, batch_size=40)
    db.session.expire_all()
    assert alone == pooled
    assert _snapshot(db) == by_pool
