"""The calendar feed on the profile page (turned on: the address shown once; turned off after
a confirmation; made anew) and the public feed at /calendar/<token>.ics that calendar clients
fetch without signing in: parsed back with ``icalendar``, with no personal data in it. Both
databases."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from datetime import date, timedelta

import icalendar
import pytest
from flask import Flask, g
from sqlalchemy import select, update

from caseapp import clock, create_app
from caseapp.extensions import db as _db
from caseapp.extensions import limiter
from caseapp.models import CalendarFeed, Deadline, DeadlineKind, utcnow
from caseapp.services import calendar
from caseapp.services import users as user_service
from caseapp.services.deadlines import outside_date
from tests.conftest import login_client
from tests.factories import dependant_values, open_case

TODAY = clock.today()
FEED_URL = re.compile(r"http://localhost/calendar/([A-Za-z0-9_-]{43})\.ics")


def turn_on(client) -> str:
    """Turns the feed on from the profile page; the feed's path (the address shown once)."""
    page = client.post("/profile/calendar")
    assert page.status_code == 200 and "Location" not in page.headers
    text = page.get_data(as_text=True)
    found = set(FEED_URL.findall(text))
    assert len(found) == 1, found
    assert "you will not see it again" in text.lower()
    assert "no-store" in page.headers["Cache-Control"]
    return f"/calendar/{found.pop()}.ics"


def fetch(app, path: str):
    """GET ``path`` as a calendar client: no cookies, and no user left over from an earlier
    request of the test (the fixture's app context, hence Flask-Login's ``g``, spans them)."""
    g.pop("_login_user", None)
    return app.test_client().get(path)


def calendar_section(response) -> str:
    text = response.get_data(as_text=True)
    match = re.search(r'<section class="panel" aria-labelledby="calendar-head">(.*?)</section>',
                      text, re.S)
    assert match
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html.unescape(match.group(1)))).strip()


def add_deadline(db, case, due_on: date, kind: DeadlineKind, action: str,
                 person: str = "") -> Deadline:
    deadline = Deadline(case_id=case.id, kind=kind, source=f"test:{kind.value}:{due_on}",
                        due_on=due_on, action=action, person=person)
    db.session.add(deadline)
    db.session.commit()
    return deadline


def test_a_feed_turned_on_on_the_profile_is_fetched_without_signing_in(
        app, db, consultant, consultant_client):
    assert calendar_section(consultant_client.get("/profile/")).count("Status off") == 1
    case = open_case(consultant, given_name="Mei Ling", family_name="Tan")
    due = add_deadline(db, case, TODAY + timedelta(days=5), DeadlineKind.PASSPORT_EXPIRY,
                       "Renew Mei Ling Tan's passport", "applicant")
    path = turn_on(consultant_client)

    feed = fetch(app, path)  # no session: a calendar client
    assert feed.status_code == 200
    assert feed.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert feed.headers["Cache-Control"] == "private, no-store"
    assert "Set-Cookie" not in feed.headers
    parsed = icalendar.Calendar.from_ical(feed.data)
    assert str(parsed["X-WR-CALNAME"]) == "caseapp deadlines"
    [event] = parsed.walk("VEVENT")
    assert str(event["UID"]) == f"deadline-{due.id}@caseapp"
    assert event.decoded("DTSTART") == due.due_on
    assert str(event["SUMMARY"]) == f"{case.reference} · Passport expiry · M.L.T."
    assert str(event["URL"]) == f"http://localhost/cases/{case.reference}"

    page = calendar_section(consultant_client.get("/profile/"))
    assert "Status on since" in page and "Last fetched never" not in page
    assert path not in consultant_client.get("/profile/").get_data(as_text=True)


def test_turning_the_feed_off_asks_first_and_stops_the_address_at_once(
        app, db, consultant, consultant_client):
    path = turn_on(consultant_client)
    assert fetch(app, path).status_code == 200
    confirm = consultant_client.get("/profile/calendar/off")
    assert confirm.status_code == 200
    assert "get nothing more" in confirm.get_data(as_text=True)
    assert fetch(app, path).status_code == 200  # asking is not turning off

    done = consultant_client.post("/profile/calendar/off")
    assert done.status_code == 302 and done.headers["Location"].startswith("/profile/")
    assert fetch(app, path).status_code == 404
    assert "Status off since" in calendar_section(consultant_client.get("/profile/"))
    again = consultant_client.get("/profile/calendar/off")
    assert "already off" in again.get_data(as_text=True)


