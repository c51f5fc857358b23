"""The audit page and its CSV export (managers and admins): each filter and their combination,
business-day date ranges, keyset paging, bad input, masking of personal data, a constant
number of statements per page, and who may. Both databases."""

from __future__ import annotations

import csv
import html as html_lib
import io
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from caseapp.models import AuditEntry, DocumentKind, Role
from caseapp.queries import audit as audit_queries
from caseapp.services import cases as case_service
from caseapp.services.cases import VersionCheck
from caseapp.services.documents import upload_document
from tests.factories import dependant_values, open_case, pdf_statement

PAGE = "/manage/audit"
EXPORT = "/manage/audit/export.csv"
HEADER = ["Time", "User", "User e-mail", "Via", "Case", "Action", "Entity", "Changes"]
T0 = datetime(2025, 3, 10, 4, 0, tzinfo=UTC)


def add_entry(db, *, at=T0, user=None, case=None, action="noted", entity="note",
              changes=None, via=None) -> AuditEntry:
    entry = AuditEntry(at=at, user_id=user.id if user else None,
                       case_id=case.id if case else None, action=action, entity=entity,
                       changes=changes or {}, via=via)
    db.session.add(entry)
    db.session.commit()
    return entry


def clear_trail(db) -> None:
    """Only the entries a test makes: creating its users is on the trail too."""
    db.session.execute(AuditEntry.__table__.delete())
    db.session.commit()


def add_many(db, entries: list[dict]) -> None:
    db.session.add_all(AuditEntry(**values) for values in entries)
    db.session.commit()


def entities(page: str) -> list[str]:
    return [html_lib.unescape(e) for e in re.findall(r'data-label="Entity">([^<]*)<', page)]


def link(page: str, rel: str) -> str | None:
    found = re.search(rf'<a rel="{rel}" href="([^"]+)"', page)
    return html_lib.unescape(found.group(1)) if found else None


def get_page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def csv_rows(response) -> list[list[str]]:
    data = response.get_data()
    assert data.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def only_notes(rows: list[list[str]]) -> list[str]:
    """The entities of the file's lines, without the export's own entry: it is recorded
    before the file is read, so it heads a file whose filter it matches."""
    lines = rows[1:]
    if lines and lines[0][5:7] == ["exported", "audit"]:
        lines = lines[1:]
    return [row[6] for row in lines]


# ---- who may ------------------------------------------------------------------------------------

@pytest.mark.parametrize("url", [PAGE, EXPORT])
def test_consultants_are_refused_and_visitors_sent_to_sign_in(app, db, consultant_client, url):
    assert consultant_client.get(url).status_code == 403
    response = app.test_client().get(url)
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "exported")) is None


@pytest.mark.parametrize("role", [Role.MANAGER, Role.ADMIN])
def test_managers_and_admins_read_the_trail(app, db, make_user, client_for, role):
    client = client_for(make_user(role))
    clear_trail(db)
    add_entry(db, entity="note:1")
    assert entities(get_page(client, PAGE)) == ["note:1"]
    response = client.get(EXPORT)
    assert response.status_code == 200 and csv_rows(response)[0] == HEADER


# ---- what a line shows --------------------------------------------------------------------------

def test_a_line_shows_time_who_channel_case_action_entity_and_changes(
        app, db, consultant, manager_client):
    case = open_case(consultant)
    add_entry(db, at=datetime(2025, 3, 10, 16, 30, 5, tzinfo=UTC), user=consultant, case=case,
              action="status_changed", entity="case", via="api",
              changes={"status": ["intake", "on_hold"], "reason": [None, "waiting"]})
    page = get_page(manager_client, f"{PAGE}?action=status_changed")
    assert "2025-03-11 00:30:05" in page  # Hong Kong time
    assert "Connie Consultant" in page and "through the API" in page
    assert f'href="/cases/{case.reference}"' in page
    assert "status changed" in page and "intake → on_hold" in page and "— → waiting" in page
    add_entry(db, entity="job")
    page = get_page(manager_client, f"{PAGE}?user=system")
    assert 'data-label="Who">system<' in page


