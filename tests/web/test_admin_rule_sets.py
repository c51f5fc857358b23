"""The admins' rule set pages: list, show, a new version from one, edit until used, impact."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from caseapp import clock
from caseapp.models import AuditEntry, Role, StoredRuleSet
from caseapp.queries import rulesets as loader
from caseapp.services import checks
from caseapp.services.rulesets import create_rule_set, editable_values
from tests.factories import open_case

SOON = clock.today() + timedelta(days=30)


@pytest.fixture
def admin_client(admin, client_for):
    return client_for(admin)


@pytest.fixture
def by_date(app):
    app.config["RULE_SET_VERSION"] = None
    yield
    app.config["RULE_SET_VERSION"] = "qmas-2006-165"


def form_from(base="qmas-2024-11", **changes):
    """The form as a browser posts it, prefilled from ``base``."""
    values = editable_values(loader.find_rule_set(base))
    values.update(version="qmas-2027-01", title="Higher deposits", effective_date=SOON)
    form = {}
    for name, value in values.items():
        form[name] = " ".join(value) if isinstance(value, list) else (
            value.isoformat() if hasattr(value, "isoformat") else str(value))
    form.update(changes)
    return form


def _stored(db) -> int:
    return db.session.scalar(select(func.count()).select_from(StoredRuleSet))


def _page(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def _field_errors(page: str, field_id: str) -> list[str]:
    return re.findall(rf'<p class="error" id="{field_id}-error">([^<]*)</p>', page)


ROUTES = [("get", "/admin/rule-sets"), ("get", "/admin/rule-sets/qmas-2024-11"),
          ("get", "/admin/rule-sets/qmas-2024-11/new"),
          ("post", "/admin/rule-sets/qmas-2024-11/new"),
          ("get", "/admin/rule-sets/qmas-2027-01/edit"),
          ("post", "/admin/rule-sets/qmas-2027-01/edit"),
          ("get", "/admin/rule-sets/qmas-2024-11/impact")]


@pytest.mark.parametrize("role", [Role.CONSULTANT, Role.MANAGER])
@pytest.mark.parametrize("method,path", ROUTES)
def test_only_admins_may_open_the_rule_set_pages(app, db, admin, make_user, client_for, role,
                                                 method, path):
    create_rule_set(admin, "qmas-2024-11", form_from(version="qmas-2027-01"))
    client = client_for(make_user(role))
    response = getattr(client, method)(path, data=form_from(version="qmas-2027-09",
                                                            effective_date=SOON + timedelta(3)))
    assert response.status_code == 403
    assert _stored(db) == 1


def test_the_nav_links_to_the_rule_sets_for_admins_only(app, db, admin_client, manager_client):
    assert 'href="/admin/rule-sets"' in admin_client.get("/").get_data(as_text=True)
    assert 'href="/admin/rule-sets"' not in manager_client.get("/").get_data(as_text=True)


def test_the_list_shows_every_rule_set_its_use_and_the_one_in_force(app, db, admin,
                                                                   admin_client, consultant,
                                                                   by_date):
    create_rule_set(admin, "qmas-2024-11", form_from())
    checks.run_checks(consultant, open_case(consultant))  # today: qmas-2024-11
    page = _page(admin_client.get("/admin/rule-sets"))
    rows = {version: page[page.index(f'id="rule-set-{version}"'):][:1200]
            for version in ("qmas-2006-165", "qmas-2024-11", "qmas-2027-01")}
    assert "2006-06-28" in rows["qmas-2006-165"] and "packaged" in rows["qmas-2006-165"]
    assert "not used" in rows["qmas-2006-165"]
    assert "used by 1" in rows["qmas-2024-11"] and "in force today" in rows["qmas-2024-11"]
    stored = rows["qmas-2027-01"][:rows["qmas-2027-01"].index("</tr>")]
    assert "stored" in stored and "Ada Admin" in stored and SOON.isoformat() in stored
    assert "Higher deposits" in stored and "in force today" not in stored
    assert "/admin/rule-sets/qmas-2027-01/edit" in stored


def test_a_criteria_rule_set_is_shown_in_full(app, db, admin_client):
    page = _page(admin_client.get("/admin/rule-sets/qmas-2024-11"))
    assert "at least 6 of 12 criteria" in page
    assert "Aged 50 or below" in page and "max age: 50" in page
    assert "min hkd: HKD 1000000" in page and "degree levels: master, doctorate" in page
    assert "HKD 250,000.00" in page and "HKD 450,000.00" in page
    assert "Korea, Democratic People's Republic of (PRK)" in page
    assert "245 points, pass mark 245" in page
    assert "Create a new version from this one" in page and "/edit" not in page


def test_a_points_table_is_shown_in_full(app, db, admin_client):
    page = _page(admin_client.get("/admin/rule-sets/qmas-2006-165"))
    assert "pass mark 80 of 165" in page
    for text in ("18-39", "51+", "two doctorates", "10+ years including 5+ at senior level",
                 "Chinese and English", "at most 10"):
        assert text in page


def test_an_unknown_version_is_not_found(app, db, admin_client):
    for path in ("/admin/rule-sets/nope", "/admin/rule-sets/nope/new",
                 "/admin/rule-sets/nope/edit", "/admin/rule-sets/nope/impact"):
        assert admin_client.get(path).status_code == 404


def test_the_new_version_form_is_prefilled_from_its_base(app, db, admin_client):
    page = _page(admin_client.get("/admin/rule-sets/qmas-2024-11/new"))
    assert re.search(r'name="deposit_single_hkd"[^>]*value="250000"', page)
    assert re.search(r'name="criterion_10_min_hkd"[^>]*value="1000000"', page)
    assert re.search(r'name="threshold"[^>]*value="6"', page)
    assert "AFG CUB LAO NPL PRK VNM" in page
    assert 'name="pass_mark"' not in page
    points = _page(admin_client.get("/admin/rule-sets/qmas-2006-165/new"))
    assert re.search(r'name="pass_mark"[^>]*value="80"', points)


def test_an_admin_creates_a_version_and_it_is_audited(app, db, admin, admin_client):
    response = admin_client.post("/admin/rule-sets/qmas-2024-11/new", data=form_from(
        deposit_single_hkd="300,000", criterion_6_min_years="6"))
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/admin/rule-sets/qmas-2027-01")
    rule_set = loader.find_rule_set("qmas-2027-01")
    assert str(rule_set.deposit_single_hkd) == "300000"
    assert rule_set.general_points.criterion("work_years").min_years == 6
    entry = db.session.scalars(select(AuditEntry).where(
        AuditEntry.entity == "rule_set:qmas-2027-01")).one()
    assert (entry.action, entry.user_id) == ("created", admin.id)
    page = _page(admin_client.get(response.headers["Location"]))
    assert "Rule set qmas-2027-01 created from qmas-2024-11" in page


@pytest.mark.parametrize("field,value,message", [
    ("effective_date", clock.today().isoformat(),
     "The effective date must be in the future: after today"),
    ("effective_date", (clock.today() - timedelta(days=400)).isoformat(),
     "The effective date must be in the future"),
    ("version", "QMAS 2027", "Use 3 to 40 lower-case letters, digits, dots and hyphens"),
    ("version", "qmas-2006-165", "qmas-2006-165 is a packaged rule set: choose another name."),
    ("deposit_family_hkd", "100000", "The family's deposit cannot be below the single"),
    ("excluded_nationalities", "AFG ZZZ", "Not ISO 3166-1 alpha-3 country codes: ZZZ."),
    ("criterion_10_min_hkd", "a million", "Enter the amount as a number"),
    ("threshold", "13", "The number of criteria to meet must be from 1 to 12."),
])
def test_a_bad_value_is_shown_beside_its_field_with_the_input_kept(app, db, admin_client,
                                                                   field, value, message):
    response = admin_client.post("/admin/rule-sets/qmas-2024-11/new", data=form_from(
        **{field: value}, title="Kept title"))
    page = _page(response)
    assert response.status_code == 200
    assert "Nothing was saved" in page
    errors = _field_errors(page, field)
    assert errors and message in errors[0]
    assert value in page and 'value="Kept title"' in page
    assert _stored(db) == 0


def test_a_used_version_can_no_longer_be_edited(app, db, admin, admin_client, consultant,
                                                by_date):
    create_rule_set(admin, "qmas-2024-11", form_from())
    edit = admin_client.get("/admin/rule-sets/qmas-2027-01/edit")
    assert edit.status_code == 200 and 'value="Higher deposits"' in _page(edit)
    saved = admin_client.post("/admin/rule-sets/qmas-2027-01/edit",
                              data=form_from(minimum_age="19"))
    assert saved.status_code == 302
    assert loader.find_rule_set("qmas-2027-01").minimum_age == 19

    case = open_case(consultant)
    case.planned_submission_date = SOON + timedelta(days=5)
    db.session.commit()
    assert checks.run_checks(consultant, case).rule_set_version == "qmas-2027-01"
    refused = admin_client.post("/admin/rule-sets/qmas-2027-01/edit",
                                data=form_from(minimum_age="21"), follow_redirects=True)
    page = _page(refused)
    assert ("Check runs have used qmas-2027-01: it can no longer change; create a new "
            "version.") in page
    assert loader.find_rule_set("qmas-2027-01").minimum_age == 19
    assert "/admin/rule-sets/qmas-2027-01/edit" not in page


def test_a_packaged_version_cannot_be_edited(app, db, admin_client):
    response = admin_client.get("/admin/rule-sets/qmas-2024-11/edit", follow_redirects=True)
    assert "qmas-2024-11 is a packaged rule set: it cannot change here" in _page(response)


def test_the_form_carries_csrf_when_protection_is_on(app, db, admin_client):
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        page = _page(admin_client.get("/admin/rule-sets/qmas-2024-11/new"))
        assert 'name="csrf_token"' in page
        refused = admin_client.post("/admin/rule-sets/qmas-2024-11/new", data=form_from())
        assert refused.status_code in (200, 400)
        assert _stored(db) == 0
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


def test_the_impact_page_lists_each_changed_case_with_a_link_and_the_counts(
        app, db, admin, admin_client, consultant, manager, by_date):
    from caseapp.rules.vocab import Answer
    from tests.factories import hkd_statement, verified_deposit

    case = open_case(consultant, degree_eligible_university=Answer.YES, degree_stem=Answer.YES,
                     two_languages=Answer.YES)
    verified_deposit(consultant, manager, case, hkd_statement("300000.00"))
    case.planned_submission_date = SOON + timedelta(days=3)
    db.session.commit()
    create_rule_set(admin, "qmas-2024-11", form_from(deposit_single_hkd="400000"))
    page = _page(admin_client.get("/admin/rule-sets/qmas-2027-01/impact"))
    summary = page[page.index('id="impact-summary"'):][:400]
    assert "1</strong> case would change verdict, of 1 lodged on or after" in summary
    row = page[page.index(f'id="impact-{case.reference}"'):]
    row = row[:row.index("</tr>")]
    assert f'href="/cases/{case.reference}"' in row and "Connie Consultant" in row
    assert "Eligible" in row and "Not eligible" in row and "P2 Financial capability" in row
    assert re.search(r"<td>Connie Consultant</td><td class=\"num\">1</td>", page)
