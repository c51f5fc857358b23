"""How many QMAS rule checks per second the rules package does (rules only, no database).

    python bench/bench_rules.py [--cases 400] [--seconds 2] [--seed 2026]

Builds a few hundred varied cases (complete and half-filled applicants, families with children
near 18, deposits in several currencies, some stale or pending) and calls ``evaluate()`` on them
round-robin for a fixed time. Prints figures; asserts nothing about timing.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from collections import Counter
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from caseapp.rules import (
    ApplicantFacts,
    CaseFacts,
    DependantFacts,
    DepositFacts,
    default_rule_set,
    evaluate,
)
from caseapp.rules.vocab import (
    Answer,
    EvidenceStatus,
    MaritalStatus,
    Qualification,
    Relationship,
)

CHECK = date(2026, 3, 2)
RATES = {
    "HKD": Decimal("1"),
    "USD": Decimal("7.8123"),
    "GBP": Decimal("9.8765"),
    "CNY": Decimal("1.0842"),
}


DEGREES = [Qualification.BACHELOR, Qualification.MASTER, Qualification.DOCTORATE]


def _answer(rng: random.Random, unknown: float = 0.15, yes: float = 0.6) -> Answer:
    if rng.random() < unknown:
        return Answer.UNKNOWN
    return Answer.YES if rng.random() < yes else Answer.NO


def _maybe(rng: random.Random, value: object, missing: float = 0.1) -> object:
    return None if rng.random() < missing else value


def _applicant(rng: random.Random) -> ApplicantFacts:
    years = rng.randint(0, 20)
    return ApplicantFacts(
        date_of_birth=_maybe(rng, CHECK - timedelta(days=rng.randint(16 * 365, 60 * 365))),
        nationality=_maybe(rng, rng.choice(["GBR", "CHN", "IND", "USA", "VNM", "AUS", "MYS"])),
        passport_expiry=_maybe(rng, CHECK + timedelta(days=rng.randint(-30, 3000))),
        criminal_record=_answer(rng, 0.1, yes=0.1),
        adverse_immigration_record=Answer.NO if rng.random() < 0.8 else _answer(rng),
        english_written=_answer(rng, yes=0.85),
        english_spoken=_answer(rng, yes=0.85),
        chinese_written=_answer(rng),
        putonghua_spoken=_answer(rng),
        cantonese_spoken=_answer(rng),
        other_foreign_language=_answer(rng),
        highest_qualification=_maybe(rng, rng.choice(DEGREES * 3 + list(Qualification))),
        qualification_recognised=_answer(rng, yes=0.9),
        doctorate_count=_maybe(rng, rng.choice([0, 0, 0, 1, 2])),
        master_count=_maybe(rng, rng.choice([0, 0, 1, 2])),
        bachelor_count=_maybe(rng, rng.choice([0, 1, 1, 2])),
        professional_qualification=rng.random() < 0.2,
        graduate_work_years=_maybe(rng, years),
        senior_work_years=_maybe(rng, rng.randint(0, years)),
        hk_permanent_resident_family=_answer(rng, 0.3),
        achievement_claim=_answer(rng, 0.3) if rng.random() < 0.2 else Answer.NO,
        achievement_description=rng.choice(["", "", "International award, 2021"]),
    )


def _dependants(rng: random.Random) -> tuple[DependantFacts, ...]:
    family = []
    if rng.random() < 0.6:
        family.append(
            DependantFacts(
                id="s",
                name="Spouse",
                relationship=Relationship.SPOUSE,
                marital_status=MaritalStatus.MARRIED,
                spouse_has_degree=_answer(rng),
            )
        )
    for n in range(rng.choice([0, 0, 1, 2, 3])):
        born = CHECK - timedelta(days=rng.randint(200, 19 * 365))
        family.append(
            DependantFacts(
                id=f"c{n}",
                name=f"Child {n}",
                relationship=Relationship.CHILD,
                date_of_birth=_maybe(rng, born, 0.05),
                marital_status=_maybe(rng, MaritalStatus.SINGLE, 0.05),
            )
        )
    if rng.random() < 0.1:
        family.append(DependantFacts(id="p", name="Parent", relationship=Relationship.PARENT))
    return tuple(family)


def _deposits(rng: random.Random) -> tuple[DepositFacts, ...]:
    items = []
    for n in range(rng.randint(0, 5)):
        currency = rng.choice(list(RATES))
        items.append(
            DepositFacts(
                id=n,
                amount=Decimal(rng.randint(1_000_00, 40_000_000)) / 100,
                currency=currency,
                rate_to_hkd=RATES[currency],
                statement_date=CHECK - timedelta(days=rng.randint(-3, 150)),
                status=rng.choice(
                    [EvidenceStatus.VERIFIED] * 4
                    + [EvidenceStatus.PENDING, EvidenceStatus.REJECTED]
                ),
                bank=rng.choice(["HSBC", "BOC", "Barclays", ""]),
            )
        )
    return tuple(items)


def build_cases(count: int, seed: int) -> list[CaseFacts]:
    rng = random.Random(seed)
    return [
        CaseFacts(
            applicant=_applicant(rng),
            dependants=_dependants(rng),
            deposits=_deposits(rng),
            check_date=CHECK,
            planned_submission_date=_maybe(rng, CHECK + timedelta(days=rng.randint(0, 200)), 0.4),
        )
        for _ in range(count)
    ]


def measure(cases: list[CaseFacts], seconds: float) -> tuple[int, float, list[float]]:
    """Evaluate round-robin until ``seconds`` pass; also time each case once for percentiles."""
    rules = default_rule_set()
    singles = []
    for facts in cases:
        start = time.perf_counter()
        evaluate(facts, rules)
        singles.append(time.perf_counter() - start)
    calls = 0
    start = time.perf_counter()
    deadline = start + seconds
    while time.perf_counter() < deadline:
        for facts in cases:
            evaluate(facts, rules)
        calls += len(cases)
    return calls, time.perf_counter() - start, singles


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=400)
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()

    cases = build_cases(args.cases, args.seed)
    results = [evaluate(facts) for facts in cases]
    verdicts = Counter(result.verdict.value for result in results)
    stored = statistics.mean(len(json.dumps(result.to_dict())) for result in results)

    calls, elapsed, singles = measure(cases, args.seconds)
    singles_ms = sorted(s * 1000 for s in singles)
    mix = ", ".join(f"{verdict} {count}" for verdict, count in sorted(verdicts.items()))
    print(f"cases built:            {len(cases)} ({mix})")
    print(f"evaluate() calls:       {calls} in {elapsed:.2f} s")
    print(f"evaluate() per second:  {calls / elapsed:,.0f}")
    print(
        f"latency per call (ms):  median {statistics.median(singles_ms):.3f}, "
        f"p95 {singles_ms[int(len(singles_ms) * 0.95) - 1]:.3f}, max {singles_ms[-1]:.3f}"
    )
    print(f"stored result size:     {stored:,.0f} bytes of JSON on average")


if __name__ == "__main__":
    main()
