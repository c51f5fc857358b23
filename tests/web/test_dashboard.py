"""The managers' dashboard: who may see it, that every number is exactly the cases its link
lists, what needs attention, the charts, and a statement count that does not grow with the
data."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import url_for
from sqlalchemy import update
from werkzeug.datastructures import MultiDict

from caseapp import clock
from caseapp.models import Case, ReviewOutcome, Role, StatusChange
from caseapp.queries.case_filters import CaseFilters, parse_filters
from caseapp.queries.case_list import count_cases
from caseapp.queries.dashboard import MonthRange
from caseapp.rules.workflow import CaseStatus
from caseapp.services import users as user_service
from caseapp.services.checks import run_checks
from caseapp.services.submission import review_case, submit_case
from caseapp.services.workflow import move_status
from caseapp.web.charts import Group, bar_chart, column_chart, nice_scale, shorten
from tests import factories
from tests.factories import open_case

S = CaseStatus


# ---- reading the page -----------------------------------------------------------------------

@dataclass
class Link:
    href: str
    count: int
    label: str


@dataclass
class PageLinks(HTMLParser):
    """The dashboard's counted links (``data-count``) and every link's href."""

    counted: list[Link] = field(default_factory=list)
    hrefs: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag != "a":
            return
        values = dict(attrs)
        href = values.get("href") or ""
        self.hrefs.append(href)
        if values.get("data-count") is not None:
            self.counted.append(Link(href, int(values["data-count"] or 0),
                                     values.get("aria-label") or ""))


def page_links(page: str) -> PageLinks:
    parser = PageLinks()
    parser.feed(page)
    return parser


def listed_references(page: str) -> set[str]:
    """The cases a list page shows, by the links to their pages."""
    return set(re.findall(r'href="/cases/([A-Z]{2}-[0-9]{4}-[0-9]+)"', page))


def filters_of(app, href: str):
    query = urlsplit(href).query
    args = MultiDict([(k, v) for k, values in parse_qs(query, keep_blank_values=True).items()
                      for v in values])
    parsed = parse_filters(args)
    assert not parsed.errors, (href, parsed.errors)
    return parsed.filters


def dashboard_page(client) -> str:
    response = client.get("/manage/")
    assert response.status_code == 200
    return response.get_data(as_text=True)


# ---- building the data ----------------------------------------------------------------------

def now() -> datetime:
    return datetime.now(UTC)


def move(actor, case, *targets: CaseStatus, reason: str = "") -> None:
    for target in targets:
        move_status(actor, case, target, reason or ("Because." if target in (
            S.ON_HOLD, S.WITHDRAWN, S.REFUSED) else ""), case.version)


def submit(manager, case) -> None:
    """Through the review, past the failing gates with the manager's override."""
    move(manager, case, S.COLLECTING_DOCUMENTS, S.READY_FOR_REVIEW)
    review_case(manager, case, ReviewOutcome.APPROVED, "Checked.", case.version)
    submit_case(manager, case, f"QMAS/2026/{case.id:06d}", clock.today(), case.version,
                override=True, reason="The client's bank letter is on its way.")


def verified_deposit(consultant, manager, case, hkd: str = "300000.00") -> None:
    # Four-eyes: recorded (with its uploaded statement) by the consultant, verified by another.
    factories.verified_deposit(consultant, manager, case, factories.hkd_statement(hkd))


def set_columns(db, case, **values) -> None:
    db.session.execute(update(Case).where(Case.id == case.id).values(**values),
                       execution_options={"synchronize_session": False})
    db.session.commit()
    db.session.expire_all()


@dataclass
class World:
    cases: dict[str, Case]
    consultants: dict[str, object]


