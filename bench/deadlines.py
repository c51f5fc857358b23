"""Deadlines at 100,000 cases: recomputing every case's deadlines, and the This week page.

    .venv/bin/python bench/deadlines.py [--cases 100000] [--consultants 40]
                                        [--database sqlite|postgresql|both] [--rounds 10]
                                        [--batch 500] [--only recompute|pages]

The database is the one bench/lists.py seeds (``caseapp.bulk.seed_bulk``), copied so that
this bench's deadlines stay its own: SQLite instance/bench/deadlines-<cases>-<consultants>
.sqlite3 (a copy of the lists bench's file when there is a complete one, else seeded);
PostgreSQL a database of its own on the server ``scripts/with-postgres`` starts (the script
re-runs itself under it when CASEAPP_TEST_DATABASE_URL is not set). Migrating a fresh copy to
head runs migration 0010's backfill, which is timed too.

For each database it prints:

* the recomputation of every case's deadlines by the app's own code path
  (``services.deadlines.refresh_deadlines``, as every change and check run calls it): cases
  loaded in batches of --batch with their applicant, dependants and deposits (selectinload),
  facts and rule set as ``services.cases.refresh_derived`` makes them, one commit a batch.
  Twice: from an empty deadlines table (every row inserted), then again over the stored rows
  (the steady state: nothing to change). Cases per second and total seconds;
* the This week page through ``app.test_client()``, signed in as a manager (the whole
  consultancy, capped at 500 lines) and as the consultant with the most open deadlines:
  median and p95 of --rounds requests after one untimed warm-up.

Prints figures; asserts nothing. No client data is printed.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from flask import Flask  # noqa: E402
from flask.testing import FlaskClient  # noqa: E402
from sqlalchemy import create_engine, delete, func, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlalchemy.orm import selectinload  # noqa: E402

from bench.lists import (  # noqa: E402
    BENCH_DIR,
    PG_ENV,
    bench_app,
    is_complete,
    manager_client,
    percentile,
    seed,
    timed_get,
    under_postgres,
)
from caseapp import clock  # noqa: E402
from caseapp.extensions import db  # noqa: E402
from caseapp.models import Case, Deadline, User  # noqa: E402
from caseapp.rules.workflow import OPEN_STATUSES  # noqa: E402
from caseapp.services.checks import case_facts, rule_set_for_facts  # noqa: E402
from caseapp.services.deadlines import refresh_deadlines  # noqa: E402
from tests.dbutil import migrate  # noqa: E402

URL = "/this-week"


# ---- the databases ---------------------------------------------------------------------------

def _timed_migrate(url: str) -> None:
    started = time.perf_counter()
    migrate(url)
    print(f"  migrated to head in {time.perf_counter() - started:.1f} s "
          "(a fresh copy: migration 0010's backfill included)", flush=True)


def sqlite_database(cases: int, consultants: int) -> str:
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    path = BENCH_DIR / f"deadlines-{cases}-{consultants}.sqlite3"
    url = f"sqlite:///{path}"
    if path.exists():
        migrate(url)
        if is_complete(url, cases, consultants):
            print(f"  reusing {path.relative_to(ROOT)}")
            return url
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    lists = BENCH_DIR / f"lists-{cases}-{consultants}.sqlite3"
    if lists.exists() and not Path(f"{lists}-wal").exists():
        shutil.copyfile(lists, path)
        print(f"  copied {lists.relative_to(ROOT)} to {path.relative_to(ROOT)}", flush=True)
        _timed_migrate(url)
        if is_complete(url, cases, consultants):
            return url
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    migrate(url)
    seed(url, cases, consultants)
    return url


def postgres_database(cases: int, consultants: int) -> str:
    base = make_url(os.environ[PG_ENV])
    name = f"caseapp_bench_deadlines_{cases}_{consultants}"
    url = base.set(database=name).render_as_string(hide_password=False)
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            if conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}):
                migrate(url)
                if is_complete(url, cases, consultants):
                    print(f"  reusing database {name}")
                    return url
                conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}" ENCODING \'UTF8\' TEMPLATE template0'))
    finally:
        admin.dispose()
    migrate(url)
    seed(url, cases, consultants)
    return url


# ---- recomputing -----------------------------------------------------------------------------

def load_batch(after_id: int, size: int) -> list[Case]:
    """The next ``size`` cases after ``after_id`` with every part the rules read: four
    statements a batch (the cases, their applicants, dependants and deposits)."""
    return list(db.session.scalars(
        select(Case).where(Case.id > after_id).order_by(Case.id).limit(size)
        .options(selectinload(Case.applicant), selectinload(Case.dependants),
                 selectinload(Case.deposits))))


def recompute_all(batch: int) -> tuple[int, float]:
    """Every case's deadlines brought in line, a commit per batch: (cases, seconds)."""
    today = clock.today()
    done, last_id = 0, 0
    started = time.perf_counter()
    while cases := load_batch(last_id, batch):
        for case in cases:
            facts = case_facts(case, today)
            refresh_deadlines(case, facts, rule_set_for_facts(facts))
        db.session.commit()
        db.session.expunge_all()  # a batch's objects are done with: keep memory flat
        done += len(cases)
        last_id = cases[-1].id
    return done, time.perf_counter() - started


