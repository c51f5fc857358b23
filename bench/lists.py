"""The managers' case lists at 100,000 cases: server times, exports and a load run.

    .venv/bin/python bench/lists.py [--cases 100000] [--consultants 40]
                                    [--database sqlite|postgresql|both] [--rounds 20]

Seeds (``caseapp.bulk.seed_bulk``) or reuses a database per backend, migrated to head:
SQLite under instance/bench/ (kept and reused while complete); PostgreSQL in a database of
its own on the server ``scripts/with-postgres`` starts (the script re-runs itself under it
when CASEAPP_TEST_DATABASE_URL is not set; a server of your own named there is reused).
For each database it prints, next to the targets, with PASS or MISS:

* the server time of each list URL (the WSGI call through ``app.test_client()``, signed in
  as a manager): median and p95 over --rounds requests, after one untimed warm-up;
* a deep cursor page: the list's "next" link followed 200 times, each step timed;
* the CSV and XLSX exports of every case: rows per second, and peak memory growth while the
  response is produced and read chunk by chunk: the Python heap by tracemalloc (in a second,
  traced pass; this is the figure held to the target) and the process's RSS, sampled every
  5 ms during the timed pass;
* a load run: gunicorn with 2 workers, signed in once through the login form, 16 client
  threads for 20 s on a mix of list URLs; requests per second, p95 latency, errors.

Prints figures; asserts nothing. No client data is printed.
"""

from __future__ import annotations

import argparse
import gc
import html
import http.client
import math
import os
import re
import resource
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from flask import Flask  # noqa: E402
from flask.testing import FlaskClient  # noqa: E402
from sqlalchemy import create_engine, func, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from caseapp import create_app  # noqa: E402
from caseapp.bulk import BULK_EMAIL_DOMAIN, BULK_PASSWORD, seed_bulk  # noqa: E402
from caseapp.extensions import db  # noqa: E402
from caseapp.models import Case, Role, User  # noqa: E402
from tests.dbutil import migrate  # noqa: E402

BENCH_DIR = ROOT / "instance" / "bench"
PG_ENV = "CASEAPP_TEST_DATABASE_URL"
RE_EXEC_MARK = "CASEAPP_BENCH_UNDER_POSTGRES"
MANAGER_EMAIL = f"manager1@{BULK_EMAIL_DOMAIN}"
DEEP_PAGES = 200
LOAD_THREADS = 16
LOAD_SECONDS = 20.0

# Targets: (median ms, p95 ms) for list routes; the dashboard has its own median.
LIST_MEDIAN_MS, LIST_P95_MS = 30.0, 60.0
DASHBOARD_MEDIAN_MS = 50.0
CSV_ROWS_PER_S, XLSX_ROWS_PER_S, EXPORT_MEMORY_MB = 50_000, 10_000, 50.0
LOAD_RPS, LOAD_P95_MS = 100.0, 300.0

SORTS = ("reference", "name", "status", "consultant", "opened", "updated", "planned", "verdict")
NEXT_LINK = re.compile(r"<a\b[^>]*\brel=\"next\"[^>]*>")
HREF = re.compile(r"\bhref=\"([^\"]+)\"")
CSRF_INPUT = re.compile(r"<input\b[^>]*\bname=\"csrf_token\"[^>]*>")
VALUE = re.compile(r"\bvalue=\"([^\"]*)\"")


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile (p95 of 20 values is the 19th smallest)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


# ---- the databases ---------------------------------------------------------------------------

def bench_app(url: str) -> Flask:
    # Development settings (the config a small office would run), on the bench database.
    return create_app({"CASEAPP_ENV": "development", "SQLALCHEMY_DATABASE_URI": url})