@pytest.fixture
def world(db, make_user, consultant, other_consultant, manager) -> World:
    """Cases at every kind of count: fresh, stale, waiting, submitted and decided this month,
    submitted last month, needing attention, closed, and one of an inactive consultant."""
    connie, carl = consultant, other_consultant
    ivan = make_user(Role.CONSULTANT, name="Ivan Inactive")
    nina = make_user(Role.CONSULTANT, name="Nina Nocases")
    month = MonthRange.of(clock.today())
    c: dict[str, Case] = {}

    c["fresh"] = open_case(connie, family_name="Fresh")
    c["docs_with_deposit"] = open_case(connie, family_name="Deposited")
    move(connie, c["docs_with_deposit"], S.COLLECTING_DOCUMENTS)
    verified_deposit(connie, manager, c["docs_with_deposit"])
    c["stale_review"] = open_case(connie, family_name="Stale")
    move(connie, c["stale_review"], S.COLLECTING_DOCUMENTS, S.READY_FOR_REVIEW)
    set_columns(db, c["stale_review"], updated_at=now() - timedelta(days=30))

    c["approved"] = open_case(carl, family_name="Approved")
    submit(manager, c["approved"])
    move(carl, c["approved"], S.UNDER_ASSESSMENT, S.APPROVED_IN_PRINCIPLE)
    c["refused"] = open_case(carl, family_name="Refused")
    submit(manager, c["refused"])
    move(carl, c["refused"], S.UNDER_ASSESSMENT, S.REFUSED)
    c["submitted_last_month"] = open_case(carl, family_name="Earlier")
    submit(manager, c["submitted_last_month"])
    last_month = datetime.combine(month.first - timedelta(days=3), datetime.min.time(),
                                  tzinfo=UTC)
    db.session.execute(update(StatusChange)
                       .where(StatusChange.case_id == c["submitted_last_month"].id)
                       .values(changed_at=last_month))
    set_columns(db, c["submitted_last_month"], opened_at=last_month - timedelta(days=40))
    c["on_hold"] = open_case(carl, family_name="Paused")
    move(carl, c["on_hold"], S.ON_HOLD)

    # Needs attention: a passport inside the warning window, an eligible check too old.
    c["passport"] = open_case(connie, family_name="Passport",
                              passport_expiry=clock.today() + timedelta(days=40))
    c["old_check"] = open_case(carl, family_name="Checked")
    verified_deposit(carl, manager, c["old_check"])
    assert run_checks(carl, c["old_check"]).verdict == "eligible"
    set_columns(db, c["old_check"], latest_check_at=now() - timedelta(days=12))
    # Closed with the same passport danger: never in the attention list.
    c["closed"] = open_case(connie, family_name="Closed",
                            passport_expiry=clock.today() + timedelta(days=40))
    move(connie, c["closed"], S.WITHDRAWN)

    c["inactive_owner"] = open_case(ivan, family_name="Orphan")
    move(ivan, c["inactive_owner"], S.COLLECTING_DOCUMENTS)
    user_service.set_active(ivan, False)
    db.session.expire_all()
    return World(c, {"connie": connie, "carl": carl, "ivan": ivan, "nina": nina})


# ---- who may see it -------------------------------------------------------------------------

def test_the_dashboard_is_for_managers_and_admins(app, consultant_client, manager_client,
                                                  client_for, admin):
    with app.test_request_context():
        assert url_for("manage.dashboard") == "/manage/"
    assert consultant_client.get("/manage/").status_code == 403
    anonymous = app.test_client().get("/manage/")
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    assert manager_client.get("/manage/").status_code == 200
    assert client_for(admin).get("/manage/").status_code == 200


# ---- every number is the cases its link lists -----------------------------------------------

def test_every_number_is_exactly_the_cases_its_link_lists(app, world, manager,
                                                          manager_client):
    links = page_links(dashboard_page(manager_client)).counted
    assert len(links) >= 30
    for link in links:
        href = html.unescape(link.href)
        counted, exact = count_cases(manager, filters_of(app, href))
        assert exact and counted == link.count, (href, link.count, counted)
        listed = manager_client.get(href)
        assert listed.status_code == 200, href
        assert len(listed_references(listed.get_data(as_text=True))) == link.count, href