def test_every_cell_is_labelled_and_nothing_on_the_page_changes_anything(
        app, db, consultant, manager_client):
    open_case(consultant)
    page = get_page(manager_client, PAGE)
    cells = re.findall(r"<td\b[^>]*>", page)
    assert cells and all("data-label=" in cell for cell in cells)
    # The only form that posts is the sign-out in the header.
    assert page.count('method="post"') == 1
    # No inline script or style (the Content-Security-Policy refuses them).
    assert re.search(r"<script(?![^>]*\bsrc=)", page) is None
    assert "<style" not in page and " style=" not in page
    assert re.search(r"\son[a-z]+=", page) is None


# ---- filters ------------------------------------------------------------------------------------

@pytest.fixture
def trail(db, consultant, other_consultant, manager):
    """Two consultants, two cases and entries of each kind, each named by its entity."""
    case_a = open_case(consultant)
    case_b = open_case(other_consultant)
    clear_trail(db)
    t = T0
    add_entry(db, at=t, user=consultant, case=case_a, action="updated", entity="e1")
    add_entry(db, at=t + timedelta(minutes=1), user=consultant, case=case_b, action="updated",
              entity="e2", via="api")
    add_entry(db, at=t + timedelta(minutes=2), user=other_consultant, case=case_b,
              action="uploaded", entity="e3")
    add_entry(db, at=t + timedelta(minutes=3), user=None, case=case_a, action="checks_run",
              entity="e4")
    add_entry(db, at=t + timedelta(minutes=4), user=manager, action="exported", entity="e5")
    return {"a": case_a, "b": case_b}


def test_each_filter_narrows_the_trail(app, consultant, other_consultant, trail,
                                       manager_client):
    def shown(query: str) -> list[str]:
        return entities(get_page(manager_client, f"{PAGE}?{query}"))

    assert shown("") == ["e5", "e4", "e3", "e2", "e1"]
    assert shown(f"user={consultant.id}") == ["e2", "e1"]
    assert shown("user=system") == ["e4"]
    assert shown(f"case={trail['a'].reference.lower()}") == ["e4", "e1"]  # any case of letters
    assert shown("action=updated") == ["e2", "e1"]
    assert shown("via=api") == ["e2"]
    assert shown("via=other") == ["e5", "e4", "e3", "e1"]
    assert shown("from=2025-03-10&to=2025-03-10") == ["e5", "e4", "e3", "e2", "e1"]
    assert shown("from=2025-03-11") == []


def test_filters_combine(app, consultant, other_consultant, trail, manager_client):
    def shown(query: str) -> list[str]:
        return entities(get_page(manager_client, f"{PAGE}?{query}"))

    b = trail["b"].reference
    assert shown(f"user={consultant.id}&case={b}") == ["e2"]
    assert shown(f"user={consultant.id}&case={b}&via=other") == []
    assert shown(f"case={b}&action=uploaded") == ["e3"]
    assert shown(f"user={other_consultant.id}&action=uploaded&from=2025-03-10&via=other") == [
        "e3"]


def test_the_user_filter_lists_deactivated_users_and_the_system(app, db, make_user,
                                                                manager_client):
    from caseapp.services.users import set_active

    gone = make_user(Role.CONSULTANT, name="Gina Gone")
    add_entry(db, user=gone, entity="by-gina")
    set_active(gone, False)
    page = get_page(manager_client, PAGE)
    assert "Gina Gone (deactivated)" in page and 'value="system"' in page
    assert entities(get_page(manager_client, f"{PAGE}?user={gone.id}")) == ["by-gina"]
    assert "deactivated" in get_page(manager_client, f"{PAGE}?user={gone.id}")


def test_the_action_filter_offers_the_actions_present(app, db, manager_client):
    for action in ("zeta_done", "alpha_done", "alpha_done", "mid_done"):
        add_entry(db, action=action)
    page = get_page(manager_client, PAGE)
    options = re.findall(r'<option value="([a-z_]+_done)"', page)
    assert options == ["alpha_done", "mid_done", "zeta_done"]