def is_complete(url: str, cases: int, consultants: int) -> bool:
    """Seeded to the end: every case and every bulk user is there."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            found = conn.scalar(select(func.count()).select_from(Case.__table__))
            staff = conn.scalar(select(func.count()).select_from(User.__table__).where(
                User.__table__.c.email.like(f"%@{BULK_EMAIL_DOMAIN}")))
    except Exception:
        return False
    finally:
        engine.dispose()
    return found == cases and staff == consultants + 3


def seed(url: str, cases: int, consultants: int) -> None:
    app = bench_app(url)
    with app.app_context():
        started = time.perf_counter()
        done = 0
        step = max(1, cases // 10)

        def progress(count: int) -> None:
            nonlocal done
            before, done = done, done + count
            if done // step != before // step or done == cases:
                print(f"    {done:>9,} cases  {time.perf_counter() - started:6.1f} s",
                      flush=True)

        counts = seed_bulk(cases, consultants, progress=progress)
        elapsed = time.perf_counter() - started
        db.session.remove()
        db.engine.dispose()
    rows = ", ".join(f"{name} {count:,}" for name, count in counts.items())
    print(f"  seeded in {elapsed:.1f} s: {rows}")


def sqlite_database(cases: int, consultants: int) -> str:
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    path = BENCH_DIR / f"lists-{cases}-{consultants}.sqlite3"
    url = f"sqlite:///{path}"
    if path.exists():
        migrate(url)
        if is_complete(url, cases, consultants):
            print(f"  reusing {path.relative_to(ROOT)} "
                  f"({path.stat().st_size / 1e6:,.0f} MB)")
            return url
        print(f"  {path.relative_to(ROOT)} is incomplete: seeding it again")
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    migrate(url)
    seed(url, cases, consultants)
    print(f"  {path.relative_to(ROOT)}: {path.stat().st_size / 1e6:,.0f} MB")
    return url


def postgres_database(cases: int, consultants: int) -> str:
    base = make_url(os.environ[PG_ENV])
    name = f"caseapp_bench_{cases}_{consultants}"
    url = base.set(database=name).render_as_string(hide_password=False)
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            exists = conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"),
                                 {"n": name})
            if exists:
                migrate(url)
                if is_complete(url, cases, consultants):
                    print(f"  reusing database {name}")
                    return url
                print(f"  database {name} is incomplete: seeding it again")
                conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}" ENCODING \'UTF8\' TEMPLATE template0'))
    finally:
        admin.dispose()
    migrate(url)
    seed(url, cases, consultants)
    engine = create_engine(url)
    with engine.connect() as conn:
        size = conn.scalar(text("SELECT pg_database_size(current_database())"))
    engine.dispose()
    print(f"  database {name}: {size / 1e6:,.0f} MB")
    return url


# ---- server times through the test client ----------------------------------------------------

@dataclass
class Timing:
    label: str
    times_ms: list[float] = field(default_factory=list)
    statuses: set[int] = field(default_factory=set)

    @property
    def ok(self) -> bool:
        return self.statuses == {200} and bool(self.times_ms)

    def line(self, median_target: float, p95_target: float | None) -> str:
        if not self.ok:
            codes = ",".join(str(s) for s in sorted(self.statuses))
            return f"  {self.label:<44} status {codes}: not measured{'':>16} MISS"
        median = statistics.median(self.times_ms)
        p95 = percentile(self.times_ms, 0.95)
        passed = median < median_target and (p95_target is None or p95 < p95_target)
        target = f"< {median_target:.0f}" + (f" / < {p95_target:.0f}" if p95_target else "")
        return (f"  {self.label:<44} {median:8.1f} {p95:8.1f}   {target:<13} "
                f"{verdict(passed)}")


def manager_client(app: Flask) -> FlaskClient:
    """Signed in as a manager through Flask-Login's session keys, as tests/conftest.py does."""
    with app.app_context():
        manager = db.session.scalars(select(User).where(User.email == MANAGER_EMAIL)).one()
        session_id = manager.get_id()  # "<id>:<session epoch>"
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = session_id
        session["_fresh"] = True
    return client


def timed_get(client: FlaskClient, url: str) -> tuple[float, int, bytes]:
    started = time.perf_counter()
    response = client.get(url, buffered=True)
    elapsed = (time.perf_counter() - started) * 1000
    return elapsed, response.status_code, response.get_data()


def measure(client: FlaskClient, label: str, url: str, rounds: int) -> Timing:
    timing = Timing(label)
    _, status, _ = timed_get(client, url)  # warm-up: templates, caches, pages of the file
    timing.statuses.add(status)
    if status != 200:
        return timing
    for _ in range(rounds):
        elapsed, status, _ = timed_get(client, url)
        timing.statuses.add(status)
        timing.times_ms.append(elapsed)
    return timing


