"""The audit page at 1,000,000 entries: server times of the first page, a deep page and the
filters, and the CSV export's rows per second.

    .venv/bin/python bench/audit.py [--entries 1000000] [--database sqlite|postgresql|both]
                                    [--rounds 10]

Seeds a database per backend (``caseapp.bulk.seed_bulk`` with a few cases and users, then
the entries written in bulk), or reuses one seeded to the end: SQLite under instance/bench/,
PostgreSQL in a database of its own on the server ``scripts/with-postgres`` starts (re-run
under it as bench/lists.py is). Times are the WSGI call through ``app.test_client()`` signed
in as a manager: median and p95 over --rounds requests after one untimed warm-up.

Prints figures; asserts nothing. No client data is printed.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from flask import Flask  # noqa: E402
from flask.testing import FlaskClient  # noqa: E402
from sqlalchemy import create_engine, func, insert, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from bench.lists import (  # noqa: E402
    BENCH_DIR,
    MANAGER_EMAIL,
    PG_ENV,
    Timing,
    bench_app,
    next_link,
    seed,
    under_postgres,
)
from caseapp.extensions import db  # noqa: E402
from caseapp.models import AuditEntry, Case, User  # noqa: E402
from caseapp.queries import cursors  # noqa: E402
from tests.dbutil import migrate  # noqa: E402

CASES, CONSULTANTS = 2000, 20
BATCH = 20_000
ACTIONS = ("updated", "created", "uploaded", "status_changed", "checks_run", "exported",
           "verified", "removed", "review_approved", "token_created")
PAGE_MEDIAN_MS, PAGE_P95_MS = 50.0, 100.0
DEEP_STEPS = 50
PAGE = "/manage/audit"


def seeded(url: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.scalar(select(func.count()).select_from(AuditEntry.__table__)) or 0
    except Exception:
        return 0
    finally:
        engine.dispose()


def add_entries(app: Flask, entries: int) -> None:
    """``entries`` entries over two years, newest now: by each user and the system, on each
    case or none, one in twenty through the API."""
    rng = random.Random(11)
    with app.app_context():
        user_ids = list(db.session.scalars(select(User.id)))
        case_ids = list(db.session.scalars(select(Case.id)))
        have = db.session.scalar(select(func.count()).select_from(AuditEntry.__table__)) or 0
        start = datetime.now(UTC) - timedelta(days=730)
        step = timedelta(days=730) / entries
        table = AuditEntry.__table__
        started = time.perf_counter()
        for first in range(have, entries, BATCH):
            rows = [{
                "at": start + step * i,
                "user_id": rng.choice(user_ids) if rng.random() > 0.05 else None,
                "case_id": rng.choice(case_ids) if rng.random() > 0.1 else None,
                "action": rng.choice(ACTIONS), "entity": f"note:{i}",
                "changes": {"field": ["old", "new"], "passport_number": ["X1", "X2"]},
                "via": "api" if rng.random() < 0.05 else None,
            } for i in range(first, min(first + BATCH, entries))]
            with db.engine.begin() as conn:
                conn.execute(insert(table), rows)
        print(f"  {entries - have:,} entries written in {time.perf_counter() - started:.0f} s")
        with db.engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT")
            vacuum = "VACUUM ANALYZE audit_entries" if conn.dialect.name == "postgresql" \
                else "ANALYZE"
            conn.execute(text(vacuum))


def database(kind: str, entries: int) -> str:
    if kind == "sqlite":
        BENCH_DIR.mkdir(parents=True, exist_ok=True)
        path = BENCH_DIR / f"audit-{entries}.sqlite3"
        url = f"sqlite:///{path}"
        if not path.exists():
            migrate(url)
            seed(url, CASES, CONSULTANTS)
    else:
        base = make_url(os.environ[PG_ENV])
        name = f"caseapp_bench_audit_{entries}"
        url = base.set(database=name).render_as_string(hide_password=False)
        admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as conn:
                created = not conn.scalar(
                    text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name})
                if created:
                    conn.execute(text(f'CREATE DATABASE "{name}" ENCODING \'UTF8\' '
                                      "TEMPLATE template0"))
        finally:
            admin.dispose()
        if created:
            migrate(url)
            seed(url, CASES, CONSULTANTS)
    if seeded(url) < entries:
        add_entries(bench_app(url), entries)
    return url


def manager_client(app: Flask) -> FlaskClient:
    """Signed in as a manager through Flask-Login's session keys (the id with the session
    epoch, as ``User.get_id`` gives it)."""
    with app.app_context():
        manager = db.session.scalars(select(User).where(User.email == MANAGER_EMAIL)).one()
        session_id = manager.get_id()
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = session_id
        session["_fresh"] = True
    return client


def timed(client: FlaskClient, url: str) -> tuple[float, bytes]:
    started = time.perf_counter()
    response = client.get(url)
    body = response.get_data()
    elapsed = (time.perf_counter() - started) * 1000
    assert response.status_code == 200, (url, response.status_code)
    return elapsed, body


def measure(client: FlaskClient, label: str, url: str, rounds: int) -> Timing:
    timing = Timing(label)
    timed(client, url)
    for _ in range(rounds):
        elapsed, _ = timed(client, url)
        timing.times_ms.append(elapsed)
        timing.statuses.add(200)
    return timing


def bench_database(kind: str, entries: int, rounds: int) -> list[str]:
    print(f"\n== {kind}")
    url = database(kind, entries)
    app = bench_app(url)
    client = manager_client(app)
    with app.app_context():
        user_id = db.session.scalar(select(User.id).order_by(User.id).limit(1))
        reference = db.session.scalar(select(Case.reference).order_by(Case.id).limit(1))
        middle = db.session.execute(
            select(AuditEntry.at, AuditEntry.id).order_by(AuditEntry.at, AuditEntry.id)
            .offset(entries // 2).limit(1)).one()
    deep = cursors.encode_cursor([middle.at, middle.id])
    urls = [
        ("first page", PAGE),
        ("deep page (cursor at the median entry)", f"{PAGE}?older={deep}"),
        ("newer from the median", f"{PAGE}?newer={deep}"),
        ("one user", f"{PAGE}?user={user_id}"),
        ("one user, deep", f"{PAGE}?user={user_id}&older={deep}"),
        ("the system", f"{PAGE}?user=system"),
        ("one action", f"{PAGE}?action=verified"),
        ("one case", f"{PAGE}?case={reference}"),
        ("one business day", f"{PAGE}?from={middle.at.date()}&to={middle.at.date()}"),
        ("through the API", f"{PAGE}?via=api"),
        ("user + action + month", f"{PAGE}?user={user_id}&action=updated"
                                   f"&from={middle.at.date().replace(day=1)}"),
    ]
    lines = []
    for label, path in urls:
        timing = measure(client, label, path, rounds)
        lines.append(timing.line(PAGE_MEDIAN_MS, PAGE_P95_MS))
        print(lines[-1])

    # Following the Older link page after page from the median.
    steps = Timing(f"{DEEP_STEPS} Older links in a row from the median")
    path: str | None = f"{PAGE}?older={deep}"
    for _ in range(DEEP_STEPS):
        if path is None:
            break
        elapsed, body = timed(client, path)
        steps.times_ms.append(elapsed)
        steps.statuses.add(200)
        path = next_link(body)
    lines.append(steps.line(PAGE_MEDIAN_MS, PAGE_P95_MS))
    print(lines[-1])

    started = time.perf_counter()
    response = client.get("/manage/audit/export.csv")
    size = sum(len(chunk) for chunk in response.response)
    response.close()
    seconds = time.perf_counter() - started
    lines.append(f"  CSV export of the newest 100,000: {seconds:.1f} s, "
                 f"{100_000 / seconds:,.0f} rows/s, {size / 1e6:.1f} MB")
    print(lines[-1])
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--database", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--rounds", type=int, default=10)
    args = parser.parse_args(argv)
    kinds = ["sqlite", "postgresql"] if args.database == "both" else [args.database]
    if (failed := under_postgres(kinds, __file__, argv)) is not None:
        return failed
    report = {kind: bench_database(kind, args.entries, args.rounds) for kind in kinds}
    print("\n== summary")
    for kind, lines in report.items():
        print(f"{kind}:")
        print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
