"""What a consultant does in a real browser: sign in, find a case, edit it."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from caseapp.models import Role
from tests.factories import open_case

pytestmark = pytest.mark.browser


def _sign_in(page, base_url, email, password="password-123"):
    page.goto(f"{base_url}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")


def test_consultant_signs_in_opens_a_case_and_edits_the_applicant(
        live_server, page, db, make_user):
    consultant = make_user(Role.CONSULTANT, email="conn@example.test", name="Connie C")
    other = make_user(Role.CONSULTANT, email="carl@example.test")
    case = open_case(consultant, family_name="Whitfield")
    hidden = open_case(other, family_name="Hidden")

    page.goto(live_server)
    expect(page.locator("h1")).to_have_text("Sign in")
    _sign_in(page, live_server, "conn@example.test")
    expect(page.locator("h1")).to_have_text("My cases")
    expect(page.get_by_role("link", name=case.reference)).to_be_visible()
    expect(page.get_by_text(hidden.reference)).to_have_count(0)

    page.get_by_role("link", name=case.reference).click()
    expect(page.locator("h1")).to_contain_text("Whitfield")
    page.get_by_role("link", name="Edit applicant").click()
    page.fill("input[name=phone]", "6100 1234")  # no country code: a Hong Kong number
    page.select_option("select[name=nationality]", "GBR")
    page.get_by_role("button", name="Save applicant").click()
    expect(page.get_by_text("Applicant saved.")).to_be_visible()
    expect(page.locator("dl.facts")).to_contain_text("United Kingdom")
    # Stored as E.164 (+85261001234), shown as "+852 6100 1234" through the phone filter.
    expect(page.locator("dl.facts")).to_contain_text(re.compile(r"\+852 ?6100 ?1234"))


def test_form_errors_show_beside_the_fields(live_server, page, db, make_user):
    make_user(Role.CONSULTANT, email="conn@example.test")
    _sign_in(page, live_server, "conn@example.test")
    page.get_by_role("link", name="New case").first.click()
    page.fill("input[name=given_name]", "Ana")
    page.get_by_role("button", name="Open case").click()
    expect(page.get_by_text("Nothing was saved")).to_be_visible()
    expect(page.locator(".field.has-error input[name=family_name]")).to_have_count(1)
    expect(page.locator("input[name=given_name]")).to_have_value("Ana")