def next_link(body: bytes) -> str | None:
    tag = NEXT_LINK.search(body.decode("utf-8", "replace"))
    if tag is None:
        return None
    href = HREF.search(tag.group(0))
    return html.unescape(href.group(1)) if href else None


def deep_pages(client: FlaskClient, pages: int) -> tuple[Timing, str | None]:
    """Follow "next" from the first page; time every step. Returns the deepest URL too."""
    timing = Timing(f"deep cursor pages (next x{pages})")
    _, status, body = timed_get(client, "/")
    timing.statuses.add(status)
    url = next_link(body) if status == 200 else None
    deepest = None
    for _ in range(pages):
        if url is None:
            break
        elapsed, status, body = timed_get(client, url)
        timing.statuses.add(status)
        if status != 200:
            break
        timing.times_ms.append(elapsed)
        deepest, url = url, next_link(body)
    timing.label = f"deep cursor pages ({len(timing.times_ms)} x next)"
    return timing, deepest


def list_urls(app: Flask) -> list[tuple[str, str]]:
    with app.app_context():
        consultant = db.session.scalar(select(User.id).where(User.role == Role.CONSULTANT)
                                       .order_by(User.id))
        year = db.session.scalar(select(func.min(Case.reference)))[3:7]
    urls = [("first page /", "/"), ("last page /?last=1", "/?last=1")]
    for name in SORTS:
        urls += [(f"sort {name}", f"/?sort={name}"), (f"sort -{name}", f"/?sort=-{name}")]
    urls += [
        ("search chan", "/?q=chan"),
        ("search muller", "/?q=muller"),
        ("search 陳", "/?" + urlencode({"q": "陳"})),
        (f"reference prefix QM-{year}-0001", f"/?q=QM-{year}-0001"),
        ("consultant filter", f"/?consultant={consultant}"),
        ("status + stale 30", "/?status=collecting_documents&status=intake&stale=30"),
        ("verdict eligible", "/?verdict=eligible"),
        ("needs attention", "/?attention=1"),
    ]
    return urls


# ---- exports ---------------------------------------------------------------------------------

@dataclass
class ExportFigures:
    label: str
    status: int
    rows: int = 0
    size: int = 0
    seconds: float = 0.0
    traced_peak_mb: float = 0.0
    rss_growth_mb: float = 0.0


