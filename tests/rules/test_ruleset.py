"""Rule sets: packaged data, validation on load, overrides, and versions."""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from caseapp.rules import (
    available_rule_sets,
    default_rule_set,
    evaluate,
    load_rule_set,
    rule_set_for,
)
from caseapp.rules.outcome import Outcome

from .builders import applicant, case, deposit


def default_data() -> dict[str, Any]:
    return copy.deepcopy(default_rule_set().to_dict())


def test_default_rule_set_holds_the_qmas_facts() -> None:
    rules = default_rule_set()
    assert rules.version == "qmas-2006-165"
    assert rules.deposit_single_hkd == Decimal("250000")
    assert rules.deposit_family_hkd == Decimal("450000")
    assert isinstance(rules.deposit_single_hkd, Decimal)
    assert rules.deposit_freshness_months == 3
    assert rules.passport_warning_months == 6
    assert rules.minimum_age == 18
    assert rules.dependant_child_max_age == 18
    assert set(rules.excluded_nationalities) == {"AFG", "CUB", "LAO", "PRK", "NPL", "VNM"}
    gpt = rules.general_points
    assert (gpt.pass_mark, gpt.maximum) == (80, 165)
    assert [(b.min_age, b.max_age, b.points) for b in gpt.age_bands] == [
        (18, 39, 30),
        (40, 44, 20),
        (45, 50, 15),
        (51, None, 0),
    ]
    assert (rules.achievement_points.points, rules.achievement_points.pass_mark) == (245, 245)


def test_packaged_versions_are_listed_and_found() -> None:
    assert "qmas-2006-165" in available_rule_sets()
    assert rule_set_for("qmas-2006-165") is default_rule_set()
    with pytest.raises(LookupError, match="qmas-1999"):
        rule_set_for("qmas-1999")


def test_to_dict_round_trips_through_json() -> None:
    rules = default_rule_set()
    text = json.dumps(rules.to_dict())
    assert load_rule_set(json.loads(text)) == rules


def test_to_dict_is_a_copy_that_cannot_change_the_rule_set() -> None:
    data = default_rule_set().to_dict()
    data["general_points"]["family"]["per_child"] = 99
    data["general_points"]["age"][0]["points"] = 99
    data["excluded_nationalities"]["FRA"] = "France"
    assert default_rule_set().general_points.family.per_child == 5
    assert default_rule_set().general_points.age_bands[0].points == 30
    assert "FRA" not in default_rule_set().excluded_nationalities


def test_loads_from_a_file(tmp_path: Path) -> None:
    data = default_data()
    data["version"] = "qmas-test"
    data["deposit_single_hkd"] = "300000.50"
    path = tmp_path / "qmas-test.json"
    path.write_text(json.dumps(data))
    rules = load_rule_set(path)
    assert rules.version == "qmas-test"
    assert rules.deposit_single_hkd == Decimal("300000.50")


def test_a_json_number_with_a_fraction_is_read_as_decimal(tmp_path: Path) -> None:
    text = json.dumps(default_data()).replace('"250000"', "250000.10")
    path = tmp_path / "numbers.json"
    path.write_text(text)
    assert load_rule_set(path).deposit_single_hkd == Decimal("250000.10")