def test_turning_on_again_gives_a_new_address_and_the_old_one_stops(
        app, consultant, consultant_client):
    old = turn_on(consultant_client)
    new = turn_on(consultant_client)
    assert old != new
    assert fetch(app, old).status_code == 404
    assert fetch(app, new).status_code == 200


def test_unknown_revoked_and_deactivated_feeds_are_the_same_404(app, db, consultant, admin,
                                                                consultant_client):
    path = turn_on(consultant_client)
    unknown = fetch(app, "/calendar/" + "A" * 43 + ".ics")
    assert unknown.status_code == 404
    assert fetch(app, "/calendar/x.ics").status_code == 404
    assert fetch(app, path[:-4]).status_code == 404  # the token without .ics

    user_service.set_active(consultant, False, admin)
    deactivated = fetch(app, path)
    assert deactivated.status_code == 404
    assert deactivated.data == unknown.data
    assert "Set-Cookie" not in deactivated.headers


def test_the_profile_routes_need_a_session(app):
    g.pop("_login_user", None)
    client = app.test_client()
    for response in (client.post("/profile/calendar"), client.get("/profile/calendar/off"),
                     client.post("/profile/calendar/off")):
        assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_the_feed_holds_no_personal_data(app, db, consultant, consultant_client):
    personal = {
        "given_name": "Zephyrine", "family_name": "Quixotella",
        "passport_number": "K98765432", "date_of_birth": date(1984, 2, 29),
        "email": "zq.private@example.org", "phone": "+852 9876 5432",
        "chinese_name": "齊若芙", "passport_expiry": TODAY + timedelta(days=120),
    }
    case = open_case(consultant, **personal)
    child = dependant_values(given_name="Octavian", family_name="Quixotella",
                             date_of_birth=date(2012, 7, 19))
    secrets_in_actions = [
        add_deadline(db, case, TODAY + timedelta(days=9), DeadlineKind.FOLLOW_UP,
                     "Call Zephyrine Quixotella (born 1984-02-29) about passport K98765432"),
        add_deadline(db, case, TODAY + timedelta(days=11), DeadlineKind.CHILD_TURNS_ADULT,
                     f"{child['given_name']} {child['family_name']} turns 18", "dependant:1"),
        add_deadline(db, case, TODAY - timedelta(days=3), DeadlineKind.STATEMENT_STALE,
                     "Zephyrine's statement at zq.private@example.org"),
    ]
    path = turn_on(consultant_client)
    feed = fetch(app, path)
    assert feed.status_code == 200
    raw = feed.get_data(as_text=True)
    unfolded = raw.replace("\r\n ", "").replace("\\,", ",").replace("\\;", ";")
    for value in ("Zephyrine", "Quixotella", "Octavian", "K98765432", "1984-02-29", "19840229",
                  "29/02/1984", "zq.private@example.org", "9876 5432", "齊若芙", "born",
                  "2012-07-19"):
        assert value.lower() not in unfolded.lower(), value
        assert value.lower() not in raw.lower(), value

    events = {str(e["UID"]): e for e in icalendar.Calendar.from_ical(feed.data).walk("VEVENT")}
    for deadline in secrets_in_actions:
        event = events[f"deadline-{deadline.id}@caseapp"]
        # A child's coming of age by its month only: the day would tell the date of birth.
        assert event.decoded("DTSTART") == outside_date(deadline.kind, deadline.due_on)
        assert str(event["SUMMARY"]) == (
            f"{case.reference} · {deadline.kind.label} · Z.Q.")
        assert deadline.action not in str(event["DESCRIPTION"])
    child_event = events[f"deadline-{secrets_in_actions[1].id}@caseapp"]
    assert "a dependant" in str(child_event["DESCRIPTION"])
    assert child_event.decoded("DTSTART") == secrets_in_actions[1].due_on.replace(day=1)


