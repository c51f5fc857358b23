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


# --- the criteria kind (qmas-2024-11, issue 9) ------------------------------------------------


def criteria_data() -> dict[str, Any]:
    return copy.deepcopy(rule_set_for("qmas-2024-11").to_dict())


def test_the_2006_file_has_no_kind_and_is_a_points_table() -> None:
    folder = Path(__file__).resolve().parents[2] / "caseapp" / "rules" / "rulesets"
    data = json.loads((folder / "qmas-2006-165.json").read_text(encoding="utf-8"))
    assert "kind" not in data["general_points"]
    rules = load_rule_set(data)
    assert rules.general_points_kind == "points_table"
    assert rules == default_rule_set()
    assert default_rule_set().to_dict()["general_points"]["kind"] == "points_table"
    explicit = copy.deepcopy(data)
    explicit["general_points"]["kind"] = "points_table"
    assert load_rule_set(explicit) == rules


def test_the_2024_rule_set_keeps_the_prerequisites_and_the_abpt() -> None:
    old, new = default_rule_set().to_dict(), criteria_data()
    for key in (
        "minimum_age",
        "dependant_child_max_age",
        "deposit_single_hkd",
        "deposit_family_hkd",
        "deposit_freshness_months",
        "passport_warning_months",
        "excluded_nationalities",
        "achievement_points",
    ):
        assert new[key] == old[key], key
    assert new["general_points"]["kind"] == "criteria"
    assert new["general_points"]["threshold"] == 6


@pytest.mark.parametrize("version", ["qmas-2006-165", "qmas-2024-11"])
def test_both_kinds_round_trip_through_json_and_the_loader(version: str) -> None:
    rules = rule_set_for(version)
    text = json.dumps(rules.to_dict())
    again = load_rule_set(json.loads(text))
    assert again == rules
    assert again.to_dict() == rules.to_dict()
    overridden = rules.with_overrides(deposit_single_hkd="300000")
    assert load_rule_set(json.loads(json.dumps(overridden.to_dict()))) == overridden
    assert overridden.general_points == rules.general_points


def test_criteria_are_shown_in_full() -> None:
    test = rule_set_for("qmas-2024-11").general_points
    shown = [(c.number, c.code, c.title, c.values()) for c in test.criteria]
    assert shown[0] == (1, "age", "Aged 50 or below", {"max_age": 50})
    assert shown[1][3] == {"degree_levels": ["master", "doctorate"]}
    assert shown[3][3] == {}
    assert shown[9][3] == {"min_hkd": "1000000"}
    assert all(title for _, _, title, _ in shown)


def _criterion(index: int, key: str, value: Any) -> Any:
    def change(data: dict[str, Any]) -> None:
        data["general_points"]["criteria"][index][key] = value

    return change


def _general(key: str, value: Any) -> Any:
    def change(data: dict[str, Any]) -> None:
        data["general_points"][key] = value

    return change


def _drop_criterion_key(index: int, key: str) -> Any:
    return lambda data: data["general_points"]["criteria"][index].pop(key)


def _append_criterion(item: dict[str, Any]) -> Any:
    return lambda data: data["general_points"]["criteria"].append(item)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        pytest.param(_general("kind", "questionnaire"), r"general_points\.kind: expected "
                     "points_table or criteria", id="unknown-kind"),
        pytest.param(_general("pass_mark", 80), r"general_points: unknown keys pass_mark",
                     id="table-key-in-criteria"),
        pytest.param(_general("threshold", 0), r"general_points\.threshold: 0 is below",
                     id="threshold-zero"),
        pytest.param(_general("threshold", -6), r"general_points\.threshold: -6 is below",
                     id="threshold-negative"),
        pytest.param(_general("threshold", "6"), r"general_points\.threshold: expected a whole",
                     id="threshold-as-text"),
        pytest.param(_general("threshold", 13), r"threshold: 13 exceeds the 12 criteria",
                     id="threshold-over-count"),
        pytest.param(_general("criteria", []), r"general_points\.criteria: expected a non-empty",
                     id="no-criteria"),
        pytest.param(_criterion(0, "max_age", -50), r"criteria\[0\]\.max_age: -50 is below",
                     id="negative-age"),
        pytest.param(_criterion(0, "max_age", True), r"criteria\[0\]\.max_age: expected a whole",
                     id="age-as-bool"),
        pytest.param(_criterion(5, "min_years", -1), r"criteria\[5\]\.min_years: -1 is below",
                     id="negative-years"),
        pytest.param(_criterion(6, "min_years", 2.5), r"criteria\[6\]\.min_years: expected a",
                     id="fractional-years"),
        pytest.param(_criterion(9, "min_hkd", 1000000.0), r"criteria\[9\]\.min_hkd: expected an",
                     id="float-money"),
        pytest.param(_criterion(9, "min_hkd", "-1000000"), r"criteria\[9\]\.min_hkd: .* positive",
                     id="negative-money"),
        pytest.param(_criterion(10, "min_hkd", "lots"), r"criteria\[10\]\.min_hkd: .*not an amo",
                     id="text-money"),
        pytest.param(_criterion(1, "degree_levels", ["masters"]),
                     r"criteria\[1\]\.degree_levels\[0\]: 'masters' is not a degree",
                     id="typo-degree"),
        pytest.param(_criterion(1, "degree_levels", ["secondary"]), "is not a degree",
                     id="not-a-degree"),
        pytest.param(_criterion(1, "degree_levels", []), r"criteria\[1\]\.degree_levels: expec",
                     id="no-degree-levels"),
        pytest.param(_criterion(1, "degree_levels", ["master", "master"]), "twice",
                     id="degree-twice"),
        pytest.param(_criterion(1, "degree_levels", "master"), "non-empty list",
                     id="degree-not-a-list"),
        pytest.param(_criterion(4, "min_years", 3), r"criteria\[4\]: unknown keys min_years",
                     id="value-the-code-does-not-use"),
        pytest.param(_drop_criterion_key(7, "min_years"), r"criteria\[7\]\.min_years: required",
                     id="missing-value"),
        pytest.param(_drop_criterion_key(3, "title"), r"criteria\[3\]\.title: required",
                     id="missing-title"),
        pytest.param(_criterion(3, "title", "  "), r"criteria\[3\]\.title: expected a non-empty",
                     id="blank-title"),
        pytest.param(_criterion(2, "code", "stem"), r"criteria\[2\]\.code: unknown criterion",
                     id="unknown-code"),
        pytest.param(_append_criterion({"code": "english", "title": "English again"}),
                     "'english' is listed twice", id="code-twice"),
        pytest.param(_append_criterion("income"), r"criteria\[12\]: expected an object",
                     id="criterion-not-an-object"),
    ],
)
def test_bad_criteria_data_is_refused_clearly(change: Any, message: str) -> None:
    data = criteria_data()
    change(data)
    with pytest.raises(ValueError, match=message):
        load_rule_set(data)


def test_fewer_criteria_and_a_lower_threshold_are_valid_data() -> None:
    data = criteria_data()
    data["general_points"]["criteria"] = data["general_points"]["criteria"][:4]
    data["general_points"]["threshold"] = 4
    data["version"] = "qmas-test"
    rules = load_rule_set(data)
    assert [c.number for c in rules.general_points.criteria] == [1, 2, 3, 4]
    assert load_rule_set(rules.to_dict()) == rules
