"""At a phone's width (390 x 844 CSS px) every page fits without scrolling sideways, tables
stack into labelled rows, every control in the page's main part is at least 24 x 24 px (WCAG
2.2 AA target size) and the deposit's Verify button is on the screen. Each page is photographed
as test-artifacts/phone-*.png."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect

from caseapp.models import Role
from caseapp.rules.vocab import MaritalStatus, Relationship
from caseapp.services import cases as case_service
from caseapp.services.cases import VersionCheck
from tests.browser.support import PHONE, assert_fits_a_phone, new_page, shot, sign_in
from tests.factories import dependant_values, open_case, record_linked_deposit

pytestmark = pytest.mark.browser

PHONE_OPTIONS = {"is_mobile": True, "has_touch": True, "device_scale_factor": 2}


def check(page: Page, name: str) -> None:
    page.wait_for_load_state("load")
    shot(page, f"phone-{name}")
    assert_fits_a_phone(page, name)


def test_the_lists_the_case_page_the_forms_and_the_dashboard_fit_a_phone(
        live_server: str, browser: Browser, db, make_user) -> None:
    consultant = make_user(Role.CONSULTANT, email="conn@example.test", name="Connie Chan")
    make_user(Role.MANAGER, email="mona@example.test", name="Mona Manager")
    make_user(Role.ADMIN, email="ada@example.test", name="Ada Admin")
    case = open_case(consultant, family_name="Chan", given_name="Tai Man",
                     chinese_name="陳大文", email="a.very.long.address.for.wrapping@example.com")
    case_service.add_dependant(consultant, case, dependant_values(
        relation=Relationship.SPOUSE, given_name="Siu Ling", family_name="Wong",
        marital_status=MaritalStatus.MARRIED, date_of_birth=None), VersionCheck.SKIP)
    child = case_service.add_dependant(consultant, case, dependant_values(
        given_name="Ka Ho", family_name="Chan"), VersionCheck.SKIP)
    evidence = record_linked_deposit(consultant, case)
    for other in range(3):
        open_case(consultant, family_name=f"Lee{other}", given_name="Wing Sze")
    reference = case.reference

    context, page = new_page(browser, PHONE, **PHONE_OPTIONS)
    try:
        sign_in(page, live_server, "mona@example.test")
        check(page, "case-list-manager")
        page.get_by_text("Filters").click()
        check(page, "case-list-filters-open")

        page.get_by_role("link", name=reference).click()
        expect(page.locator("#deposits")).to_contain_text("HSBC")
        check(page, "case-page-manager")
        verify = page.locator(f"#deposit-{evidence.id}").get_by_role("button", name="Verify")
        box = verify.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
        verify.scroll_into_view_if_needed()
        verify.click()
        expect(page.locator(".flash-success")).to_contain_text("Deposit evidence verified")

        page.get_by_role("link", name="Dashboard").click()
        expect(page.locator("h1")).to_have_text("Dashboard")
        check(page, "dashboard")
    finally:
        context.close()

    context, page = new_page(browser, PHONE, **PHONE_OPTIONS)
    try:
        sign_in(page, live_server, "conn@example.test")
        check(page, "case-list-consultant")
        page.get_by_role("link", name=reference).click()
        expect(page.locator("h1")).to_contain_text("陳大文")
        check(page, "case-page-consultant")
        for name, path in [
            ("applicant-form", f"/cases/{reference}/applicant"),
            ("new-case-form", "/cases/new"),
            ("dependant-form", f"/cases/{reference}/dependants/{child.id}"),
            ("deposit-form", f"/cases/{reference}/deposits/new"),
            ("upload-form", f"/cases/{reference}/documents/upload"),
        ]:
            response = page.goto(f"{live_server}{path}")
            assert response is not None and response.ok, path
            expect(page.locator("main form").first).to_be_visible()
            check(page, name)
        page.goto(f"{live_server}/cases/new")
        page.get_by_role("button", name="Open case").click()
        expect(page.get_by_text("Nothing was saved")).to_be_visible()
        check(page, "new-case-form-with-errors")
    finally:
        context.close()

    context, page = new_page(browser, PHONE, **PHONE_OPTIONS)
    try:
        sign_in(page, live_server, "ada@example.test")
        for name, path in [("admin-rates", "/admin/rates"),
                           ("admin-rule-sets", "/admin/rule-sets"),
                           ("admin-users", "/admin/users"),
                           ("admin-user", f"/admin/users/{consultant.id}"),
                           ("admin-user-edit", f"/admin/users/{consultant.id}/edit"),
                           ("admin-new-user", "/admin/users/new"),
                           ("audit", "/manage/audit"),
                           ("audit-filtered", f"/manage/audit?case={reference}"),
                           ("profile", "/profile/"),
                           ("change-password", "/profile/password")]:
            response = page.goto(f"{live_server}{path}")
            assert response is not None and response.ok, path
            check(page, name)
    finally:
        context.close()