def test_the_numbers_are_the_expected_ones(app, world, manager_client):
    page = dashboard_page(manager_client)
    counted = {filters_of(app, html.unescape(link.href)): link.count
               for link in page_links(page).counted}
    connie, carl = world.consultants["connie"].id, world.consultants["carl"].id
    month = MonthRange.of(clock.today())
    this_month = {"entered_from": month.first, "entered_to": month.last}
    open_statuses = tuple(s for s in S if not s.is_closed)
    stale = app.config["STALE_CASE_DAYS"]

    assert counted[CaseFilters()] == len(world.cases)
    assert counted[CaseFilters(statuses=(S.INTAKE,))] == 3  # fresh, passport, old check
    assert counted[CaseFilters(statuses=(S.COLLECTING_DOCUMENTS,))] == 2
    assert counted[CaseFilters(statuses=(S.WITHDRAWN,))] == 1
    assert counted[CaseFilters(statuses=(S.VISA_ISSUED,))] == 0
    assert counted[CaseFilters(statuses=open_statuses, consultant_ids=(connie,))] == 4
    assert counted[CaseFilters(statuses=open_statuses, consultant_ids=(carl,))] == 4
    assert counted[CaseFilters(statuses=open_statuses)] == 9
    assert counted[CaseFilters(stale_days=stale, consultant_ids=(connie,))] == 1
    assert counted[CaseFilters(waiting="documents", consultant_ids=(connie,))] == 1
    # Pre-submission without verified evidence: fresh, stale review, passport.
    assert counted[CaseFilters(waiting="deposit", consultant_ids=(connie,))] == 3
    assert counted[CaseFilters(entered=(S.SUBMITTED,), consultant_ids=(carl,),
                               **this_month)] == 2
    assert counted[CaseFilters(entered=(S.APPROVED_IN_PRINCIPLE, S.REFUSED),
                               **this_month)] == 2
    assert counted[CaseFilters(entered=(S.APPROVED_IN_PRINCIPLE,), **this_month)] == 1
    assert counted[CaseFilters(attention=True)] == 2
    assert re.search(r'Approval rate</span>\s*<span class="rate">50%</span>', page)
    # Inactive consultants with cases are listed and marked; active ones without cases too.
    assert re.search(r'Ivan Inactive <span class="tag">inactive</span>', page)
    assert "Nina Nocases" in page


def test_without_decisions_the_approval_rate_is_a_dash(app, consultant, manager_client):
    open_case(consultant)
    page = dashboard_page(manager_client)
    rate = re.search(r'Approval rate</span>\s*<span class="rate">([^<]*)</span>', page)
    assert rate and rate.group(1) == "—"


def test_an_empty_database_shows_an_empty_dashboard(app, manager_client):
    page = dashboard_page(manager_client)
    assert "No open case needs attention." in page
    assert "No consultants yet." in page


# ---- needs attention ------------------------------------------------------------------------

def attention_section(page: str) -> str:
    start = page.index('id="attention"')
    return page[start:page.index("</section>", start)]


def test_needs_attention_shows_the_passport_and_the_old_check_but_not_a_closed_case(
        app, world, manager_client):
    section = attention_section(dashboard_page(manager_client))
    passport, old_check = world.cases["passport"], world.cases["old_check"]
    assert listed_references(section) == {passport.reference, old_check.reference}
    assert world.cases["closed"].reference not in section
    expiry = (clock.today() + timedelta(days=40)).isoformat()
    assert f"The applicant&#39;s passport expires on {expiry}" in section
    checked_on = (now() - timedelta(days=12)).astimezone(clock.business_timezone()).date()
    max_age = app.config["SUBMISSION_CHECK_MAX_AGE_DAYS"]
    assert (f"Latest eligible check is from {checked_on.isoformat()}, older than {max_age} "
            "days: run the checks again before submitting.") in section
    assert "all 2 cases needing attention" in section
    # Oldest first: the passport window opened months ago, the check went stale days ago.
    assert section.index(passport.reference) < section.index(old_check.reference)
    assert "Connie Consultant" in section and "Carl Consultant" in section


def test_needs_attention_shows_at_most_twenty(app, db, consultant, manager_client):
    for _ in range(23):
        open_case(consultant, passport_expiry=clock.today() + timedelta(days=20))
    section = attention_section(dashboard_page(manager_client))
    assert len(listed_references(section)) == 20
    assert "all 23 cases needing attention" in section


# ---- charts ---------------------------------------------------------------------------------

def svg(page: str, element_id: str) -> str:
    found = re.search(rf'<svg [^>]*id="{element_id}".*?</svg>', page, re.DOTALL)
    assert found, element_id
    return found.group(0)


