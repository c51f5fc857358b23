"""Check runs per second: the rules package on its own, and end to end through the service.

    .venv/bin/python bench/bench_checks.py [--cases 300] [--database-url URL]

Builds a scratch database (SQLite in a temp dir unless --database-url names an empty
PostgreSQL database), opens varied cases through the services, then times
1. ``evaluate()`` on facts already built (the rules alone),
2. ``run_checks()``: load the case, build facts, evaluate, store the run, commit.
Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from caseapp import create_app  # noqa: E402
from caseapp.demo import demo_applicant, demo_dependants  # noqa: E402
from caseapp.extensions import db  # noqa: E402
from caseapp.models import DepositEvidence, Role  # noqa: E402
from caseapp.rules import evaluate  # noqa: E402
from caseapp.rules.vocab import EvidenceStatus  # noqa: E402
from caseapp.services import cases as case_service  # noqa: E402
from caseapp.services import users as user_service  # noqa: E402
from caseapp.services.checks import (  # noqa: E402
    case_facts,
    configured_rule_set,
    load_case_for_checks,
    run_checks,
)
from tests.dbutil import migrate  # noqa: E402


def build_cases(count: int) -> list[int]:
    rng = random.Random(7)
    consultant = user_service.create_user("bench@example.test", "Bench", Role.CONSULTANT,
                                          "bench-password")
    ids = []
    for i in range(count):
        case = case_service.open_case(consultant, demo_applicant(i, rng))
        for values in demo_dependants(i, rng):
            case_service.add_dependant(consultant, case, values, case.version)
        db.session.add(DepositEvidence(
            case_id=case.id, amount=Decimal(rng.randint(100, 600) * 1000), currency="HKD",
            rate_to_hkd=Decimal(1), amount_hkd=Decimal(rng.randint(100, 600) * 1000),
            statement_date=date.today(), bank="Bench Bank", account_holder="Client",
            status=EvidenceStatus.VERIFIED, recorded_by_id=consultant.id,
        ))
        db.session.commit()
        ids.append(case.id)
    return ids


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=300)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{tmp}/bench.sqlite3"
        migrate(url)
        app = create_app({"CASEAPP_ENV": "testing", "SQLALCHEMY_DATABASE_URI": url})
        with app.app_context():
            started = time.perf_counter()
            ids = build_cases(args.cases)
            print(f"database: {db.engine.dialect.name}; built {len(ids)} cases in "
                  f"{time.perf_counter() - started:.1f} s")

            rule_set = configured_rule_set()
            facts = [case_facts(load_case_for_checks(i), date.today()) for i in ids]
            rounds = max(1, 20_000 // len(facts))
            started = time.perf_counter()
            for _ in range(rounds):
                for item in facts:
                    evaluate(item, rule_set)
            elapsed = time.perf_counter() - started
            print(f"rules only:   {rounds * len(facts) / elapsed:10.0f} evaluations/s "
                  f"({rounds * len(facts)} in {elapsed:.2f} s)")

            db.session.expunge_all()
            started = time.perf_counter()
            for case_id in ids:
                run_checks(None, load_case_for_checks(case_id))
            elapsed = time.perf_counter() - started
            print(f"end to end:   {len(ids) / elapsed:10.0f} check runs/s "
                  f"({len(ids)} stored runs in {elapsed:.2f} s)")
            db.session.remove()
            db.engine.dispose()


if __name__ == "__main__":
    main()
