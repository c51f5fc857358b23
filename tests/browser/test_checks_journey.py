"""Running the checks, readying a case, and a manager's review and submission, in a real
browser."""

from __future__ import annotations

import io

import pytest
from playwright.sync_api import expect

from caseapp import clock
from caseapp.models import DocumentKind, Role
from caseapp.services import documents as document_service
from caseapp.services.cases import VersionCheck
from tests.browser.test_consultant_journey import _sign_in
from tests.factories import open_case
from tests.services.test_checks import add_verified_deposit
from tests.services.test_documents import pdf_bytes

pytestmark = pytest.mark.browser

ALL_BUT_POLICE = (DocumentKind.PASSPORT, DocumentKind.PHOTO, DocumentKind.DEGREE_CERTIFICATE,
                  DocumentKind.BANK_STATEMENT)


def test_a_consultant_readies_a_case_and_a_manager_reviews_and_submits_it(
        live_server, page, browser, db, make_user):
    consultant = make_user(Role.CONSULTANT, email="conn@example.test")
    make_user(Role.MANAGER, email="mona@example.test", name="Mona M")
    case = open_case(consultant, family_name="Okafor")
    _sign_in(page, live_server, "conn@example.test")
    page.goto(f"{live_server}/cases/{case.reference}")

    page.get_by_role("button", name="Run checks").click()
    expect(page.locator(".verdict")).to_contain_text("Incomplete")
    expect(page.locator("#checks")).to_contain_text("Collect bank statements")

    add_verified_deposit(db, case, consultant, "260000.00", clock.today())
    for kind in ALL_BUT_POLICE:
        document_service.upload_document(consultant, case, kind, f"{kind.value}.pdf",
                                         io.BytesIO(pdf_bytes(kind.value)), VersionCheck.SKIP)
    page.reload()  # the uploads moved the case's version on
    for target in ("Collecting documents", "Ready for review"):
        page.select_option("select[name=target]", label=target)
        page.get_by_role("button", name="Move").click()
        expect(page.locator(".flash-success")).to_contain_text(f"moved to {target}")
    expect(page.locator("select[name=target] option[value=submitted]")).to_have_count(0)
    page.get_by_role("button", name="Run checks").click()
    expect(page.locator(".verdict")).to_contain_text("Eligible")
    gates = page.locator("#submission .gates")
    expect(gates.locator("[data-gate=review]")).to_contain_text("No manager has approved")
    expect(gates.locator("[data-gate=documents]")).to_contain_text(
        "Missing: Police certificate of")
    expect(page.locator("#submission")).not_to_contain_text("Submit to ImmD")

    manager_context = browser.new_context(viewport={"width": 1280, "height": 900})
    manager = manager_context.new_page()
    manager.set_default_timeout(10_000)
    try:
        _sign_in(manager, live_server, "mona@example.test")
        manager.goto(f"{live_server}/cases/{case.reference}#submission")
        manager.get_by_role("link", name="Review: approve or return").click()
        manager.get_by_label("Approve for submission").check()
        manager.get_by_label("Comment").fill("Originals seen; police certificate follows.")
        manager.get_by_role("button", name="Record the review").click()
        expect(manager.locator(".flash-success")).to_contain_text("approved for submission")
        expect(manager.locator("#submission [data-gate=review]")).to_contain_text(
            "Approved by Mona M")

        manager.get_by_role("link", name="Submit to ImmD").click()
        manager.get_by_label("ImmD file number").fill("QMAS/2026/004242")
        manager.get_by_role("button", name="Record the submission").click()
        expect(manager.locator(".flash-error")).to_contain_text(
            "Not ready to submit: Missing: Police certificate of")
        expect(manager.get_by_label("ImmD file number")).to_have_value("QMAS/2026/004242")
        manager.get_by_label("Override the failing gates").check()
        manager.get_by_label("Reason for the override").fill(
            "Police certificate lodged in person by the client.")
        manager.get_by_role("button", name="Record the submission").click()
        expect(manager.locator(".flash-success")).to_contain_text("submitted to ImmD on")
        expect(manager.locator("#workflow h2")).to_have_text("Status: Submitted to ImmD")
        expect(manager.locator("#submission")).to_contain_text(
            f"As submitted on {clock.today().isoformat()}")
        expect(manager.locator("#submission .overrides")).to_contain_text(
            "Police certificate lodged in person by the client.")
        manager.get_by_role("link", name="View the package").click()
        expect(manager.locator("h1")).to_contain_text("Application submitted")
    finally:
        manager_context.close()

    page.reload()
    expect(page.locator(".flash-info")).to_contain_text("read-only, as sent")
    expect(page.get_by_role("link", name="Edit applicant")).to_have_count(0)
