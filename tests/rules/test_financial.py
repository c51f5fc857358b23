"""P2 Financial capability: thresholds, verified and fresh evidence, conversion, and timing."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction
from itertools import pairwise
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from caseapp.rules import DependantFacts, evaluate
from caseapp.rules.ages import add_months
from caseapp.rules.outcome import Outcome, RuleOutcome
from caseapp.rules.vocab import EvidenceStatus, Relationship

from .builders import CHECK, case, child, deposit, spouse

PASS, FAIL, MISSING = Outcome.PASS, Outcome.FAIL, Outcome.MISSING
PENDING, REJECTED = EvidenceStatus.PENDING, EvidenceStatus.REJECTED
FRESH_FROM = date(2025, 12, 2)  # CHECK (2026-03-02) minus 3 months
PARENT = DependantFacts(id="p", name="Pat", relationship=Relationship.PARENT)


def p2(**changes: Any) -> RuleOutcome:
    return evaluate(case(**changes)).prerequisite("P2")


@pytest.mark.parametrize(
    ("deposits", "dependants", "expected", "shortfall"),
    [
        pytest.param([deposit("300000")], [], PASS, "0", id="single-above"),
        pytest.param([deposit("250000")], [], PASS, "0", id="single-exactly-250k"),
        pytest.param([deposit("249999.99")], [], FAIL, "0.01", id="single-a-cent-short"),
        pytest.param(
            [deposit("150000", id=1), deposit("100000", id=2)], [], PASS, "0", id="two-statements"
        ),
        pytest.param(
            [deposit("32051.28", currency="USD", rate="7.8")], [], FAIL, "0.02", id="usd-short"
        ),
        pytest.param(
            [deposit("32051.29", currency="USD", rate="7.8")], [], PASS, "0", id="usd-enough"
        ),
        pytest.param([deposit("300000")], [spouse()], FAIL, "150000", id="family-short"),
        pytest.param([deposit("450000")], [spouse()], PASS, "0", id="family-exactly-450k"),
        pytest.param([deposit("449999.99")], [child()], FAIL, "0.01", id="family-a-cent-short"),
        pytest.param([deposit("300000")], [PARENT], PASS, "0", id="ineligible-parent-is-single"),
        pytest.param([deposit("300000")], [child(born=None)], MISSING, "150000", id="undecided"),
        pytest.param([deposit("200000")], [child(born=None)], FAIL, "50000", id="undecided-short"),
        pytest.param([deposit("460000")], [child(born=None)], PASS, "0", id="undecided-enough"),
        pytest.param([deposit("300000", status=PENDING)], [], MISSING, "250000", id="pending"),
        pytest.param([deposit("300000", status=REJECTED)], [], MISSING, "250000", id="rejected"),
        pytest.param([], [], MISSING, "250000", id="no-evidence"),
        pytest.param(
            [deposit("300000", statement_date=FRESH_FROM)], [], PASS, "0", id="first-fresh-day"
        ),
        pytest.param(
            [deposit("300000", statement_date=FRESH_FROM - timedelta(days=1))],
            [],
            MISSING,
            "250000",
            id="one-day-stale",
        ),
        pytest.param([deposit("300000", statement_date=CHECK)], [], PASS, "0", id="dated-today"),
        pytest.param(
            [deposit("300000", statement_date=CHECK + timedelta(days=1))],
            [],
            MISSING,
            "250000",
            id="dated-after-check",
        ),
    ],
)
def test_p2_financial(
    deposits: list[Any], dependants: list[Any], expected: Outcome, shortfall: str
) -> None:
    outcome = p2(deposits=tuple(deposits), dependants=tuple(dependants))
    assert outcome.outcome is expected
    assert Decimal(outcome.data["shortfall_hkd"]) == Decimal(shortfall)
    if expected is FAIL:
        assert f"HKD {Decimal(shortfall):,.2f}" in outcome.reason
    if expected is not PASS:
        assert outcome.actions


def test_p2_data_lists_counted_and_excluded_evidence_with_why() -> None:
    outcome = p2(
        deposits=(
            deposit("100000", id="ok"),
            deposit("100000", id="wait", status=PENDING),
            deposit("100000", id="no", status=REJECTED),
            deposit("100000", id="old", statement_date=date(2025, 11, 1)),
            deposit("100000", id="typo", statement_date=date(2027, 1, 1)),
        )
    )
    assert outcome.data["counted_ids"] == ["ok"]
    assert {item["id"]: item["why"] for item in outcome.data["excluded"]} == {
        "wait": "pending",
        "no": "rejected",
        "old": "stale",
        "typo": "future",
    }
    assert outcome.data["total_hkd"] == "100000.00"
    assert outcome.data["threshold_hkd"] == "250000"
    assert outcome.data["family_application"] is False


@pytest.mark.parametrize(
    ("deposits", "phrase"),
    [
        pytest.param(
            [deposit("300000", id=1, status=PENDING), deposit("1", id=2, status=PENDING)],
            "Verify the 2 pending statements",
            id="verify-pending",
        ),
        pytest.param(
            [deposit("300000", bank="HSBC", statement_date=date(2025, 11, 20))],
            "Obtain a fresh statement to replace #1 (HSBC",
            id="replace-stale",
        ),
        pytest.param(
            [deposit("300000", status=REJECTED)], "Replace the rejected statement", id="rejected"
        ),
        pytest.param([], "Collect bank statements dated 2025-12-02 or later", id="nothing-yet"),
        pytest.param(
            [deposit("100000", status=PENDING)],
            "at least HKD 150,000.00 beyond the pending ones",
            id="pending-not-enough",
        ),
    ],
)
def test_p2_missing_says_what_to_collect(deposits: list[Any], phrase: str) -> None:
    outcome = p2(deposits=tuple(deposits))
    assert outcome.outcome is MISSING
    assert any(phrase in action for action in outcome.actions), outcome.actions


def test_p2_missing_with_undecided_dependants_gives_both_amounts() -> None:
    outcome = p2(deposits=(), dependants=(child(born=None),))
    assert outcome.outcome is MISSING
    assert any("HKD 250,000.00 (single), or HKD 450,000.00 (family" in a for a in outcome.actions)


def test_p2_fail_says_pending_evidence_would_cover_the_shortfall() -> None:
    outcome = p2(deposits=(deposit("200000", id=1), deposit("60000", id=2, status=PENDING)))
    assert outcome.outcome is FAIL
    assert any("would cover the shortfall" in action for action in outcome.actions)


def test_p2_fail_asks_for_the_rest_beyond_pending_evidence() -> None:
    outcome = p2(deposits=(deposit("200000", id=1), deposit("10000", id=2, status=PENDING)))
    assert any("at least HKD 40,000.00" in action for action in outcome.actions)


def test_p2_warns_when_evidence_goes_stale_before_the_planned_submission() -> None:
    outcome = p2(
        deposits=(
            deposit("200000", id="old", statement_date=date(2026, 1, 10)),
            deposit("100000", id="new", statement_date=date(2026, 2, 25)),
        ),
        planned_submission_date=date(2026, 4, 20),
    )
    assert outcome.outcome is PASS
    stale = [w for w in outcome.warnings if "#old" in w]
    assert stale and "stops counting on 2026-04-11" in stale[0]
    assert not any("#new" in w for w in outcome.warnings)
    assert any(
        "short of the HKD 250,000.00 required by HKD 150,000.00" in w for w in outcome.warnings
    )
    assert any("dated 2026-01-20 or later to replace #old" in a for a in outcome.actions)


def test_p2_says_when_the_remaining_evidence_still_suffices() -> None:
    outcome = p2(
        deposits=(
            deposit("200000", id="old", statement_date=date(2026, 1, 10)),
            deposit("300000", id="new", statement_date=date(2026, 2, 25)),
        ),
        planned_submission_date=date(2026, 4, 20),
    )
    assert any("still meets the HKD 250,000.00" in w for w in outcome.warnings)


def test_p2_no_staleness_warning_without_a_planned_date() -> None:
    outcome = p2(deposits=(deposit("300000", statement_date=date(2025, 12, 5)),))
    assert outcome.outcome is PASS
    assert outcome.warnings == ()


# --- properties -----------------------------------------------------------------------------

cents = st.integers(min_value=0, max_value=10**9).map(lambda c: Decimal(c) / 100)


@st.composite
def split(draw: st.DrawFn, total: Decimal) -> list[Decimal]:
    """``total`` as a list of non-negative cent amounts that add up to it exactly."""
    count = draw(st.integers(min_value=1, max_value=5))
    cuts = sorted(
        draw(st.lists(st.integers(0, int(total * 100)), min_size=count - 1, max_size=count - 1))
    )
    edges = [0, *cuts, int(total * 100)]
    return [Decimal(b - a) / 100 for a, b in pairwise(edges)]


@pytest.mark.parametrize(
    ("dependants", "threshold"),
    [
        pytest.param((), Decimal(250000), id="single"),
        pytest.param((spouse(),), Decimal(450000), id="family"),
    ],
)
@given(data=st.data())
@settings(max_examples=40)
def test_exact_threshold_passes_and_a_cent_less_fails(
    dependants: tuple[Any, ...], threshold: Decimal, data: st.DataObject
) -> None:
    for target, expected in ((threshold, PASS), (threshold - Decimal("0.01"), FAIL)):
        parts = data.draw(split(target))
        deposits = tuple(deposit(str(amount), id=i) for i, amount in enumerate(parts))
        outcome = p2(deposits=deposits, dependants=dependants)
        assert outcome.outcome is expected
        assert Decimal(outcome.data["total_hkd"]) == target


def _half_up(value: Fraction) -> Fraction:
    whole, rest = divmod(value * 100, 1)
    return (whole + (1 if rest >= Fraction(1, 2) else 0)) / Fraction(100)


@given(
    items=st.lists(
        st.tuples(
            st.decimals(min_value=0, max_value=10**7, places=2),
            st.decimals(min_value=Decimal("0.0001"), max_value=100, places=4),
        ),
        min_size=1,
        max_size=6,
    )
)
@settings(max_examples=60)
def test_total_is_the_exact_sum_of_half_up_conversions(
    items: list[tuple[Decimal, Decimal]],
) -> None:
    deposits = tuple(
        deposit(str(amount), id=i, currency="EUR", rate=str(rate))
        for i, (amount, rate) in enumerate(items)
    )
    outcome = p2(deposits=deposits)
    expected = sum((_half_up(Fraction(a) * Fraction(r)) for a, r in items), Fraction(0))
    assert Fraction(Decimal(outcome.data["total_hkd"])) == expected
    assert (outcome.outcome is PASS) == (expected >= 250000)


@given(check=st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31)))
@settings(max_examples=60)
def test_freshness_window_edge_for_any_check_date(check: date) -> None:
    first_fresh = add_months(check, -3)
    fresh = p2(check_date=check, deposits=(deposit("300000", statement_date=first_fresh),))
    stale = p2(
        check_date=check,
        deposits=(deposit("300000", statement_date=first_fresh - timedelta(days=1)),),
    )
    assert fresh.outcome is PASS
    assert stale.outcome is MISSING
    assert stale.data["excluded"][0]["why"] == "stale"
