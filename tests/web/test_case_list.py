"""The case list as consultants and managers use it: filters, search, sorts, keyset pages,
the count, saved views, and what a consultant may never see. Both databases."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import update

from caseapp import clock
from caseapp.models import Case, SavedView, utcnow
from caseapp.queries import case_list
from caseapp.rules.workflow import CaseStatus
from caseapp.services import cases as case_service
from caseapp.services import deposits as deposit_service
from caseapp.services.checks import run_checks
from caseapp.services.workflow import move_status
from tests.factories import dependant_values, hkd_statement, open_case, record_linked_deposit

REFERENCE = re.compile(r'href="/cases/(QM-\d{4}-\d{6})"')


def refs(client, url: str) -> list[str]:
    response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    return REFERENCE.findall(response.get_data(as_text=True))


def count_text(client, url: str) -> str:
    html = client.get(url).get_data(as_text=True)
    return " ".join(re.search(r'<p class="count muted">(.*?)</p>', html, re.S).group(1).split())


def set_columns(db, case: Case, **values) -> None:
    db.session.execute(update(Case).where(Case.id == case.id).values(**values))
    db.session.commit()
    db.session.expire_all()


def link(html: str, rel: str) -> str | None:
    found = re.search(rf'<a rel="{rel}" href="([^"]+)"', html)
    return found.group(1).replace("&amp;", "&") if found else None


# ---- who sees what ---------------------------------------------------------------------------

def test_consultant_sees_only_their_own_cases_whatever_the_filter(
        app, consultant, other_consultant, consultant_client):
    mine = open_case(consultant, family_name="Mine")
    theirs = open_case(other_consultant, family_name="Theirs")
    assert refs(consultant_client, "/") == [mine.reference]
    # Asking for the other consultant's cases, or searching for them, shows nothing of theirs.
    assert theirs.reference not in refs(consultant_client, f"/?consultant={other_consultant.id}")
    assert refs(consultant_client, "/?q=theirs") == []
    assert refs(consultant_client, f"/?q={theirs.reference}") == []


def test_manager_sees_every_case_with_its_consultant_and_filters_by_consultant(
        app, consultant, other_consultant, manager_client):
    a = open_case(consultant)
    b = open_case(other_consultant)
    html = manager_client.get("/").get_data(as_text=True)
    assert a.reference in html and b.reference in html
    assert "Carl Consultant" in html and "Connie Consultant" in html
    assert refs(manager_client, f"/?consultant={other_consultant.id}") == [b.reference]
    both = f"/?consultant={consultant.id}&consultant={other_consultant.id}"
    assert set(refs(manager_client, both)) == {a.reference, b.reference}


# ---- filters ---------------------------------------------------------------------------------

def test_status_filter_takes_several_statuses(app, consultant, consultant_client):
    intake = open_case(consultant)
    collecting = open_case(consultant)
    move_status(consultant, collecting, CaseStatus.COLLECTING_DOCUMENTS, "", collecting.version)
    held = open_case(consultant)
    move_status(consultant, held, CaseStatus.ON_HOLD, "Client travelling", held.version)
    assert refs(consultant_client, "/?status=collecting_documents") == [collecting.reference]
    assert set(refs(consultant_client, "/?status=intake&status=on_hold")) == {
        intake.reference, held.reference}


def test_verdict_filter_follows_the_latest_check(app, consultant, consultant_client):
    checked = open_case(consultant)
    run_checks(consultant, checked)
    never = open_case(consultant)
    verdict = Case.latest_verdict
    assert app and verdict is not None
    latest = checked.latest_verdict
    assert latest in ("eligible", "incomplete", "not_eligible")
    assert refs(consultant_client, f"/?verdict={latest}") == [checked.reference]
    assert refs(consultant_client, "/?verdict=unchecked") == [never.reference]


def test_nationality_family_and_waiting_filters(app, db, consultant, manager, consultant_client):
    malaysian = open_case(consultant, nationality="MYS")
    indian = open_case(consultant, nationality="IND")
    case_service.add_dependant(consultant, indian, dependant_values(), indian.version)
    assert refs(consultant_client, "/?nationality=ind") == [indian.reference]
    assert refs(consultant_client, "/?family=family") == [indian.reference]
    assert refs(consultant_client, "/?family=single") == [malaysian.reference]
    # Waiting on deposit evidence: nothing verified yet. Verified evidence takes it off.
    evidence = record_linked_deposit(consultant, malaysian, hkd_statement("300000"))
    assert set(refs(consultant_client, "/?waiting=deposit")) == {
        malaysian.reference, indian.reference}
    deposit_service.verify_deposit(manager, malaysian, evidence, malaysian.version)
    assert refs(consultant_client, "/?waiting=deposit") == [indian.reference]
    move_status(consultant, indian, CaseStatus.COLLECTING_DOCUMENTS, "", indian.version)
    assert refs(consultant_client, "/?waiting=documents") == [indian.reference]


def test_date_range_filters(app, db, consultant, consultant_client):
    today = clock.today()
    old = open_case(consultant)
    new = open_case(consultant)
    long_ago = utcnow() - timedelta(days=100)
    set_columns(db, old, opened_at=long_ago, updated_at=long_ago,
                planned_submission_date=today + timedelta(days=10))
    month_ago = (today - timedelta(days=30)).isoformat()
    assert refs(consultant_client, f"/?opened_from={month_ago}") == [new.reference]
    assert refs(consultant_client, f"/?opened_to={month_ago}") == [old.reference]
    assert refs(consultant_client, f"/?updated_to={month_ago}") == [old.reference]
    planned = (today + timedelta(days=10)).isoformat()
    assert refs(consultant_client, f"/?planned_from={planned}&planned_to={planned}") == [
        old.reference]
    # A business date is the whole day in the consultancy's zone, both ends included.
    assert refs(consultant_client, f"/?opened_from={today}&opened_to={today}") == [
        new.reference]


def test_stale_filter_uses_the_days_given_or_the_default(app, db, consultant,
                                                          consultant_client):
    app.config["STALE_CASE_DAYS"] = 14
    stale = open_case(consultant)
    fresh = open_case(consultant)
    closed = open_case(consultant)
    move_status(consultant, closed, CaseStatus.WITHDRAWN, "Client withdrew", closed.version)
    set_columns(db, stale, updated_at=utcnow() - timedelta(days=20))
    set_columns(db, closed, updated_at=utcnow() - timedelta(days=20))
    # The form always sends its box; left empty it filters nothing (the dashboard names days).
    assert set(refs(consultant_client, "/?stale=")) == {stale.reference, fresh.reference,
                                                        closed.reference}
    assert refs(consultant_client, "/?stale=14") == [stale.reference]
    assert refs(consultant_client, "/?stale=30") == []
    assert set(refs(consultant_client, "/?stale=1")) == {stale.reference}
    assert fresh.reference not in refs(consultant_client, "/?stale=5")


def test_needs_attention_filter(app, db, consultant, consultant_client):
    today = clock.today()
    expiring = open_case(consultant, passport_expiry=today + timedelta(days=40))
    fine = open_case(consultant, passport_expiry=today + timedelta(days=2000))
    old_check = open_case(consultant, passport_expiry=today + timedelta(days=2000))
    set_columns(db, old_check, latest_verdict="eligible",
                latest_check_at=utcnow() - timedelta(days=30))
    submitted = open_case(consultant, passport_expiry=today + timedelta(days=2000))
    set_columns(db, submitted, status=CaseStatus.SUBMITTED, latest_verdict="eligible",
                latest_check_at=utcnow() - timedelta(days=30))
    found = refs(consultant_client, "/?attention=1")
    # An old eligible check matters only before submission.
    assert set(found) == {expiring.reference, old_check.reference}
    assert fine.reference not in found


def test_entered_status_filter(app, db, consultant, manager, consultant_client):
    case = open_case(consultant)
    move_status(consultant, case, CaseStatus.COLLECTING_DOCUMENTS, "", case.version)
    other = open_case(consultant)
    today = clock.today().isoformat()
    url = f"/?entered=collecting_documents&entered_from={today}&entered_to={today}"
    assert refs(consultant_client, url) == [case.reference]
    assert other.reference not in refs(consultant_client, url)


def test_filters_combine(app, consultant, consultant_client):
    target = open_case(consultant, nationality="IND", family_name="Patel")
    open_case(consultant, nationality="IND", family_name="Sharma")
    open_case(consultant, nationality="MYS", family_name="Patel")
    assert refs(consultant_client, "/?nationality=IND&q=patel&status=intake") == [
        target.reference]


@pytest.mark.parametrize("query,field,typed", [
    ("opened_from=2026-13-45", "opened_from", "2026-13-45"),
    ("stale=abc", "stale", "abc"),
    ("q=a", "q", "a"),
    ("nationality=12", "nationality", "12"),
    ("opened_from=2026-05-01&opened_to=2026-04-01", "opened_to", "2026-04-01"),
])
def test_unreadable_filter_is_shown_beside_its_field_and_not_applied(
        app, consultant, consultant_client, query, field, typed):
    case = open_case(consultant)
    response = consultant_client.get(f"/?{query}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f'id="{field}-error"' in html  # the message sits beside the field
    assert typed in html  # what the user typed is still there
    assert case.reference in html  # the bad filter is left out, the list still shows


def test_forged_filter_values_do_not_break_the_page(app, consultant, consultant_client):
    open_case(consultant)
    for query in ("status=nope", "verdict=x%20y", "consultant=99999999999999", "family=x",
                  "sort=;drop", "after=!!!", "before=eyJ4Ijp9", "last=yes", "q=" + "x" * 500):
        assert consultant_client.get(f"/?{query}").status_code == 200, query


# ---- search ----------------------------------------------------------------------------------

@pytest.mark.parametrize("typed", ["muller", "MÜLLER", "Müll", "mül"])
def test_search_ignores_case_and_accents(app, consultant, consultant_client, typed):
    muller = open_case(consultant, family_name="Müller", given_name="Jürgen")
    open_case(consultant, family_name="Miller")
    assert refs(consultant_client, f"/?q={typed}") == [muller.reference]


def test_search_finds_chinese_names_by_one_character_or_more(app, consultant, consultant_client):
    chan = open_case(consultant, family_name="Chan", chinese_name="陳大文")
    wong = open_case(consultant, family_name="Wong", chinese_name="王小明")
    assert refs(consultant_client, "/?q=陳") == [chan.reference]
    assert refs(consultant_client, "/?q=大文") == [chan.reference]
    assert refs(consultant_client, "/?q=王小明") == [wong.reference]
    assert refs(consultant_client, "/?q=文王") == []


def test_search_finds_dependants_email_and_references(app, consultant, consultant_client):
    case = open_case(consultant, email="wei.zhang@example.org", family_name="Zhang")
    case_service.add_dependant(consultant, case, dependant_values(given_name="Priyanka",
                                                                  family_name="Okafor"),
                               case.version)
    other = open_case(consultant, email="someone@else.test", family_name="Brown")
    assert refs(consultant_client, "/?q=okafor") == [case.reference]
    assert refs(consultant_client, "/?q=wei.zhang@example") == [case.reference]
    assert refs(consultant_client, f"/?q={case.reference}") == [case.reference]
    assert refs(consultant_client, f"/?q={case.reference.lower()}") == [case.reference]
    prefix = case.reference[:-1]
    assert set(refs(consultant_client, f"/?q={prefix}")) >= {case.reference}
    assert other.reference not in refs(consultant_client, "/?q=okafor")


def test_search_treats_percent_and_underscore_literally(app, consultant, consultant_client):
    plain = open_case(consultant, family_name="Abcdef")
    odd = open_case(consultant, family_name="A_c%ef")
    assert refs(consultant_client, "/?q=a_c") == [odd.reference]
    assert refs(consultant_client, "/?q=c%25ef") == [odd.reference]  # "c%ef"
    assert refs(consultant_client, "/?q=%25%25%25") == []
    assert refs(consultant_client, "/?q=___") == []
    assert plain.reference in refs(consultant_client, "/?q=abc")


def test_short_latin_search_matches_the_start_of_a_word(app, consultant, consultant_client):
    li = open_case(consultant, family_name="Li", given_name="Na")
    lim = open_case(consultant, family_name="Lim", given_name="Ah Kow")
    open_case(consultant, family_name="Ali", given_name="Hassan")
    assert set(refs(consultant_client, "/?q=li")) == {li.reference, lim.reference}


def test_search_follows_edits_of_names(app, consultant, consultant_client):
    case = open_case(consultant, family_name="Before")
    case_service.update_applicant(consultant, case, {"family_name": "Afterwards"},
                                  case.version)
    assert refs(consultant_client, "/?q=before") == []
    assert refs(consultant_client, "/?q=afterwards") == [case.reference]


# ---- sorting and paging ----------------------------------------------------------------------

def _three_cases(db, consultant, other_consultant):
    today = clock.today()
    a = open_case(consultant, family_name="Able", nationality="GBR")
    b = open_case(other_consultant, family_name="Baker", nationality="GBR")
    c = open_case(consultant, family_name="Cole", nationality="GBR")
    now = utcnow()
    set_columns(db, a, opened_at=now - timedelta(days=3), updated_at=now - timedelta(hours=1),
                planned_submission_date=today + timedelta(days=20), latest_verdict="incomplete")
    set_columns(db, b, opened_at=now - timedelta(days=2), updated_at=now - timedelta(hours=3),
                latest_verdict="eligible")
    set_columns(db, c, opened_at=now - timedelta(days=1), updated_at=now - timedelta(hours=2),
                planned_submission_date=today + timedelta(days=5), latest_verdict="eligible")
    move_status(consultant, a, CaseStatus.COLLECTING_DOCUMENTS, "", a.version)
    set_columns(db, a, updated_at=now - timedelta(hours=1))
    return a, b, c


@pytest.mark.parametrize("sort,expected", [
    ("reference", "abc"), ("-reference", "cba"),
    ("name", "abc"), ("-name", "cba"),
    ("status", "abc"),  # collecting_documents < intake; intake ties broken by id
    ("-status", "cba"),
    ("consultant", "bac"),  # Carl < Connie; ties by case id
    ("-consultant", "cab"),
    ("opened", "abc"), ("-opened", "cba"),
    ("updated", "bca"), ("-updated", "acb"),
    ("planned", "cab"),  # no planned date sorts last
    ("-planned", "bac"),
    ("verdict", "bca"),  # eligible (ties by id), incomplete
    ("-verdict", "acb"),
])
def test_every_sort_both_ways_stable(app, db, consultant, other_consultant, manager_client,
                                     sort, expected):
    a, b, c = _three_cases(db, consultant, other_consultant)
    names = {a.reference: "a", b.reference: "b", c.reference: "c"}
    order = "".join(names[r] for r in refs(manager_client, f"/?nationality=GBR&sort={sort}"))
    assert order == expected


@pytest.mark.parametrize("sort", ["-updated", "name", "consultant", "planned", "-verdict"])
def test_cursor_pages_walk_forwards_and_back_without_gaps_or_repeats(
        app, db, consultant, other_consultant, manager_client, sort):
    app.config["CASES_PER_PAGE"] = 3
    today = clock.today()
    cases = []
    for i in range(8):
        owner = consultant if i % 2 else other_consultant
        case = open_case(owner, family_name=["Ng", "Ho", "Ng", "Ip"][i % 4])
        set_columns(db, case, planned_submission_date=(today + timedelta(days=i % 3))
                    if i % 4 else None, latest_verdict=["eligible", "unchecked"][i % 2])
        cases.append(case)
    everything = refs(manager_client, f"/?sort={sort}&consultant={consultant.id}"
                      f"&consultant={other_consultant.id}")
    assert len(everything) == 3  # the first page
    url = f"/?sort={sort}"
    pages, html = [], manager_client.get(url).get_data(as_text=True)
    while True:
        pages.append(REFERENCE.findall(html))
        nxt = link(html, "next")
        if nxt is None:
            break
        html = manager_client.get(nxt).get_data(as_text=True)
    walked = [r for page in pages for r in page]
    assert sorted(walked) == sorted(c.reference for c in cases)  # all, once each
    assert [len(p) for p in pages] == [3, 3, 2]
    # Back from the last page with "previous" gives the same pages in reverse.
    back = [REFERENCE.findall(html)]
    while (prev := link(html, "prev")) is not None:
        html = manager_client.get(prev).get_data(as_text=True)
        back.append(REFERENCE.findall(html))
    assert back[::-1] == pages
    # "Last" shows the final full page of the order; "first" is the first.
    last = manager_client.get(f"{url}&last=1").get_data(as_text=True)
    assert REFERENCE.findall(last) == walked[-3:]
    assert link(last, "next") is None and link(last, "first") is not None
    assert REFERENCE.findall(manager_client.get(link(last, "first")).get_data(
        as_text=True)) == pages[0]


def test_pager_links_keep_the_filter_and_sort(app, consultant, consultant_client):
    app.config["CASES_PER_PAGE"] = 2
    for _ in range(5):
        open_case(consultant, nationality="IND")
    open_case(consultant, nationality="MYS")
    html = consultant_client.get("/?nationality=IND&sort=reference").get_data(as_text=True)
    query = parse_qs(urlsplit(link(html, "next")).query)
    assert query["nationality"] == ["IND"] and query["sort"] == ["reference"]
    assert "after" in query


def test_count_is_exact_then_bounded(app, consultant, consultant_client, monkeypatch):
    for _ in range(4):
        open_case(consultant)
    assert count_text(consultant_client, "/") == "4 cases"
    assert count_text(consultant_client, "/?status=submitted") == "0 cases"
    monkeypatch.setattr(case_list, "COUNT_LIMIT", 3)
    text = count_text(consultant_client, "/")
    assert text.startswith("More than 3 cases match")


def test_a_cursor_from_a_changed_case_still_pages_on(app, db, consultant, consultant_client):
    """The cursor holds the values of the last row shown: editing that case meanwhile does
    not make the next page skip or repeat the others."""
    app.config["CASES_PER_PAGE"] = 2
    cases = [open_case(consultant) for _ in range(4)]
    html = consultant_client.get("/?sort=reference").get_data(as_text=True)
    nxt = link(html, "next")
    case_service.update_applicant(consultant, cases[1], {"family_name": "Edited"},
                                  cases[1].version)
    assert refs(consultant_client, nxt) == [cases[2].reference, cases[3].reference]


def test_list_statements_stay_constant_whatever_the_page_and_filter(
        app, db, consultant, other_consultant, manager_client, count_statements):
    def statements(url: str) -> int:
        count_statements.reset()
        assert manager_client.get(url).status_code == 200
        return count_statements.count

    open_case(consultant)
    baseline = statements("/")
    for i in range(15):
        case = open_case(consultant if i % 2 else other_consultant)
        case_service.add_dependant(consultant if i % 2 else other_consultant, case,
                                   dependant_values(), case.version)
    app.config["CASES_PER_PAGE"] = 10
    assert statements("/") == baseline
    html = manager_client.get("/").get_data(as_text=True)
    assert statements(link(html, "next")) == baseline
    assert statements("/?last=1&sort=consultant") == baseline
    filtered = ("/?q=tan&status=intake&verdict=unchecked&nationality=MYS&family=family"
                "&stale=&attention=1&waiting=deposit&opened_from=2020-01-01"
                "&entered=intake&sort=-planned")
    assert statements(filtered) == baseline


# ---- saved views -----------------------------------------------------------------------------

def test_save_rename_and_delete_a_view(app, db, manager, manager_client):
    query = "status=on_hold&family=family&stale=30&sort=-updated&after=xyz"
    form = manager_client.get(f"/views/new?{query}").get_data(as_text=True)
    assert "status=on_hold" in form and "after=" not in form  # the cursor is not kept
    response = manager_client.post("/views/new", data={
        "name": "Stale family cases, Carl", "query": query})
    assert response.status_code == 302
    view = db.session.query(SavedView).one()
    assert view.user_id == manager.id
    assert parse_qs(view.query) == {"status": ["on_hold"], "family": ["family"],
                                    "stale": ["30"], "sort": ["-updated"]}
    page = manager_client.get("/").get_data(as_text=True)
    assert "Stale family cases, Carl" in page and f"/?{view.query}".replace("&", "&amp;") in page

    manager_client.post(f"/views/{view.id}", data={"name": "Family, stale"})
    db.session.expire_all()
    assert db.session.get(SavedView, view.id).name == "Family, stale"
    manager_client.post(f"/views/{view.id}/delete")
    assert db.session.query(SavedView).count() == 0


def test_a_view_name_must_be_given_and_unique(app, db, manager_client):
    manager_client.post("/views/new", data={"name": "Mine", "query": "status=intake"})
    html = manager_client.post("/views/new", data={"name": "  Mine ", "query": "q=chan"}
                               ).get_data(as_text=True)
    assert "already have a view called" in html and 'value="  Mine "' in html
    html = manager_client.post("/views/new", data={"name": "", "query": "q=chan"}
                               ).get_data(as_text=True)
    assert "Give the view a name" in html
    assert db.session.query(SavedView).count() == 1


def test_nobody_reaches_another_users_views(app, db, manager, make_user, client_for):
    from caseapp.models import Role

    mine = client_for(manager)
    mine.post("/views/new", data={"name": "Private", "query": "status=intake"})
    view = db.session.query(SavedView).one()
    other = client_for(make_user(Role.MANAGER))
    assert "Private" not in other.get("/").get_data(as_text=True)
    assert other.get(f"/views/{view.id}").status_code == 404
    assert other.post(f"/views/{view.id}/delete").status_code == 404
    assert db.session.query(SavedView).count() == 1



def test_search_counts_only_the_matching_cases(app, consultant, other_consultant,
                                               manager_client, consultant_client):
    open_case(consultant, family_name="Chan")
    open_case(other_consultant, family_name="Chandler")
    open_case(consultant, family_name="Wong")
    assert count_text(manager_client, "/?q=chan") == "2 cases"
    assert count_text(manager_client, "/?q=chan&status=intake") == "2 cases"
    assert count_text(consultant_client, "/?q=chan") == "1 case"
