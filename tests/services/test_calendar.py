"""The calendar feed's service: turned on (the token once, only its hash kept), replaced,
turned off, recognised by its token, and the .ics it builds, parsed back with ``icalendar``.
Both databases."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, date, datetime, timedelta

import icalendar
import pytest
from sqlalchemy import select, update

from caseapp import clock
from caseapp.models import AuditEntry, CalendarFeed, Case, Deadline, DeadlineKind, utcnow
from caseapp.queries.calendar import (
    FEED_DAYS_AHEAD,
    FEED_DAYS_BACK,
    feed_deadlines,
    initials,
)
from caseapp.services import calendar
from caseapp.services import users as user_service
from caseapp.services.errors import NotAllowed
from tests.factories import open_case

TODAY = clock.today()


def add_deadline(db, case: Case, due_on: date, kind: DeadlineKind = DeadlineKind.FOLLOW_UP,
                 action: str = "Follow up", person: str = "", **marks) -> Deadline:
    deadline = Deadline(case_id=case.id, kind=kind, source=f"test:{due_on}:{kind.value}",
                        due_on=due_on, action=action, person=person, **marks)
    db.session.add(deadline)
    db.session.commit()
    return deadline


def case_url(reference: str) -> str:
    return f"https://caseapp.test/cases/{reference}"


def feed_entries(db) -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(
        AuditEntry.entity.like("calendar_feed:%")).order_by(AuditEntry.id)))


def events_of(ics: bytes) -> list[icalendar.Event]:
    return list(icalendar.Calendar.from_ical(ics).walk("VEVENT"))


def test_turning_on_gives_a_long_random_token_once_and_keeps_only_its_hash(db, consultant):
    issued = calendar.turn_on(consultant)
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", issued.token)  # 256 random bits
    feed = db.session.scalars(select(CalendarFeed)).one()
    assert feed.token_hash == hashlib.sha256(issued.token.encode()).hexdigest()
    assert feed.user_id == consultant.id and feed.revoked_at is None
    [entry] = feed_entries(db)
    assert (entry.action, entry.entity, entry.user_id) == (
        "calendar_feed_on", f"calendar_feed:{feed.id}", consultant.id)
    assert issued.token not in str(entry.changes) and feed.token_hash not in str(entry.changes)
    assert calendar.authenticate(issued.token).id == feed.id


def test_turning_on_again_replaces_the_address_and_the_old_one_stops(db, consultant):
    first = calendar.turn_on(consultant)
    second = calendar.turn_on(consultant)
    assert first.token != second.token
    assert calendar.authenticate(first.token) is None
    assert calendar.authenticate(second.token).id == second.feed.id
    assert [e.action for e in feed_entries(db)] == [
        "calendar_feed_on", "calendar_feed_replaced", "calendar_feed_on"]


def test_turning_off_stops_the_address_at_once_and_only_once(db, consultant):
    issued = calendar.turn_on(consultant)
    assert calendar.authenticate(issued.token) is not None
    feed = calendar.turn_off(consultant)
    assert feed.id == issued.feed.id and feed.revoked_at is not None
    assert calendar.authenticate(issued.token) is None
    with pytest.raises(NotAllowed, match="already off"):
        calendar.turn_off(consultant)
    entry = feed_entries(db)[-1]
    assert (entry.action, entry.entity) == ("calendar_feed_off", f"calendar_feed:{feed.id}")


def test_unknown_tokens_and_a_deactivated_users_feed_open_nothing(db, consultant, admin):
    issued = calendar.turn_on(consultant)
    for token in ("", "x" * 43, issued.token + "x", issued.token[:-1], "é" * 43, "a" * 5000):
        assert calendar.authenticate(token) is None
    user_service.set_active(consultant, False, admin)
    assert calendar.authenticate(issued.token) is None
    with pytest.raises(NotAllowed, match="deactivated"):
        calendar.turn_on(consultant)


def test_a_fetch_is_recorded_at_most_once_per_few_minutes(db, consultant):
    issued = calendar.turn_on(consultant)
    assert issued.feed.last_used_at is None
    first = calendar.authenticate(issued.token).last_used_at
    assert first is not None
    assert calendar.authenticate(issued.token).last_used_at == first
    earlier = utcnow() - calendar.LAST_USED_PRECISION - timedelta(seconds=1)
    db.session.execute(update(CalendarFeed).values(last_used_at=earlier))
    db.session.commit()
    db.session.expire_all()
    assert calendar.authenticate(issued.token).last_used_at > earlier


@pytest.mark.parametrize(("given", "family", "expected"), [
    ("Mei Ling", "Tan", "M.L.T."),
    ("Chi-Tak", "Man", "C.T.M."),
    ("  ", "", ""),
    ("mei", "o'neil", "M.O."),
])
def test_initials_are_the_first_letters_only(given, family, expected):
    assert initials(given, family) == expected


def test_the_ics_has_one_all_day_event_per_open_deadline_in_the_window(db, consultant,
                                                                       other_consultant):
    case = open_case(consultant, given_name="Mei Ling", family_name="Tan")
    others = open_case(other_consultant, given_name="Ann", family_name="Other")
    db.session.execute(Deadline.__table__.delete())  # only this test's deadlines
    db.session.commit()
    due = TODAY + timedelta(days=10)
    passport = add_deadline(db, case, due, DeadlineKind.PASSPORT_EXPIRY, person="applicant")
    first_day = add_deadline(db, case, TODAY - timedelta(days=FEED_DAYS_BACK))
    last_day = add_deadline(db, case, TODAY + timedelta(days=FEED_DAYS_AHEAD),
                            DeadlineKind.PLANNED_SUBMISSION)
    add_deadline(db, case, TODAY - timedelta(days=FEED_DAYS_BACK + 1),
                 DeadlineKind.STATEMENT_STALE)
    add_deadline(db, case, TODAY + timedelta(days=FEED_DAYS_AHEAD + 1),
                 DeadlineKind.CHECK_TOO_OLD)
    add_deadline(db, case, TODAY + timedelta(days=3), DeadlineKind.IMMD_REPLY_DUE,
                 done_at=utcnow())
    add_deadline(db, case, TODAY + timedelta(days=4), DeadlineKind.CHILD_TURNS_ADULT,
                 snoozed_until=TODAY + timedelta(days=2))
    add_deadline(db, others, due, DeadlineKind.PASSPORT_EXPIRY)

    ics = calendar.build_ics(consultant, case_url)
    parsed = icalendar.Calendar.from_ical(ics)
    assert str(parsed["PRODID"]) == "-//caseapp//deadlines//EN"
    assert str(parsed["VERSION"]) == "2.0"
    assert str(parsed["X-WR-CALNAME"]) == "caseapp deadlines"
    events = events_of(ics)
    assert [str(e["UID"]) for e in events] == [
        f"deadline-{d.id}@caseapp" for d in (first_day, passport, last_day)]
    event = events[1]
    assert event.decoded("DTSTART") == due and not isinstance(event.decoded("DTSTART"), datetime)
    assert event.decoded("DTEND") == due + timedelta(days=1)
    assert "VALUE=DATE" in ics.decode().replace("\r\n ", "")
    assert str(event["SUMMARY"]) == f"{case.reference} · Passport expiry · M.L.T."
    assert str(event["URL"]) == case_url(case.reference)
    assert str(event["DESCRIPTION"]).startswith(
        "A passport in this case enters the warning window: have it renewed")
    assert "principal applicant" in str(event["DESCRIPTION"])
    assert isinstance(event.decoded("DTSTAMP"), datetime)
    assert event.decoded("DTSTAMP").tzinfo is not None
    assert abs(event.decoded("DTSTAMP") - datetime.now(UTC)) < timedelta(minutes=5)
    assert str(events[0]["SUMMARY"]).endswith("· Follow-up · M.L.T.")
    assert str(events[0]["DESCRIPTION"]).startswith("Follow up on the case note")

    # Managers and admins: every case's deadlines.
    manager = user_service.create_user("m@example.test", "Mona Manager",
                                       user_service.Role.MANAGER, "password-123")
    assert {str(e["UID"]) for e in events_of(calendar.build_ics(manager, case_url))} >= {
        f"deadline-{d.id}@caseapp" for d in (first_day, passport, last_day)}
    assert len(events_of(calendar.build_ics(manager, case_url))) == 4


def test_every_kind_has_a_neutral_line_on_what_to_do():
    assert set(calendar.WHAT_TO_DO) == set(DeadlineKind)


def test_the_feed_is_bounded(db, consultant):
    case = open_case(consultant)
    for days in range(5):
        add_deadline(db, case, TODAY + timedelta(days=days))
    assert len(feed_deadlines(consultant, TODAY, limit=3)) == 3


def test_the_ics_takes_the_same_statements_for_one_case_or_many(db, consultant,
                                                                count_statements):
    def statements() -> int:
        db.session.expire_all()
        count_statements.reset()
        calendar.build_ics(consultant, case_url)
        return count_statements.count

    case = open_case(consultant, given_name="One")
    add_deadline(db, case, TODAY + timedelta(days=1))
    one = statements()
    for n in range(6):
        more = open_case(consultant, given_name=f"Many{n}", family_name="Cases")
        add_deadline(db, more, TODAY + timedelta(days=n + 2))
        add_deadline(db, more, TODAY + timedelta(days=n + 40), DeadlineKind.PLANNED_SUBMISSION)
    assert len(events_of(calendar.build_ics(consultant, case_url))) >= 13
    assert statements() == one
