"""The consultant's journey with the keyboard alone (Tab, Shift+Tab, Enter, Space and typing):
sign in, open a case, meet an error on the applicant form and fix it, add a dependant. Every
element the focus stops on shows a visible focus indicator."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from caseapp.models import Role
from tests.browser.support import (
    PASSWORD,
    ConsoleWatch,
    by_name,
    by_text,
    focused,
    shot,
    tab_to,
)
from tests.factories import open_case

pytestmark = pytest.mark.browser


def type_into(page: Page, text: str) -> None:
    page.keyboard.press("Control+A")
    page.keyboard.press("Backspace")
    page.keyboard.type(text)


def test_a_consultant_completes_the_journey_with_the_keyboard_alone(
        live_server: str, page: Page, make_user) -> None:
    consultant = make_user(Role.CONSULTANT, email="conn@example.test", name="Connie Chan")
    case = open_case(consultant, family_name="Whitfield", given_name="Ana")
    console = ConsoleWatch()
    console.watch(page)

    page.goto(f"{live_server}/login")
    tab_to(page, by_name("email"))
    page.keyboard.type("conn@example.test")
    tab_to(page, by_name("password"))
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text("My cases")

    tab_to(page, by_text(case.reference))
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_contain_text("Whitfield")

    tab_to(page, by_text("Edit applicant"))
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_contain_text("Applicant")

    # Emptying a required field and pressing Enter in it submits the form: an error.
    tab_to(page, by_name("family_name"))
    type_into(page, "")
    page.keyboard.press("Enter")
    expect(page.get_by_text("Nothing was saved")).to_be_visible()
    expect(page.locator(".field.has-error input[name=family_name]")).to_have_count(1)
    shot(page, "keyboard-applicant-form-error")

    tab_to(page, by_name("family_name"))
    page.keyboard.type("Whitfield-Lam")
    page.keyboard.press("Enter")
    expect(page.get_by_text("Applicant saved.")).to_be_visible()
    expect(page.locator("h1")).to_contain_text("Whitfield-Lam")

    tab_to(page, by_text("Add dependant"))
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_contain_text("Add dependant")
    tab_to(page, by_name("relation"))
    page.keyboard.type("Child")  # a closed select chooses the option typed
    tab_to(page, by_name("family_name"))
    page.keyboard.type("Whitfield-Lam")
    tab_to(page, by_name("given_name"), backwards=True)
    page.keyboard.type("陳小明")  # typed text, not keys: the CJK name arrives whole
    tab_to(page, by_name("marital_status"))
    page.keyboard.type("Single")
    button = tab_to(page, by_text("Add dependant"))
    assert button["tag"] == "button"
    shot(page, "keyboard-dependant-form")
    page.keyboard.press("Space")
    expect(page.locator(".flash-success")).to_be_visible()
    dependants = page.locator("section.panel", has=page.get_by_role("heading", name="Dependants"))
    expect(dependants.locator("tbody tr")).to_have_count(1)
    expect(dependants).to_contain_text("陳小明 Whitfield-Lam")
    expect(dependants).to_contain_text("Child")

    # Back to the list with Shift+Tab from the page's first heading link.
    tab_to(page, by_text("My cases"), backwards=True)
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text("My cases")
    assert focused(page) is None or focused(page)["visible"]
    assert not console.csp_violations(), console.csp_violations()