def test_a_date_range_holds_whole_business_days_in_hong_kong(app, db, manager_client):
    clear_trail(db)
    # Hong Kong is UTC+8: the business day 2025-03-10 is 03-09 16:00 to 03-10 16:00 UTC.
    for at, name in [(datetime(2025, 3, 9, 15, 59, 59, tzinfo=UTC), "before"),
                     (datetime(2025, 3, 9, 16, 0, 0, tzinfo=UTC), "first"),
                     (datetime(2025, 3, 10, 15, 59, 59, tzinfo=UTC), "last"),
                     (datetime(2025, 3, 10, 16, 0, 0, tzinfo=UTC), "after")]:
        add_entry(db, at=at, entity=name)

    def shown(query: str) -> list[str]:
        return entities(get_page(manager_client, f"{PAGE}?{query}"))

    assert shown("from=2025-03-10&to=2025-03-10") == ["last", "first"]
    assert shown("from=2025-03-10") == ["after", "last", "first"]
    assert shown("to=2025-03-10") == ["last", "first", "before"]
    assert shown("from=2025-03-11&to=2025-03-11") == ["after"]


# ---- bad input ----------------------------------------------------------------------------------

@pytest.mark.parametrize("query, field, message, typed", [
    ("from=2025-13-01", "from", "Enter a date as YYYY-MM-DD.", 'value="2025-13-01"'),
    ("to=yesterday", "to", "Enter a date as YYYY-MM-DD.", 'value="yesterday"'),
    ("from=0001-01-01", "from", "Enter a date from 1900-01-01", 'value="0001-01-01"'),
    ("to=99999-01-01", "to", "Enter a date as YYYY-MM-DD.", 'value="99999-01-01"'),
    ("from=2025-03-09&to=2025-03-08", "to", "The end of the range is before its start.",
     'value="2025-03-08"'),
    ("user=999999", "user", "There is no such user", None),
    ("user=abc", "user", "There is no such user", None),
    ("user=%EF%BC%91", "user", "There is no such user", None),  # a full-width digit
    ("case=QM-1999-9999", "case", "There is no case", 'value="QM-1999-9999"'),
    ("case=" + "X" * 41, "case", "at most 40 characters", None),
    ("case=QM%00-1", "case", "Invisible control", 'value="QM-1"'),
    ("case=QM%E2%80%AE-1", "case", "Invisible control", 'value="QM-1"'),
    ("action=bogus", "action", "no entry with this action", None),
    ("via=maybe", "via", "Choose through the API or not.", None),
    ("from=2025%0A-03-10", "from", "Invisible control", None),
])
def test_bad_input_is_reported_beside_its_field_and_not_applied(
        app, db, manager_client, query, field, message, typed):
    clear_trail(db)
    add_entry(db, entity="still-listed")
    for url in (f"{PAGE}?{query}", f"{PAGE}?{query}&older=bm90LWEtY3Vyc29y"):
        page = get_page(manager_client, url)
        errors = re.findall(rf'<p class="error" id="{field}-error">([^<]*)</p>', page)
        assert errors and message in html_lib.unescape(errors[0])
        assert 'aria-invalid="true"' in page
        if typed:
            assert typed in page
        assert entities(page) == ["still-listed"]  # the field unfiltered, the page rendered
    response = manager_client.get(f"{EXPORT}?{query}")
    assert response.status_code == 200 and only_notes(csv_rows(response)) == ["still-listed"]


def test_a_forged_cursor_reads_as_the_newest_page(app, db, manager_client):
    clear_trail(db)
    add_entry(db, entity="only")
    for cursor in ("%00", "W10", "WyJ4Il0", "x" * 2000, "WyIyMDI1LTAxLTAxVDAwOjAwOjAwIiwxXQ"):
        assert entities(get_page(manager_client, f"{PAGE}?older={cursor}")) == ["only"]
        assert entities(get_page(manager_client, f"{PAGE}?newer={cursor}")) == ["only"]


# ---- paging -------------------------------------------------------------------------------------

