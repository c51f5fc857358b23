"""Running the checks and moving a case in a real browser."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from caseapp import clock
from caseapp.models import Role
from tests.browser.test_consultant_journey import _sign_in
from tests.factories import open_case
from tests.services.test_checks import add_verified_deposit

pytestmark = pytest.mark.browser


def test_consultant_runs_the_checks_and_submits_an_eligible_case(live_server, page, db,
                                                                  make_user):
    consultant = make_user(Role.CONSULTANT, email="conn@example.test")
    case = open_case(consultant, family_name="Okafor")
    _sign_in(page, live_server, "conn@example.test")
    page.goto(f"{live_server}/cases/{case.reference}")

    page.get_by_role("button", name="Run checks").click()
    expect(page.locator(".verdict")).to_contain_text("Incomplete")
    expect(page.locator("#checks")).to_contain_text("Collect bank statements")

    add_verified_deposit(db, case, consultant, "260000.00", clock.today())
    for target in ("Collecting documents", "Ready for review"):
        page.select_option("select[name=target]", label=target)
        page.get_by_role("button", name="Move").click()
        expect(page.locator(".flash-success")).to_contain_text(f"moved to {target}")
    expect(page.locator("#workflow")).to_contain_text("Submission: The latest check run")
    expect(page.locator("select[name=target] option[value=submitted]")).to_have_count(0)

    page.get_by_role("button", name="Run checks").click()
    expect(page.locator(".verdict")).to_contain_text("Eligible")
    page.select_option("select[name=target]", value="submitted")
    page.get_by_role("button", name="Move").click()
    expect(page.locator(".flash-success")).to_contain_text("moved to Submitted to ImmD")
    expect(page.locator("#workflow h2")).to_have_text("Status: Submitted to ImmD")
