"""The whole journey in a real browser, as issue 11 tells it: a consultant opens a case, meets a
form error and fixes it, adds a spouse and a child, uploads a bank statement, records the
deposit it shows, runs the checks and sends the case for review; a manager verifies the deposit
(four-eyes: not whoever recorded it), reviews, filters the list, exports it and reassigns the
case; an admin creates a user (who must then choose a password) and resets another's password.
Each main page is photographed (test-artifacts/journey-*.png) and checked by axe-core (no
serious or critical violation), and no page reports a Content-Security-Policy violation."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from caseapp import clock
from caseapp.models import Role
from tests.browser.support import (
    ConsoleWatch,
    assert_accessible,
    new_page,
    shot,
    sign_in,
)
from tests.factories import open_case, pdf_statement

pytestmark = pytest.mark.browser


def look(page: Page, name: str) -> None:
    """A main page: photographed and checked for accessibility."""
    page.wait_for_load_state("load")
    shot(page, f"journey-{name}")
    assert_accessible(page, name)


def move_case(page: Page, target: str) -> None:
    page.get_by_label("Move to").select_option(label=target)
    page.get_by_role("button", name="Move", exact=True).click()
    expect(page.locator(".flash-success")).to_contain_text(f"moved to {target}")


def test_a_case_from_opening_to_review_export_and_reassignment(
        live_server: str, page: Page, browser: Browser, db, make_user, tmp_path: Path) -> None:
    make_user(Role.CONSULTANT, email="conn@example.test", name="Connie Chan")
    make_user(Role.CONSULTANT, email="carl@example.test", name="Carl Consultant")
    make_user(Role.MANAGER, email="mona@example.test", name="Mona Manager")
    make_user(Role.ADMIN, email="ada@example.test", name="Ada Admin")
    console = ConsoleWatch()
    console.watch(page)
    statement_day = (clock.today() - timedelta(days=7)).isoformat()

    # ---- the consultant ---------------------------------------------------------------------
    sign_in(page, live_server, "conn@example.test")
    expect(page.locator("h1")).to_have_text("My cases")
    look(page, "case-list-empty")

    page.get_by_role("link", name="New case").first.click()
    page.get_by_label("Given name(s)").fill("Tai Man")
    page.get_by_label("Chinese name").fill("陳大文")
    page.get_by_label("Date of birth").fill("1988-02-29")
    page.get_by_label("Email").fill("not-an-address")
    page.get_by_role("button", name="Open case").click()
    expect(page.get_by_text("Nothing was saved")).to_be_visible()
    expect(page.locator(".field.has-error input[name=family_name]")).to_have_count(1)
    expect(page.locator(".field.has-error input[name=email]")).to_have_count(1)
    expect(page.get_by_label("Chinese name")).to_have_value("陳大文")
    look(page, "applicant-form-with-errors")

    page.get_by_label("Family name").fill("Chan")
    page.get_by_label("Email").fill("taiman.chan@example.com")
    page.get_by_label("Nationality").select_option("CAN")
    page.get_by_role("button", name="Open case").click()
    expect(page.locator(".flash-success")).to_contain_text("opened")
    expect(page.locator("h1")).to_contain_text("陳大文")
    reference = page.locator("h1").inner_text().split(" · ")[0].strip()
    assert re.fullmatch(r"[A-Z0-9-]+", reference), reference

    page.get_by_role("link", name="Add dependant").click()
    page.get_by_label("Relationship to the applicant").select_option(label="Spouse")
    page.get_by_label("Given name(s)").fill("Siu Ling")
    page.get_by_label("Family name").fill("Wong")
    page.get_by_label("Marital status").select_option(label="Married")
    page.get_by_label("Spouse holds a bachelor's degree or above").select_option(label="Yes")
    look(page, "dependant-form")
    page.get_by_role("button", name="Add dependant").click()
    expect(page.locator(".flash-success")).to_be_visible()

    page.get_by_role("link", name="Add dependant").click()
    page.get_by_label("Relationship to the applicant").select_option(label="Child")
    page.get_by_label("Given name(s)").fill("Ka Ho")
    page.get_by_label("Family name").fill("Chan")
    page.get_by_label("Date of birth").fill((clock.today() - timedelta(days=365 * 9)).isoformat())
    page.get_by_label("Marital status").select_option(label="Single")
    page.get_by_role("button", name="Add dependant").click()
    expect(page.locator(".flash-success")).to_be_visible()
    dependants = page.locator("section.panel", has=page.get_by_role("heading", name="Dependants"))
    expect(dependants.locator("tbody tr")).to_have_count(2)

    # A bank statement first, so the deposit can name it (verifying needs it linked).
    page.get_by_role("link", name="Upload document").click()
    page.get_by_label("Kind of document").select_option(label="Bank statement")
    page.get_by_label("File").set_input_files(files=[{
        "name": "hsbc-statement.pdf", "mimeType": "application/pdf",
        "buffer": pdf_statement("HSBC statement")}])
    look(page, "upload-form")
    page.get_by_role("button", name="Upload").click()
    expect(page.locator(".flash-success")).to_be_visible()
    expect(page.locator("#documents table.documents")).to_contain_text("hsbc-statement.pdf")

    page.get_by_role("link", name="Record deposit evidence").click()
    page.get_by_label("Statement date").fill(statement_day)
    page.get_by_label("Bank", exact=True).fill("HSBC")
    page.get_by_label("Account holder").fill("Chan Tai Man")
    page.get_by_label("Currency").select_option("HKD")
    page.get_by_label("Amount").fill("600,000.00")
    statement = page.get_by_label("Bank statement (uploaded document)")
    statement.select_option(statement.locator("option", has_text="hsbc-statement.pdf")
                            .get_attribute("value"))
    look(page, "deposit-form")
    page.get_by_role("button", name="Record deposit evidence").click()
    expect(page.locator(".flash-success")).to_be_visible()
    deposits = page.locator("#deposits table.deposits")
    expect(deposits).to_contain_text("600,000.00")
    expect(deposits.get_by_role("button", name="Verify")).to_have_count(0)  # four-eyes

    page.get_by_role("button", name="Run checks").click()
    expect(page.locator("#checks .verdict")).to_be_visible()
    look(page, "checks-result")

    move_case(page, "Collecting documents")
    move_case(page, "Ready for review")
    expect(page.locator("#submission")).to_contain_text("A manager who is not the case's")
    look(page, "case-page-consultant")

    # ---- the manager, in a browser of their own ---------------------------------------------
    manager_context, manager = new_page(browser)
    console.watch(manager)
    try:
        sign_in(manager, live_server, "mona@example.test")
        manager.goto(f"{live_server}/cases/{reference}")
        deposit_row = manager.locator("#deposits table.deposits tbody tr").first
        deposit_row.get_by_role("button", name="Verify").click()
        expect(manager.locator(".flash-success")).to_contain_text("Deposit evidence verified")
        expect(manager.locator("#deposits")).to_contain_text("Verified")

        manager.get_by_role("link", name="Review: approve or return").click()
        expect(manager.locator("h1")).to_contain_text("Review")
        look(manager, "review-form")
        manager.get_by_label("Approve for submission").check()
        manager.get_by_label("Comment").fill("Deposit verified against the original statement.")
        manager.get_by_role("button", name="Record the review").click()
        expect(manager.locator(".flash-success")).to_contain_text("approved for submission")
        look(manager, "case-page-manager")

        manager.get_by_role("link", name="Dashboard").click()
        expect(manager.locator("h1")).to_have_text("Dashboard")
        look(manager, "dashboard")

        # The list, filtered from the dashboard to Connie's open cases.
        connie = manager.locator("table.dashboard-table tbody tr", has_text="Connie Chan")
        connie.locator("td[data-label=Open] a").click()
        expect(manager).to_have_url(re.compile(r"consultant=\d+"))
        expect(manager.locator("table.cases tbody tr")).to_have_count(1)
        expect(manager.locator("table.cases")).to_contain_text(reference)
        look(manager, "case-list-filtered")

        with manager.expect_download() as download_info:
            manager.get_by_role("link", name="Export CSV").click()
        download = download_info.value
        saved = tmp_path / download.suggested_filename
        download.save_as(saved)
        assert saved.suffix == ".csv"
        exported = list(csv.reader(io.StringIO(saved.read_text(encoding="utf-8-sig"))))
        assert len(exported) == 2 and any(reference in cell for cell in exported[1])
        content_type = manager.evaluate(
            "async (url) => (await fetch(url)).headers.get('content-type')", download.url)
        assert content_type.startswith("text/csv")

        manager.get_by_label(f"Select {reference}").check()
        manager.locator("#reassign-consultant").select_option(label="Carl Consultant")
        manager.get_by_label("Reason").fill("Connie is on leave next month")
        manager.get_by_role("button", name="Reassign selected").click()
        expect(manager.locator(".flash-success")).to_contain_text("Carl Consultant")
        expect(manager.locator("table.cases")).to_have_count(0)  # no longer Connie's

        manager.goto(f"{live_server}/cases/{reference}")
        expect(manager.locator(".page-head")).to_contain_text("Consultant Carl Consultant")

    finally:
        manager_context.close()

    # The consultant no longer sees it among their cases.
    page.goto(live_server)
    expect(page.get_by_text(reference)).to_have_count(0)

    # ---- an admin creates a user and resets a password --------------------------------------
    admin_context, admin = new_page(browser)
    console.watch(admin)
    try:
        sign_in(admin, live_server, "ada@example.test")
        admin.get_by_role("navigation", name="Main").get_by_role("link", name="Users").click()
        expect(admin.locator("h1")).to_contain_text("Users")
        look(admin, "admin-users")
        admin.get_by_role("link", name="New user").click()
        admin.get_by_label("Email").fill("wing.lee@example.test")
        admin.get_by_label("Name").fill("李詠詩 Wing Sze Lee")
        admin.get_by_label("Role").select_option(label="Consultant")
        look(admin, "admin-new-user")
        admin.get_by_role("button", name="Create user").click()
        expect(admin.locator("h1")).to_contain_text("can sign in")
        temporary = admin.get_by_role("textbox", name="Temporary password").input_value()
        assert len(temporary) >= 10
        look(admin, "admin-user-created")

        admin.get_by_role("navigation", name="Main").get_by_role("link", name="Users").click()
        admin.get_by_role("link", name="Carl Consultant").click()
        admin.get_by_role("link", name="Reset the password…").click()
        look(admin, "admin-reset-password")
        admin.get_by_role("button", name="Reset the password").click()
        reset_to = admin.get_by_role("textbox", name="Temporary password").input_value()
        assert reset_to and reset_to != temporary
    finally:
        admin_context.close()

    # The new user signs in with the temporary password and must choose their own first.
    newcomer_context, newcomer = new_page(browser)
    console.watch(newcomer)
    try:
        sign_in(newcomer, live_server, "wing.lee@example.test", temporary)
        expect(newcomer.locator("h1")).to_contain_text("Change your password")
        look(newcomer, "change-password-forced")
    finally:
        newcomer_context.close()

    violations = console.csp_violations()
    assert not violations, "Content-Security-Policy violations:\n" + "\n".join(violations)


def test_applying_the_filter_form_with_the_stale_box_empty_keeps_fresh_cases(
        live_server: str, page: Page, make_user) -> None:
    consultant = make_user(Role.CONSULTANT, email="conn@example.test", name="Connie Chan")
    make_user(Role.MANAGER, email="mona@example.test")
    case = open_case(consultant, family_name="Fresh")
    sign_in(page, live_server, "mona@example.test")
    expect(page.locator("table.cases")).to_contain_text(case.reference)
    page.get_by_text("Filters").click()
    page.get_by_label("Intake").check()
    page.get_by_role("button", name="Apply").click()
    expect(page).to_have_url(re.compile(r"status=intake"))
    expect(page.locator("table.cases")).to_contain_text(case.reference, timeout=2_000)
