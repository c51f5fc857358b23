"""The API documentation in a real browser: Swagger UI from the app's own files, no CDN."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_the_docs_page_lists_the_operations_from_files_the_app_serves(live_server, page):
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(f"{live_server}/api/v1/docs")
    expect(page.get_by_text("caseapp API").first).to_be_visible()
    cases = page.locator(".opblock-summary-path", has_text="/api/v1/cases/{reference}/deposits")
    expect(cases.first).to_be_visible()
    assert requested and all(url.startswith(live_server) for url in requested), requested