def test_a_broken_file_names_itself(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text("{not json")
    with pytest.raises(ValueError, match=r"broken\.json"):
        load_rule_set(path)


def _set(path: str, value: Any) -> Any:
    def change(data: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target: Any = data
        for key in parents:
            target = target[int(key)] if isinstance(target, list) else target[key]
        if isinstance(target, list):
            target[int(last)] = value
        else:
            target[last] = value

    return change


def _drop(key: str) -> Any:
    return lambda data: data.pop(key)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        pytest.param(_drop("version"), "version: required", id="missing-version"),
        pytest.param(_set("deposit_single_hkd", 250000.0), "deposit_single_hkd", id="float-money"),
        pytest.param(_set("deposit_single_hkd", "lots"), "not an amount", id="text-money"),
        pytest.param(_set("deposit_single_hkd", "-1"), "positive", id="negative-money"),
        pytest.param(_set("deposit_family_hkd", "100000"), "family", id="family-below-single"),
        pytest.param(_set("minimum_age", "18"), "minimum_age", id="age-as-text"),
        pytest.param(_set("minimum_age", True), "minimum_age", id="age-as-bool"),
        pytest.param(_set("effective_date", "28/06/2006"), "effective_date", id="bad-date"),
        pytest.param(_set("deposit_singel_hkd", "1"), "unknown keys", id="typo-key"),
        pytest.param(
            _set("excluded_nationalities", {"afg": "Afghanistan"}), "afg", id="lower-case-code"
        ),
        pytest.param(_set("general_points.age.1.min_age", 41), "contiguous", id="gap-in-age-bands"),
        pytest.param(_set("general_points.age.3.max_age", 99), "no upper bound", id="closed-band"),
        pytest.param(
            _set("general_points.maximum", 170), "add up to 165", id="maximum-not-the-sum"
        ),
        pytest.param(
            _set("general_points.pass_mark", 200), "exceeds the maximum", id="pass-mark-over-max"
        ),
        pytest.param(
            _set("general_points.education.0", {"label": "x", "points": 45}),
            "at least one qualification",
            id="tier-requires-nothing",
        ),
        pytest.param(
            _set("general_points.work_experience.0.min_senior_years", 11),
            "cannot exceed",
            id="senior-over-total",
        ),
        pytest.param(_set("general_points.language.bonus", 5), "unknown keys", id="extra-key"),
        pytest.param(
            _set("achievement_points.points", 100), "reach the pass mark", id="abpt-below-mark"
        ),
        pytest.param(_set("format", 2), "format", id="unknown-format"),
    ],
)
def test_bad_rule_set_data_is_refused_clearly(change: Any, message: str) -> None:
    data = default_data()
    change(data)
    with pytest.raises(ValueError, match=message):
        load_rule_set(data)


def test_overrides_change_the_threshold_and_are_recorded() -> None:
    rules = default_rule_set().with_overrides(deposit_single_hkd=Decimal("300000"))
    assert rules.deposit_single_hkd == Decimal("300000")
    assert rules.version == default_rule_set().version
    assert dict(rules.overrides) == {"deposit_single_hkd": "300000"}
    assert default_rule_set().deposit_single_hkd == Decimal("250000")  # the cached one is intact


def test_overridden_threshold_changes_the_outcome() -> None:
    facts = case(deposits=(deposit("260000"),))
    assert evaluate(facts).prerequisite("P2").outcome is Outcome.PASS
    stricter = default_rule_set().with_overrides(deposit_single_hkd="300000")
    result = evaluate(facts, stricter)
    assert result.prerequisite("P2").outcome is Outcome.FAIL
    assert "HKD 40,000.00" in result.prerequisite("P2").reason
    assert result.rule_set_overrides == {"deposit_single_hkd": "300000"}


@pytest.mark.parametrize(
    ("values", "message"),
    [
        pytest.param({"version": "x"}, "cannot override version", id="version"),
        pytest.param({"deposit_single_hkd": 1.5}, "deposit_single_hkd", id="float"),
        pytest.param({"minimum_age": -1}, "minimum_age", id="negative-age"),
    ],
)
def test_bad_overrides_are_refused(values: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        default_rule_set().with_overrides(**values)


def test_excluded_nationalities_come_from_the_rule_set() -> None:
    facts = case(applicant=applicant(nationality="FRA"))
    assert evaluate(facts).prerequisite("P6").outcome is Outcome.PASS
    rules = default_rule_set().with_overrides(excluded_nationalities={"FRA": "France"})
    outcome = evaluate(facts, rules).prerequisite("P6")
    assert outcome.outcome is Outcome.FAIL
    assert "France" in outcome.reason
