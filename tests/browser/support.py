"""What the browser tests share: signing in, named screenshots, axe-core, focus and target-size
checks, and a watch on Content-Security-Policy reports."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, expect

from tests.browser.conftest import ARTIFACTS

AXE = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
PASSWORD = "password-123"
MIN_TARGET = 24  # CSS px, WCAG 2.2 AA 2.5.8 (target size, minimum)

CSP_REPORT = re.compile(r"Content[- ]Security[- ]Policy", re.IGNORECASE)


@dataclass
class ConsoleWatch:
    """Every console message and uncaught error of the pages it watches."""

    messages: list[str] = field(default_factory=list)

    def watch(self, page: Page) -> Page:
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.messages.append(f"pageerror: {error}"))
        return page

    def _console(self, message: ConsoleMessage) -> None:
        self.messages.append(f"{message.type}: {message.text}")

    def csp_violations(self) -> list[str]:
        return [m for m in self.messages if CSP_REPORT.search(m)]


def new_page(browser: Browser, viewport: dict[str, int] = DESKTOP,
             **options: Any) -> tuple[BrowserContext, Page]:
    context = browser.new_context(viewport=viewport, **options)
    page = context.new_page()
    page.set_default_timeout(10_000)
    return context, page


def sign_in(page: Page, base_url: str, email: str, password: str = PASSWORD) -> None:
    page.goto(f"{base_url}/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def shot(page: Page, name: str) -> Path:
    """A full-page screenshot kept under test-artifacts/ as ``<name>.png``."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


# ---- accessibility -----------------------------------------------------------------------------

@cache
def axe_source() -> str:
    return AXE.read_text(encoding="utf-8")


def axe_violations(page: Page, impacts: tuple[str, ...] = ("serious", "critical")) -> list[dict]:
    """axe-core's violations of the given impacts on the page as it is now."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        # Not page.add_script_tag: that adds an inline <script>, which the app's CSP rightly
        # blocks (and reports). Evaluating through the DevTools protocol is not page script.
        page.evaluate(axe_source() + "\n;typeof window.axe")
    results = page.evaluate(
        "async () => await axe.run(document, {resultTypes: ['violations']})")
    return [v for v in results["violations"] if v.get("impact") in impacts]


def describe_violations(where: str, violations: list[dict]) -> str:
    lines = [f"axe-core on {where}: {len(violations)} serious or critical violation(s)"]
    for violation in violations:
        lines.append(f"- [{violation['impact']}] {violation['id']}: {violation['help']}"
                     f" ({violation['helpUrl']})")
        for node in violation["nodes"][:8]:
            target = " ".join(json.dumps(t) if not isinstance(t, str) else t
                              for t in node["target"])
            lines.append(f"    at {target}")
            lines.append(f"       {node['html'][:200]}")
            summary = (node.get("failureSummary") or "").replace("\n", " / ")
            if summary:
                lines.append(f"       {summary[:300]}")
        if len(violation["nodes"]) > 8:
            lines.append(f"    … and {len(violation['nodes']) - 8} more")
    return "\n".join(lines)


def assert_accessible(page: Page, where: str) -> None:
    violations = axe_violations(page)
    assert not violations, describe_violations(where, violations)


# ---- phone width -------------------------------------------------------------------------------

def horizontal_overflow(page: Page) -> int:
    """How many CSS px the page is wider than the viewport (0 when it fits)."""
    return page.evaluate(
        "Math.max(0, document.documentElement.scrollWidth - window.innerWidth)")


SMALL_TARGETS_JS = """(minimum) => {
  const found = [];
  const selector = 'a[href], button, input:not([type=hidden]), select, textarea, summary';
  for (const el of document.querySelectorAll('main ' + selector.split(', ').join(', main '))) {
    if (el.closest('svg')) continue;  // chart bars: links drawn at the chart's own scale
    const box = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    if (box.width === 0 || box.height === 0 || style.visibility === 'hidden') continue;
    if (el.closest('details:not([open])') && el.tagName !== 'SUMMARY') continue;
    if (box.width < minimum || box.height < minimum) {
      const text = (el.innerText || el.value || el.name || el.getAttribute('aria-label') || '')
        .trim().slice(0, 40);
      const size = `${box.width.toFixed(1)}x${box.height.toFixed(1)}`;
      found.push(`${el.tagName.toLowerCase()} "${text}" ${size}`);
    }
  }
  return found;
}"""


def small_targets(page: Page, minimum: int = MIN_TARGET) -> list[str]:
    """The visible controls in main smaller than ``minimum`` CSS px either way."""
    return page.evaluate(SMALL_TARGETS_JS, minimum)


def assert_fits_a_phone(page: Page, where: str) -> None:
    overflow = horizontal_overflow(page)
    assert overflow == 0, f"{where} is {overflow} px wider than the phone's 390 px"
    small = small_targets(page)
    assert not small, f"{where}: targets under {MIN_TARGET} px: " + "; ".join(small)


# ---- keyboard ----------------------------------------------------------------------------------

FOCUS_JS = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const style = getComputedStyle(el);
  const outline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0;
  const shadow = style.boxShadow && style.boxShadow !== 'none';
  const text = (el.innerText || el.value || el.getAttribute('aria-label') || el.name || '').trim();
  return {tag: el.tagName.toLowerCase(), name: el.getAttribute('name'), type: el.type || null,
          text: text.slice(0, 80), id: el.id, visible: Boolean(outline || shadow)};
}"""


def focused(page: Page) -> dict | None:
    return page.evaluate(FOCUS_JS)


def tab_to(page: Page, matches: Any, limit: int = 120, backwards: bool = False) -> dict:
    """Press Tab (or Shift+Tab) until the focused element satisfies ``matches``; every stop on
    the way must show a visible focus indicator."""
    key = "Shift+Tab" if backwards else "Tab"
    for _ in range(limit):
        page.keyboard.press(key)
        now = focused(page)
        if now is None:
            continue
        assert now["visible"], f"no visible focus indicator on {now}"
        if matches(now):
            return now
    raise AssertionError(f"pressed {key} {limit} times without reaching the element")


def by_text(text: str) -> Any:
    return lambda element: element["text"] == text


def by_name(name: str) -> Any:
    return lambda element: element["name"] == name