def test_a_consultant_sees_their_cases_and_a_manager_every_case(
        app, db, consultant, other_consultant, manager, client_for):
    mine = open_case(consultant, given_name="Mine")
    theirs = open_case(other_consultant, given_name="Theirs")
    due = TODAY + timedelta(days=2)
    add_deadline(db, mine, due, DeadlineKind.PLANNED_SUBMISSION, "Submit")
    add_deadline(db, theirs, due, DeadlineKind.PLANNED_SUBMISSION, "Submit")

    def references(user) -> set[str]:
        feed = fetch(app, turn_on(client_for(user)))
        return {str(e["SUMMARY"]).split(" · ")[0]
                for e in icalendar.Calendar.from_ical(feed.data).walk("VEVENT")}

    assert references(consultant) == {mine.reference}
    assert references(manager) == {mine.reference, theirs.reference}


def test_a_fetch_shows_on_the_profile_and_is_recorded_once_per_few_minutes(
        app, db, consultant, consultant_client, count_statements):
    path = turn_on(consultant_client)
    fetch(app, path)
    feed = db.session.scalars(select(CalendarFeed)).one()
    first = feed.last_used_at
    assert first is not None
    count_statements.reset()
    fetch(app, path)
    assert not [s for s in count_statements.statements if s.lstrip().upper().startswith("UPDATE")]
    db.session.expire_all()
    assert db.session.get(CalendarFeed, feed.id).last_used_at == first


def test_the_feed_takes_the_same_statements_for_few_cases_or_many(
        app, db, consultant, consultant_client, count_statements):
    path = turn_on(consultant_client)
    case = open_case(consultant)
    add_deadline(db, case, TODAY, DeadlineKind.FOLLOW_UP, "x")
    fetch(app, path)  # the first fetch records itself

    def statements() -> int:
        db.session.expire_all()
        count_statements.reset()
        assert fetch(app, path).status_code == 200
        return count_statements.count

    few = statements()
    for n in range(8):
        more = open_case(consultant, given_name=f"Many{n}")
        add_deadline(db, more, TODAY + timedelta(days=n), DeadlineKind.FOLLOW_UP, "x")
    assert statements() == few


def _strict_app(database_url: str, **settings: object) -> Flask:
    return create_app({"CASEAPP_ENV": "testing", "SQLALCHEMY_DATABASE_URI": database_url,
                       **settings})


@pytest.fixture
def limited(database_url: str, app: Flask) -> Iterator[Flask]:
    strict = _strict_app(database_url, RATELIMIT_ENABLED=True,
                         CALENDAR_FEED_RATE_LIMIT="3 per minute")
    with strict.app_context():
        limiter.reset()  # one in-memory store for the process: start from no hits
        yield strict
        limiter.reset()
        _db.session.remove()
        _db.engine.dispose()


def test_the_feed_is_rate_limited_per_address(limited, consultant):
    path = f"/calendar/{calendar.turn_on(consultant).token}.ics"
    client = limited.test_client()
    assert [client.get(path).status_code for _ in range(3)] == [200, 200, 200]
    assert client.get(path).status_code == 429
    assert client.get("/calendar/" + "B" * 43 + ".ics").status_code == 429
    other_address = limited.test_client().get(path, environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert other_address.status_code == 200


def test_the_profile_buttons_need_the_csrf_token(database_url, app, db, consultant):
    strict = _strict_app(database_url, WTF_CSRF_ENABLED=True)
    with strict.app_context():
        client = login_client(strict, consultant)
        assert client.post("/profile/calendar").status_code == 400
        calendar.turn_on(consultant)
        assert client.post("/profile/calendar/off").status_code == 400
        assert db.session.scalars(select(CalendarFeed)).one().revoked_at is None
        _db.session.remove()
        _db.engine.dispose()


def test_a_revoked_feed_in_the_database_stops_even_without_the_page(app, db, consultant,
                                                                     consultant_client):
    path = turn_on(consultant_client)
    db.session.execute(update(CalendarFeed).values(revoked_at=utcnow()))
    db.session.commit()
    assert fetch(app, path).status_code == 404