def test_paging_older_and_newer_repeats_and_skips_nothing_across_equal_times(
        app, db, manager_client):
    clear_trail(db)
    # 123 entries, seven to a second: page boundaries fall inside groups of equal times.
    add_many(db, [{"at": T0 + timedelta(seconds=i // 7), "action": "noted",
                   "entity": f"n{i:03}", "changes": {}} for i in range(123)])
    ids = {e.entity: e.id for e in db.session.scalars(select(AuditEntry))}
    expected = sorted(ids, key=lambda name: (int(name[1:]) // 7, ids[name]), reverse=True)

    pages, url = [], PAGE
    while url:
        page = get_page(manager_client, url)
        pages.append(entities(page))
        url = link(page, "next")
    assert [len(p) for p in pages] == [50, 50, 23]
    assert [name for p in pages for name in p] == expected
    assert link(page, "next") is None and link(page, "prev") is not None

    back = [entities(page)]
    while url := link(page, "prev"):
        page = get_page(manager_client, url)
        back.append(entities(page))
    assert back == list(reversed(pages))
    assert link(page, "prev") is None and link(page, "first") is None


def test_an_entry_written_while_paging_shifts_no_page(app, db, manager_client):
    clear_trail(db)
    add_many(db, [{"at": T0 + timedelta(seconds=i), "action": "noted", "entity": f"n{i:03}",
                   "changes": {}} for i in range(60)])
    first = get_page(manager_client, PAGE)
    add_entry(db, at=T0 + timedelta(hours=1), entity="newest")
    older = entities(get_page(manager_client, link(first, "next")))
    assert older == [f"n{i:03}" for i in range(9, -1, -1)]


# ---- personal data ------------------------------------------------------------------------------

def test_passport_numbers_and_personal_data_are_never_shown_or_exported(
        app, db, consultant, manager_client):
    case = open_case(consultant)  # passport A12345678, born 1990-05-17, meiling@example.com
    case_service.update_applicant(consultant, case, {"passport_number": "K9876543"},
                                  case.version)
    case_service.add_dependant(consultant, case, dependant_values(), case.version)
    secrets = ("A12345678", "K9876543", "1990-05-17", "2015-03-02", "meiling@example.com",
               "345 6789")
    page = get_page(manager_client, PAGE)
    exported = manager_client.get(EXPORT).get_data(as_text=True)
    for secret in secrets:
        assert secret not in page
        assert secret not in exported
    # The change is still on the trail, its values hidden.
    assert "passport number" in page and "(hidden) → (hidden)" in page
    assert "passport_number: (hidden) → (hidden)" in exported
    assert "Mei Ling" in page  # what is not personal data is shown as recorded


def test_a_passport_number_in_another_value_is_blanked_out(app, db, consultant,
                                                           manager_client):
    """A scan uploaded under the number: the file name is on the trail, the number is not.
    Both the number stored now and one the applicant had before are found."""
    case = open_case(consultant)  # passport A12345678
    case_service.update_applicant(consultant, case, {"passport_number": "K9876543"},
                                  case.version)
    for name in ("a12345678.pdf", "K9876543 scan.pdf"):
        upload_document(consultant, case, DocumentKind.PASSPORT, name,
                        io.BytesIO(pdf_statement()), VersionCheck.SKIP)
    page = get_page(manager_client, f"{PAGE}?action=uploaded")
    exported = manager_client.get(f"{EXPORT}?action=uploaded").get_data(as_text=True)
    for text in (page, exported):
        assert "12345678" not in text and "9876543" not in text
        assert "(hidden).pdf" in text and "(hidden) scan.pdf" in text


# ---- the export ---------------------------------------------------------------------------------

def test_the_export_holds_the_pages_filter_in_the_pages_order(
        app, db, consultant, other_consultant, trail, manager_client):
    query = f"user={consultant.id}&from=2025-03-10&via=other"
    page = get_page(manager_client, f"{PAGE}?{query}")
    assert f'href="/manage/audit/export.csv?{html_lib.escape(query)}"' in page
    response = manager_client.get(f"{EXPORT}?{query}")
    rows = csv_rows(response)
    assert rows[0] == HEADER
    assert only_notes(rows) == entities(page) == ["e1"]
    for query in ("", "action=updated", f"case={trail['b'].reference}", "user=system"):
        page = get_page(manager_client, f"{PAGE}?{query}")
        assert only_notes(csv_rows(manager_client.get(f"{EXPORT}?{query}"))) == entities(page)


def test_csv_cells_carry_the_offset_user_channel_and_changes(app, db, consultant,
                                                             manager_client):
    case = open_case(consultant)
    add_entry(db, at=datetime(2025, 3, 10, 16, 30, 5, tzinfo=UTC), user=consultant, case=case,
              action="status_changed", entity="case", via="api",
              changes={"status": ["intake", "on_hold"], "reason": [None, "=1+1"]})
    add_entry(db, at=datetime(2025, 3, 10, 17, 0, tzinfo=UTC), action="=cmd", entity="+x")
    response = manager_client.get(f"{EXPORT}?from=2025-03-11&to=2025-03-11")
    assert response.mimetype == "text/csv"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment") and "audit-" in disposition
    assert "no-store" in response.headers["Cache-Control"]
    rows = csv_rows(response)
    assert rows[1] == ["2025-03-11T01:00:00+08:00", "system", "", "", "", "'=cmd", "'+x", ""]
    assert rows[2][:7] == ["2025-03-11T00:30:05+08:00", "Connie Consultant", consultant.email,
                           "api", case.reference, "status_changed", "case"]
    # In the order stored: PostgreSQL's JSONB keeps its own.
    assert sorted(rows[2][7].split("; ")) == ["reason: — → =1+1", "status: intake → on_hold"]


def test_each_export_is_on_the_audit_trail(app, db, manager, consultant, trail,
                                           manager_client):
    manager_client.get(f"{EXPORT}?user={consultant.id}")
    entry = db.session.scalars(select(AuditEntry).where(
        AuditEntry.action == "exported", AuditEntry.entity == "audit")).one()
    assert entry.user_id == manager.id
    assert entry.changes == {"format": [None, "csv"], "filter": [None, f"user={consultant.id}"],
                             "rows": [None, "2"]}


def test_a_head_request_exports_nothing(app, db, manager_client):
    assert manager_client.head(EXPORT).status_code == 200
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.entity == "audit")) is None


def test_the_export_is_bounded_and_the_page_says_so(app, db, manager_client, monkeypatch):
    clear_trail(db)
    add_many(db, [{"at": T0 + timedelta(seconds=i), "action": "noted", "entity": f"n{i}",
                   "changes": {}} for i in range(5)])
    monkeypatch.setattr(audit_queries, "EXPORT_LIMIT", 3)
    monkeypatch.setattr(audit_queries, "EXPORT_BATCH_SIZE", 2)
    page = get_page(manager_client, PAGE)
    assert "More than 3 entries match: the export holds the newest 3" in page
    rows = csv_rows(manager_client.get(f"{EXPORT}?action=noted"))
    assert only_notes(rows) == ["n4", "n3", "n2"]
    assert "More than" not in get_page(manager_client, f"{PAGE}?action=exported")


# ---- cost ---------------------------------------------------------------------------------------

def test_a_page_costs_the_same_statements_whatever_the_trail_holds(
        app, db, consultant, other_consultant, manager_client, count_statements):
    def statements(url: str) -> int:
        count_statements.reset()
        assert manager_client.get(url).status_code == 200
        return count_statements.count

    case = open_case(consultant)
    add_entry(db, user=consultant, case=case, action="updated")
    filtered = (f"{PAGE}?user={consultant.id}&case={case.reference}&action=updated"
                "&from=2025-01-01&to=2030-12-31&via=other")
    baseline, baseline_filtered = statements(PAGE), statements(filtered)
    cases = [case, open_case(other_consultant)]
    add_many(db, [{"at": T0 + timedelta(seconds=i // 3), "action": "updated",
                   "entity": f"n{i}", "changes": {"field": ["a", "b"]},
                   "user_id": (consultant, other_consultant)[i % 2].id,
                   "case_id": cases[i % 2].id} for i in range(160)])
    assert statements(PAGE) == baseline
    page = manager_client.get(PAGE).get_data(as_text=True)
    assert statements(link(page, "next")) == baseline
    assert statements(filtered) == baseline_filtered
    page = manager_client.get(filtered).get_data(as_text=True)
    assert statements(link(page, "next")) == baseline_filtered