def rss_mb() -> float:
    """The process's resident set now (Linux), else its high-water mark."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@contextmanager
def rss_growth() -> Iterator[list[float]]:
    """Samples the RSS every 5 ms meanwhile; yields [peak growth in MB], filled on exit."""
    base = rss_mb()
    peak = [base]
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.005):
            peak[0] = max(peak[0], rss_mb())

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    growth = [0.0]
    try:
        yield growth
    finally:
        done.set()
        sampler.join()
        growth[0] = max(peak[0], rss_mb()) - base


def read_export(client: FlaskClient, url: str) -> tuple[int, int, int]:
    """Status, bytes, newlines: the streamed response consumed chunk by chunk."""
    response = client.get(url, buffered=False)
    size = lines = 0
    try:
        if response.status_code == 200:
            for chunk in response.response:
                size += len(chunk)
                lines += chunk.count(b"\n")
    finally:
        response.close()
    return response.status_code, size, lines


def measure_export(client: FlaskClient, label: str, url: str, case_count: int) -> ExportFigures:
    gc.collect()
    with rss_growth() as rss:
        started = time.perf_counter()
        status, size, lines = read_export(client, url)
        seconds = time.perf_counter() - started
    figures = ExportFigures(label, status, size=size, seconds=seconds, rss_growth_mb=rss[0])
    if status != 200:
        return figures
    # CSV: one line per case after the header; the XLSX export holds every case too.
    figures.rows = lines - 1 if url.endswith(".csv") else case_count
    gc.collect()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        read_export(client, url)
        figures.traced_peak_mb = (tracemalloc.get_traced_memory()[1] - base) / 1e6
    finally:
        tracemalloc.stop()
    return figures


def export_line(figures: ExportFigures, rows_target: float) -> str:
    if figures.status != 200:
        return f"  {figures.label:<12} status {figures.status}: not measured  MISS"
    rate = figures.rows / figures.seconds if figures.seconds else 0.0
    passed = rate >= rows_target and figures.traced_peak_mb < EXPORT_MEMORY_MB
    return (f"  {figures.label:<12} {figures.rows:>8,} rows {figures.size / 1e6:6.1f} MB in "
            f"{figures.seconds:5.1f} s = {rate:>8,.0f} rows/s (>= {rows_target:,.0f}); "
            f"peak heap +{figures.traced_peak_mb:.1f} MB (tracemalloc, < "
            f"{EXPORT_MEMORY_MB:.0f}), peak RSS +{figures.rss_growth_mb:.1f} MB  "
            f"{verdict(passed)}")


# ---- the load run ----------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def gunicorn(url: str) -> Iterator[int]:
    """gunicorn -w 2 on a free port of 127.0.0.1, on the bench database; always stopped."""
    port = free_port()
    env = {**os.environ, "CASEAPP_DATABASE_URL": url, "CASEAPP_ENV": "development",
           "CASEAPP_SECRET_KEY": secrets.token_urlsafe(48)}
    env.pop(PG_ENV, None)
    log = open(BENCH_DIR / "gunicorn.log", "wb")  # noqa: SIM115  (closed below)
    server = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "gunicorn"), "-w", "2", "-b", f"127.0.0.1:{port}",
         "--timeout", "60", "wsgi:app"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 30
        while True:
            if server.poll() is not None:
                raise RuntimeError(f"gunicorn exited ({server.returncode}); see "
                                   f"{(BENCH_DIR / 'gunicorn.log').relative_to(ROOT)}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                conn.request("GET", "/login")
                if conn.getresponse().status == 200:
                    conn.close()
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("gunicorn did not answer within 30 s")
            time.sleep(0.2)
        yield port
    finally:
        stop(server)
        log.close()


def stop(server: subprocess.Popen[bytes]) -> None:
    """TERM the gunicorn master we started (it stops its workers), KILL its group if need be."""
    if server.poll() is None:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)  # its own session: only what we started
            server.wait(timeout=5)


def cookie_from(response: http.client.HTTPResponse, name: str) -> str | None:
    for header, value in response.getheaders():
        if header.lower() == "set-cookie" and value.startswith(f"{name}="):
            return value.split(";", 1)[0]
    return None


def login(port: int) -> str:
    """Sign in through the real form: the csrf token from GET /login, then POST."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", "/login")
    page = conn.getresponse()
    body = page.read().decode("utf-8", "replace")
    cookie = cookie_from(page, "session")
    tag = CSRF_INPUT.search(body)
    token = VALUE.search(tag.group(0)).group(1) if tag else ""  # type: ignore[union-attr]
    form = urlencode({"csrf_token": html.unescape(token), "email": MANAGER_EMAIL,
                      "password": BULK_PASSWORD})
    conn.request("POST", "/login", body=form, headers={
        "Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie or ""})
    answer = conn.getresponse()
    answer.read()
    signed_in = cookie_from(answer, "session")
    conn.close()
    if answer.status != 302 or signed_in is None:
        raise RuntimeError(f"login failed: HTTP {answer.status}")
    return signed_in


@dataclass
class LoadFigures:
    requests: int
    errors: int
    seconds: float
    latencies_ms: list[float]
    statuses: dict[int, int]


def load_run(port: int, cookie: str, urls: list[str]) -> LoadFigures:
    lock = threading.Lock()
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    errors = 0
    started = time.monotonic()
    deadline = started + LOAD_SECONDS

    def client(offset: int) -> None:
        nonlocal errors
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        i = offset
        while time.monotonic() < deadline:
            url = urls[i % len(urls)]
            i += 1
            began = time.perf_counter()
            try:
                conn.request("GET", url, headers={"Cookie": cookie})
                response = conn.getresponse()
                response.read()
                status = response.status
            except (OSError, http.client.HTTPException):
                status = 0
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            elapsed = (time.perf_counter() - began) * 1000
            with lock:
                latencies.append(elapsed)
                statuses[status] = statuses.get(status, 0) + 1
                errors += status != 200
        conn.close()

    threads = [threading.Thread(target=client, args=(n,)) for n in range(LOAD_THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return LoadFigures(len(latencies), errors, time.monotonic() - started, latencies, statuses)


# ---- one database ----------------------------------------------------------------------------

def run_lists(app: Flask, rounds: int) -> tuple[list[str], str | None]:
    client = manager_client(app)
    lines = [f"  {'list route (server time, ms)':<44} {'median':>8} {'p95':>8}   target"]
    for label, url in list_urls(app):
        lines.append(measure(client, label, url, rounds).line(LIST_MEDIAN_MS, LIST_P95_MS))
        print(lines[-1], flush=True)
    deep, deepest = deep_pages(client, DEEP_PAGES)
    lines.append(deep.line(LIST_MEDIAN_MS, LIST_P95_MS))
    print(lines[-1], flush=True)
    dashboard = measure(client, "dashboard /manage/", "/manage/", rounds)
    lines.append(dashboard.line(DASHBOARD_MEDIAN_MS, None))
    print(lines[-1], flush=True)
    return lines, deepest


def run_exports(app: Flask) -> list[str]:
    client = manager_client(app)
    with app.app_context():
        case_count = db.session.scalar(select(func.count(Case.id))) or 0
    lines = []
    for label, url, target in (("CSV", "/manage/export.csv", CSV_ROWS_PER_S),
                               ("XLSX", "/manage/export.xlsx", XLSX_ROWS_PER_S)):
        lines.append(export_line(measure_export(client, label, url, case_count), target))
        print(lines[-1], flush=True)
    return lines


def run_load(url: str, deepest: str | None) -> list[str]:
    mix = ["/", "/?sort=-updated", "/?sort=name", "/?q=chan", "/?" + urlencode({"q": "陳"}),
           "/?status=collecting_documents&status=intake&stale=30", "/?verdict=eligible",
           "/?attention=1", "/?sort=consultant", "/?last=1"]
    if deepest:
        mix.append(deepest)
    try:
        with gunicorn(url) as port:
            figures = load_run(port, login(port), mix)
    except RuntimeError as error:
        return [f"  load run: {error}  MISS"]
    rate = figures.requests / figures.seconds
    p95 = percentile(figures.latencies_ms, 0.95) if figures.latencies_ms else float("nan")
    passed = rate >= LOAD_RPS and p95 < LOAD_P95_MS and figures.errors == 0
    codes = ", ".join(f"{code or 'failed'}: {n}" for code, n in sorted(figures.statuses.items()))
    return [f"  load: {LOAD_THREADS} threads x {LOAD_SECONDS:.0f} s on gunicorn -w 2: "
            f"{figures.requests:,} requests, {rate:.0f} req/s (>= {LOAD_RPS:.0f}), p95 "
            f"{p95:.0f} ms (< {LOAD_P95_MS:.0f}), errors {figures.errors} (0) [{codes}]  "
            f"{verdict(passed)}"]


def bench_database(kind: str, args: argparse.Namespace) -> list[str]:
    print(f"\n== {kind}: {args.cases:,} cases, {args.consultants} consultants", flush=True)
    make: Callable[[int, int], str] = (sqlite_database if kind == "sqlite"
                                       else postgres_database)
    url = make(args.cases, args.consultants)
    app = bench_app(url)
    lines, deepest = run_lists(app, args.rounds)
    lines += run_exports(app)
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    lines += run_load(url, deepest)
    print(lines[-1], flush=True)
    return lines


def under_postgres(kinds: list[str], script: str, argv: list[str] | None) -> int | None:
    """When PostgreSQL is wanted and not there, run ``script`` again under a throwaway
    PostgreSQL server (scripts/with-postgres, removed afterwards); never returns then.
    Returns 1 when even that gave no database, None when the bench may go on."""
    if "postgresql" not in kinds or os.environ.get(PG_ENV):
        return None
    if os.environ.get(RE_EXEC_MARK):
        print(f"scripts/with-postgres did not set {PG_ENV}", file=sys.stderr)
        return 1
    os.environ[RE_EXEC_MARK] = "1"
    command = [str(ROOT / "scripts" / "with-postgres"), sys.executable, script,
               *(argv if argv is not None else sys.argv[1:])]
    os.execv(command[0], command)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--consultants", type=int, default=40)
    parser.add_argument("--database", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args(argv)
    kinds = ["sqlite", "postgresql"] if args.database == "both" else [args.database]
    if (failed := under_postgres(kinds, __file__, argv)) is not None:
        return failed
    report: dict[str, list[str]] = {}
    for kind in kinds:
        report[kind] = bench_database(kind, args)
    print("\n== summary")
    for kind, lines in report.items():
        print(f"{kind}:")
        print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
