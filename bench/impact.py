"""The impact preview of a rule set change at 100,000 cases: elapsed time and cases per second.

    .venv/bin/python bench/impact.py [--cases 100000] [--consultants 40]
                                     [--database sqlite|postgresql|both] [--batch 500]

Uses the bench database of ``bench/lists.py`` (seeded once with ``caseapp.bulk.seed_bulk`` and
reused: SQLite under instance/bench/, PostgreSQL on the server ``scripts/with-postgres`` starts,
the script re-running itself under it when CASEAPP_TEST_DATABASE_URL is not set).

The candidate is the rule set in force today with higher deposits (HKD 300,000 single, 500,000
family), held in memory only (the bench database is not changed), taking effect today: every
open case not yet submitted is lodged on or after it, so every one is evaluated twice, the
worst case. Target: 100,000 cases within a few minutes (< 180 s). Prints figures; asserts
nothing; no client data is printed.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from lists import (  # noqa: E402
    bench_app,
    postgres_database,
    sqlite_database,
    under_postgres,
)

from caseapp import clock  # noqa: E402
from caseapp.extensions import db  # noqa: E402
from caseapp.rules import load_rule_set  # noqa: E402
from caseapp.services.checks import configured_rule_set  # noqa: E402
from caseapp.services.impact import preview_impact  # noqa: E402

TARGET_SECONDS = 180.0


def candidate_for_today():
    """The rule set in force today with higher deposits, effective today, in memory."""
    data = configured_rule_set().to_dict()
    data.update(version="bench-impact", title="Bench: higher deposits",
                effective_date=clock.today().isoformat(), deposit_single_hkd="300000",
                deposit_family_hkd="500000", overrides={})
    return load_rule_set(data)


def run(kind: str, args: argparse.Namespace) -> list[str]:
    print(f"\n== {kind}: {args.cases:,} cases, {args.consultants} consultants", flush=True)
    url = (sqlite_database if kind == "sqlite" else postgres_database)(args.cases,
                                                                       args.consultants)
    app = bench_app(url)
    with app.app_context():
        candidate = candidate_for_today()
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        started = time.perf_counter()
        report = preview_impact(candidate, batch_size=args.batch)
        elapsed = time.perf_counter() - started
        rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        db.session.remove()
        db.engine.dispose()
    rate = report.evaluated / elapsed if elapsed else 0.0
    verdict = "PASS" if elapsed < TARGET_SECONDS else "MISS"
    lines = [
        f"  {kind}: {report.considered:,} open cases not yet submitted, {report.evaluated:,} "
        f"evaluated twice, {report.changed:,} would change verdict",
        f"  elapsed {elapsed:.1f} s (< {TARGET_SECONDS:.0f}), {rate:,.0f} cases/s, batch "
        f"{args.batch}, peak RSS growth {(rss_after - rss_before) / 1024:,.0f} MB  {verdict}",
        "  most affected consultants: " + ", ".join(
            f"{count:,}" for _, count in report.consultants[:5]),
    ]
    print("\n".join(lines), flush=True)
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--consultants", type=int, default=40)
    parser.add_argument("--database", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--batch", type=int, default=500)
    args = parser.parse_args(argv)
    kinds = ["sqlite", "postgresql"] if args.database == "both" else [args.database]
    if (failed := under_postgres(kinds, __file__, argv)) is not None:
        return failed
    report = {kind: run(kind, args) for kind in kinds}
    print("\n== summary")
    for lines in report.values():
        print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