def run_recompute(app: Flask, batch: int) -> list[str]:
    lines = []
    with app.app_context():
        db.session.execute(delete(Deadline))
        db.session.commit()
        for label in ("from empty", "steady state"):
            cases, seconds = recompute_all(batch)
            rows = db.session.scalar(select(func.count()).select_from(Deadline))
            lines.append(f"  recompute {label:<13} {cases:>9,} cases {seconds:8.1f} s "
                         f"{cases / seconds:10,.0f} cases/s  ({rows:,} deadlines stored)")
            print(lines[-1], flush=True)
        db.session.remove()
    return lines


# ---- the This week page ----------------------------------------------------------------------

def busiest_consultant_client(app: Flask) -> tuple[FlaskClient, int]:
    """Signed in as the consultant with the most open deadlines due within 30 days."""
    with app.app_context():
        today = clock.today()
        user_id, count = db.session.execute(
            select(Case.consultant_id, func.count())
            .select_from(Deadline).join(Deadline.case)
            .where(Case.status.in_(OPEN_STATUSES), Deadline.done_at.is_(None),
                   Deadline.due_on <= today.fromordinal(today.toordinal() + 30))
            .group_by(Case.consultant_id).order_by(func.count().desc()).limit(1)).one()
        session_id = db.session.get(User, user_id).get_id()
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = session_id
        session["_fresh"] = True
    return client, count


def time_page(client: FlaskClient, label: str, rounds: int) -> str:
    _, status, body = timed_get(client, URL)  # warm-up
    if status != 200:
        return f"  {label:<40} status {status}: not measured"
    lines = body.count(b'<tr id="deadline-')
    times = []
    for _ in range(rounds):
        elapsed, status, _ = timed_get(client, URL)
        times.append(elapsed)
    return (f"  {label:<40} median {statistics.median(times):7.1f} ms  "
            f"p95 {percentile(times, 0.95):7.1f} ms  ({lines} lines)")


def run_pages(app: Flask, rounds: int) -> list[str]:
    consultant, due = busiest_consultant_client(app)
    lines = [time_page(manager_client(app), "This week, manager (all)", rounds),
             time_page(consultant, f"This week, one consultant ({due} due)", rounds)]
    for line in lines:
        print(line, flush=True)
    return lines


def bench_database(kind: str, args: argparse.Namespace) -> list[str]:
    print(f"\n== {kind}: {args.cases:,} cases, {args.consultants} consultants", flush=True)
    url = (sqlite_database if kind == "sqlite" else postgres_database)(args.cases,
                                                                       args.consultants)
    app = bench_app(url)
    run = run_pages if args.only == "pages" else run_recompute
    lines = run(app, args.rounds if args.only == "pages" else args.batch)
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    if args.only is None:
        lines += pages_in_a_new_process(kind, args)
    return lines


def pages_in_a_new_process(kind: str, args: argparse.Namespace) -> list[str]:
    """The page timings in a process of their own: after the long recomputation, the first
    page request in the same process died of a segmentation fault inside the C extensions
    (once on each database, psycopg's fetchall or sqlite3), and a fresh process times the
    page as a server worker would meet it."""
    command = [sys.executable, __file__, "--database", kind, "--only", "pages",
               "--cases", str(args.cases), "--consultants", str(args.consultants),
               "--rounds", str(args.rounds)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    lines = [line for line in done.stdout.splitlines() if line.startswith("  This week")]
    lines = list(dict.fromkeys(lines))  # the child prints them twice (as it goes, summary)
    if done.returncode != 0:
        lines.append(f"  page timings: exit {done.returncode} {done.stderr[-300:]}")
    print("\n".join(lines), flush=True)
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--consultants", type=int, default=40)
    parser.add_argument("--database", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--only", choices=("recompute", "pages"),
                        help="one half of the bench (pages: on the deadlines stored already)")
    args = parser.parse_args(argv)
    kinds = ["sqlite", "postgresql"] if args.database == "both" else [args.database]
    if (failed := under_postgres(kinds, __file__, argv)) is not None:
        return failed
    report = {kind: bench_database(kind, args) for kind in kinds}
    print("\n== summary")
    for kind, lines in report.items():
        print(f"{kind}:")
        print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
