"""Stored rule sets: one loader for packaged and stored versions, and the admins' service
(a new version from an existing one, edits before first use, audited)."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from caseapp import clock
from caseapp.models import AuditEntry, StoredRuleSet, utcnow
from caseapp.queries import rulesets as loader
from caseapp.rules import load_rule_set, packaged_rule_sets
from caseapp.services import checks
from caseapp.services.errors import NotAllowed, ValidationFailed
from caseapp.services.rulesets import create_rule_set, editable_values, update_rule_set
from tests.factories import open_case

SOON = clock.today() + timedelta(days=30)


def new_values(base="qmas-2024-11", **changes):
    values = editable_values(loader.find_rule_set(base))
    values.update(version="qmas-2027-01", title="Higher deposits from 2027",
                  effective_date=SOON)
    values.update(changes)
    return values


@pytest.fixture
def by_date(app):
    """The app as deployed (no pinned version), checking under every known rule set."""
    app.config["RULE_SET_VERSION"] = None
    yield
    app.config["RULE_SET_VERSION"] = "qmas-2006-165"


# ---- the loader --------------------------------------------------------------------------------

def test_the_loader_serves_packaged_and_stored_versions_by_effective_date(db, admin):
    create_rule_set(admin, "qmas-2024-11", new_values(deposit_single_hkd="300,000.00"))
    versions = [r.version for r in loader.all_rule_sets()]
    assert versions == [*(r.version for r in packaged_rule_sets()), "qmas-2027-01"]
    stored = loader.find_rule_set("qmas-2027-01")
    assert stored.deposit_single_hkd == Decimal("300000")
    assert stored.effective_date == SOON and stored.general_points_kind == "criteria"
    assert loader.find_rule_set("qmas-2006-165") is packaged_rule_sets()[0]
    assert loader.find_rule_set("nope") is None


def test_a_stored_version_is_its_canonical_json_and_loads_like_a_file(db, admin):
    row = create_rule_set(admin, "qmas-2024-11", new_values())
    rule_set = loader.find_rule_set(row.version)
    assert row.content == loader.canonical_json(rule_set)
    data = json.loads(row.content)
    assert list(data) == sorted(data) and data["overrides"] == {}
    assert load_rule_set(data) == rule_set
    assert (row.based_on, row.created_by_id, row.updated_by_id) == (
        "qmas-2024-11", admin.id, admin.id)


def _store_directly(db, admin, content, version="qmas-2027-02"):
    now = utcnow()
    db.session.add(StoredRuleSet(version=version, title="t", effective_date=SOON,
                                 based_on="qmas-2024-11", content=content,
                                 created_by_id=admin.id, updated_by_id=admin.id,
                                 created_at=now, updated_at=now))
    db.session.commit()


def test_a_stored_version_that_does_not_validate_is_an_error_naming_it(db, admin):
    data = loader.find_rule_set("qmas-2024-11").to_dict()
    data.update(version="qmas-2027-02", minimum_age=0)
    _store_directly(db, admin, json.dumps(data))
    with pytest.raises(loader.StoredRuleSetInvalid, match="qmas-2027-02 does not load"):
        loader.all_rule_sets()


def test_a_stored_version_may_not_take_a_packaged_name(db, admin):
    with pytest.raises(ValidationFailed) as refused:
        create_rule_set(admin, "qmas-2006-165", new_values(version="qmas-2006-165"))
    assert refused.value.errors["version"] == [
        "qmas-2006-165 is a packaged rule set: choose another name."]
    # One written behind the service's back (or a packaged file added later) stops the loader.
    data = loader.find_rule_set("qmas-2024-11").to_dict()
    _store_directly(db, admin, json.dumps(data), version="qmas-2024-11")
    with pytest.raises(loader.StoredRuleSetInvalid, match="name of a packaged rule set"):
        loader.all_rule_sets()


def test_parsed_versions_are_cached_until_they_change(db, admin, count_statements):
    create_rule_set(admin, "qmas-2024-11", new_values())
    loader.all_rule_sets()
    count_statements.reset()
    assert loader.find_rule_set("qmas-2027-01").minimum_age == 18
    assert count_statements.count == 1  # versions and timestamps only: nothing parsed again
    update_rule_set(admin, "qmas-2027-01", new_values(minimum_age=21))
    assert loader.find_rule_set("qmas-2027-01").minimum_age == 21


def test_a_change_in_another_process_is_seen_by_its_timestamp(db, admin):
    row = create_rule_set(admin, "qmas-2024-11", new_values())
    loader.all_rule_sets()
    changed = json.loads(row.content)
    changed["minimum_age"] = 25
    row.content = json.dumps(changed)
    row.updated_at = utcnow()
    db.session.commit()  # as another worker would, without this process's cache knowing
    assert loader.find_rule_set("qmas-2027-01").minimum_age == 25


def test_usage_counts_check_runs_per_version_in_one_statement(db, admin, consultant, by_date,
                                                               count_statements):
    create_rule_set(admin, "qmas-2024-11", new_values())
    later = open_case(consultant)
    later.planned_submission_date = SOON + timedelta(days=10)
    db.session.commit()
    checks.run_checks(consultant, later)
    checks.run_checks(consultant, later)
    checks.run_checks(consultant, open_case(consultant))
    count_statements.reset()
    assert loader.rule_set_usage() == {"qmas-2027-01": 2, "qmas-2024-11": 1}
    assert count_statements.count == 1


# ---- creating a version ------------------------------------------------------------------------

def test_creating_a_version_is_audited_with_its_values(db, admin):
    create_rule_set(admin, "qmas-2024-11", new_values(
        deposit_family_hkd="500000", excluded_nationalities="afg, cub lao\nNPL PRK VNM SYR",
        criterion_10_min_hkd="1200000", threshold=7))
    rule_set = loader.find_rule_set("qmas-2027-01")
    assert rule_set.excluded_nationalities["SYR"] == "Syrian Arab Republic"
    assert rule_set.excluded_nationalities["PRK"] == "Korea, Democratic People's Republic of"
    assert rule_set.general_points.threshold == 7
    assert rule_set.general_points.criterion("income").min_hkd == Decimal("1200000")
    entry = db.session.scalars(select(AuditEntry).where(
        AuditEntry.entity == "rule_set:qmas-2027-01")).one()
    assert (entry.user_id, entry.action, entry.case_id) == (admin.id, "created", None)
    assert entry.changes["based_on"] == [None, "qmas-2024-11"]
    assert entry.changes["deposit_family_hkd"] == [None, "500000"]
    assert entry.changes["threshold"] == [None, "7"]


def test_a_points_table_version_changes_its_pass_mark(db, admin):
    create_rule_set(admin, "qmas-2006-165", new_values("qmas-2006-165", pass_mark=85))
    assert loader.find_rule_set("qmas-2027-01").general_points.pass_mark == 85
    with pytest.raises(ValidationFailed) as refused:
        create_rule_set(admin, "qmas-2006-165", new_values(
            "qmas-2006-165", version="qmas-2027-02", effective_date=SOON + timedelta(days=1),
            pass_mark=166))
    assert refused.value.errors == {"pass_mark": ["The pass mark must be from 1 to 165."]}


@pytest.mark.parametrize("field,value,message", [
    ("version", "", "Name the new version, such as qmas-2027-01."),
    ("version", "Qmas 2027", "Use 3 to 40 lower-case letters, digits, dots and hyphens"),
    ("version", "-qmas", "Use 3 to 40 lower-case letters"),
    ("version", "q" * 41, "Use 3 to 40 lower-case letters"),
    ("version", "qmas-2024-11", "qmas-2024-11 is a packaged rule set: choose another name."),
    ("title", " ", "Give the version a title that says what changed."),
    ("effective_date", clock.today(), "The effective date must be in the future: after today"),
    ("effective_date", "2027-02-30", "Enter a real date as YYYY-MM-DD."),
    ("minimum_age", "0", "The minimum age must be from 1 to 99."),
    ("minimum_age", "eighteen", "The minimum age must be a whole number."),
    ("deposit_single_hkd", "1e6", "an exponent (like 1e5) is not accepted"),
    ("deposit_single_hkd", "0", "must be more than zero"),
    ("deposit_single_hkd", "250000.001", "at most 2 decimal places"),
    ("deposit_family_hkd", "200000", "The family's deposit cannot be below the single"),
    ("excluded_nationalities", "AFG XXX Q", "Not ISO 3166-1 alpha-3 country codes: XXX, Q."),
    ("threshold", 13, "The number of criteria to meet must be from 1 to 12."),
    ("criterion_1_max_age", "", "The age limit is required."),
    ("criterion_6_min_years", 0, "The years must be from 1 to 60."),
    ("criterion_11_min_hkd", "-5", "The amount must be more than zero."),
])
def test_bad_values_are_refused_beside_their_field(db, admin, field, value, message):
    with pytest.raises(ValidationFailed) as refused:
        create_rule_set(admin, "qmas-2024-11", new_values(**{field: value}))
    assert list(refused.value.errors) == [field]
    assert message in refused.value.errors[field][0]
    assert db.session.scalars(select(StoredRuleSet)).all() == []


def test_a_second_version_on_the_same_day_or_with_the_same_name_is_refused(db, admin):
    create_rule_set(admin, "qmas-2024-11", new_values())
    with pytest.raises(ValidationFailed) as refused:
        create_rule_set(admin, "qmas-2024-11", new_values(version="qmas-2027-02"))
    assert refused.value.errors["effective_date"] == [
        f"qmas-2027-01 already takes effect on {SOON.isoformat()}: choose another day (two "
        "versions in force from the same day would be ambiguous)."]
    with pytest.raises(ValidationFailed) as refused:
        create_rule_set(admin, "qmas-2024-11", new_values(effective_date=SOON + timedelta(1)))
    assert refused.value.errors["version"] == [
        "There is already a version qmas-2027-01: choose another name."]


def test_a_version_from_an_unknown_base_is_refused(db, admin):
    with pytest.raises(NotAllowed, match="There is no rule set nope to start from"):
        create_rule_set(admin, "nope", new_values())


# ---- changing a version ------------------------------------------------------------------------

def test_an_unused_stored_version_changes_and_the_change_is_audited(db, admin, make_user):
    from caseapp.models import Role

    create_rule_set(admin, "qmas-2024-11", new_values())
    other = make_user(Role.ADMIN)
    row = update_rule_set(other, "qmas-2027-01", new_values(
        deposit_single_hkd="320000", title="Deposits up", version="ignored"))
    assert (row.version, row.title, row.updated_by_id, row.created_by_id) == (
        "qmas-2027-01", "Deposits up", other.id, admin.id)
    entry = db.session.scalars(select(AuditEntry).where(
        AuditEntry.entity == "rule_set:qmas-2027-01", AuditEntry.action == "updated")).one()
    assert entry.user_id == other.id
    assert entry.changes == {"title": ["Higher deposits from 2027", "Deposits up"],
                             "deposit_single_hkd": ["250000", "320000"]}


def test_a_version_a_check_run_used_can_no_longer_change(db, admin, consultant, by_date):
    create_rule_set(admin, "qmas-2024-11", new_values())
    case = open_case(consultant)
    case.planned_submission_date = SOON
    db.session.commit()
    assert checks.run_checks(consultant, case).rule_set_version == "qmas-2027-01"
    with pytest.raises(NotAllowed) as refused:
        update_rule_set(admin, "qmas-2027-01", new_values(minimum_age=21))
    assert refused.value.message == (
        "Check runs have used qmas-2027-01: it can no longer change; create a new version.")
    assert loader.find_rule_set("qmas-2027-01").minimum_age == 18


def test_a_packaged_version_cannot_change(db, admin):
    with pytest.raises(NotAllowed, match="qmas-2024-11 is a packaged rule set"):
        update_rule_set(admin, "qmas-2024-11", new_values())


def test_a_change_keeps_the_effective_date_in_the_future_and_apart(db, admin):
    create_rule_set(admin, "qmas-2024-11", new_values())
    create_rule_set(admin, "qmas-2024-11", new_values(version="qmas-2027-02",
                                                      effective_date=SOON + timedelta(1)))
    with pytest.raises(ValidationFailed) as refused:
        update_rule_set(admin, "qmas-2027-02", new_values(effective_date=SOON))
    assert "qmas-2027-01 already takes effect" in refused.value.errors["effective_date"][0]
    # Its own date is no clash.
    update_rule_set(admin, "qmas-2027-02", new_values(effective_date=SOON + timedelta(1),
                                                      minimum_age=20))