def test_the_charts_are_inline_svg_with_a_linked_bar_per_month_and_per_consultant(
        app, world, manager_client):
    page = dashboard_page(manager_client)
    assert "<script" not in page and "style=" not in page and "<style" not in page

    intake = svg(page, "chart-intake")
    assert 'viewBox="0 0 ' in intake and 'width="100%"' in intake
    bars = re.findall(r'<a class="bar" href="([^"]+)">\s*<title>([^<]+)</title>', intake)
    assert len(bars) == 12
    month = MonthRange.of(clock.today())
    href, title = bars[-1]
    assert html.unescape(href) == (f"/?opened_from={month.first.isoformat()}"
                                   f"&opened_to={month.last.isoformat()}")
    opened_now = len(world.cases) - 1  # one was opened two months ago
    assert title.endswith(f": {opened_now} cases")
    assert re.search(r'<rect class="seg seg-intake"[^>]*><title>[^<]*Intake: 3</title>', intake)
    for _, title in bars[:-3]:
        assert title.endswith(": 0 cases")

    workload = svg(page, "chart-workload")
    rows = re.findall(r'<a class="bar" href="([^"]+)">\s*<title>([^<]+)</title>', workload)
    titles = [t for _, t in rows]
    # Busiest first; the inactive consultant with an open case stays, Nina with none too.
    assert titles[:2] == ["Carl Consultant: 4 open cases", "Connie Consultant: 4 open cases"]
    assert "Ivan Inactive (inactive): 1 open case" in titles
    assert "Nina Nocases: 0 open cases" in titles
    carl = world.consultants["carl"].id
    assert html.unescape(rows[0][0]).endswith(f"&consultant={carl}")
    assert 'class="legend"' in page


def test_column_chart_stacks_segments_in_key_order_from_the_baseline() -> None:
    chart = column_chart([Group("Jan", {"b": 2, "a": 3}), Group("Feb", {})], ["a", "b"],
                         width=400, height=220)
    top, step = nice_scale(5)
    assert (top, step) == (5, 1)
    jan, feb = chart.groups
    a, b = jan.segments
    assert (a.key, b.key) == ("a", "b")
    assert a.y + a.height == pytest.approx(chart.bottom)
    assert b.y + b.height == pytest.approx(a.y)
    assert a.height == pytest.approx((chart.bottom - chart.top) * 3 / 5)
    assert b.y == pytest.approx(chart.top)
    assert feb.segments == () and feb.x > jan.x
    assert [tick.value for tick in chart.ticks] == [0, 1, 2, 3, 4, 5]
    assert chart.view_box == "0 0 400 220"


def test_bar_chart_puts_one_row_per_group_with_bars_from_the_label_column() -> None:
    chart = bar_chart([Group("Ann", {"x": 10}), Group("A very long consultant name", {})],
                      ["x"], width=400)
    ann, long = chart.groups
    (segment,) = ann.segments
    assert segment.x == pytest.approx(chart.left)
    assert segment.x + segment.width == pytest.approx(chart.right)
    assert long.y > ann.y and long.segments == ()
    assert long.label == shorten("A very long consultant name") and long.label.endswith("…")
    assert chart.height > long.y + long.height - 1


@pytest.mark.parametrize(("largest", "expected"), [
    (0, (1, 1)), (1, (1, 1)), (5, (5, 1)), (7, (8, 2)), (46, (50, 10)), (120, (150, 50)),
    (9999, (10000, 2000)),
])
def test_nice_scale_steps_by_one_two_or_five(largest, expected) -> None:
    assert nice_scale(largest) == expected


# ---- cost -----------------------------------------------------------------------------------

def test_the_statement_count_does_not_grow_with_cases_or_consultants(
        app, db, make_user, consultant, manager, manager_client, count_statements):
    for _ in range(3):
        open_case(consultant)

    def statements() -> int:
        db.session.expire_all()
        count_statements.reset()
        dashboard_page(manager_client)
        return count_statements.count

    few = statements()
    others = [make_user(Role.CONSULTANT) for _ in range(4)]
    for index in range(27):
        owner = others[index % 4]
        case = open_case(owner, passport_expiry=clock.today() + timedelta(days=30 + index))
        if index % 3 == 0:
            submit(manager, case)
        elif index % 3 == 1:
            move(owner, case, S.COLLECTING_DOCUMENTS)
    assert statements() == few
    assert few <= 9, few
