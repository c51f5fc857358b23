"""The daily e-mail digest (services.digests) over a real SMTP server in this process
(aiosmtpd): one per active consultant per day, across reruns and crashes; retries with
backoff; nothing personal in the mail. Both databases."""

from __future__ import annotations

import email
import socket
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from email.message import EmailMessage
from email.policy import default as default_policy
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from flask import Flask
from sqlalchemy import select

from caseapp import clock, mailer
from caseapp.models import Case, Deadline, DeadlineKind, DigestMessage, DigestStatus, Role, User
from caseapp.models.base import utcnow
from caseapp.services import cases as case_service
from caseapp.services import digests
from caseapp.services import users as user_service
from caseapp.services.cases import VersionCheck
from tests.factories import applicant_values, dependant_values

TODAY = clock.today()


class Inbox:
    """An aiosmtpd handler that keeps what it accepts; ``reply`` set refuses DATA with it,
    ``rcpt_reply`` set refuses every recipient."""

    def __init__(self) -> None:
        self.envelopes: list[Any] = []
        self.reply: str | None = None
        self.rcpt_reply: str | None = None

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          rcpt_options: list[str]) -> str:
        if self.rcpt_reply:
            return self.rcpt_reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.reply:
            return self.reply
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"

    @property
    def messages(self) -> list[EmailMessage]:
        return [email.message_from_bytes(e.content, policy=default_policy)  # type: ignore[misc]
                for e in self.envelopes]

    def per_recipient(self) -> Counter[str]:
        return Counter(rcpt for e in self.envelopes for rcpt in e.rcpt_tos)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def smtp_server(app: Flask) -> Iterator[Inbox]:
    """A real SMTP server on 127.0.0.1, the app's SMTP settings pointing at it."""
    with running_smtp_server(app) as inbox:
        yield inbox


@pytest.fixture
def no_smtp_server(app: Flask) -> None:
    point_at_no_server(app)


@contextmanager
def running_smtp_server(app: Flask, inbox: Inbox | None = None) -> Iterator[Inbox]:
    inbox = inbox or Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=controller.port, SMTP_STARTTLS=False,
                      SMTP_USER="", SMTP_FROM="caseapp@consultancy.test",
                      SMTP_TIMEOUT_SECONDS=5)
    try:
        yield inbox
    finally:
        controller.stop()


def point_at_no_server(app: Flask) -> None:
    """SMTP settings pointing at a port where nothing listens."""
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=free_port(), SMTP_TIMEOUT_SECONDS=5)


def case_with_deadlines(consultant: User, child_name: str = "Ethan", **applicant: Any) -> Case:
    """A case with an overdue passport deadline (the applicant's passport expires in two
    months, inside the warning window), a planned submission in 3 days, and a child who
    comes of age in 3 days (their name and date of birth in the deadline's own text)."""
    applicant.setdefault("passport_expiry", TODAY + timedelta(days=60))
    case = case_service.open_case(consultant, applicant_values(**applicant),
                                  planned_submission_date=TODAY + timedelta(days=3))
    born = TODAY.replace(year=TODAY.year - 18) + timedelta(days=3) if not (
        TODAY.month == 2 and TODAY.day == 29) else date(TODAY.year - 18, 3, 4)
    case_service.add_dependant(consultant, case, dependant_values(
        given_name=child_name, date_of_birth=born,
        passport_expiry=TODAY + timedelta(days=40)), VersionCheck.SKIP)
    return case


def quiet_case(consultant: User) -> Case:
    """A case with nothing due for months (the default passport expires in 2031)."""
    return case_service.open_case(consultant, applicant_values(given_name="Quiet"))


def rows(db: Any) -> list[DigestMessage]:
    db.session.expire_all()
    return list(db.session.scalars(select(DigestMessage).order_by(DigestMessage.id)))


# ---- who gets one, and how often ---------------------------------------------------------------

def test_each_active_consultant_with_something_due_gets_one_digest(db, smtp_server, consultant,
                                                                   other_consultant, make_user):
    case = case_with_deadlines(consultant)
    quiet_case(other_consultant)  # nothing due: no e-mail
    gone = make_user(Role.CONSULTANT, name="Gone Consultant")
    case_with_deadlines(gone)
    user_service.set_active(gone, False, actor=make_user(Role.ADMIN))
    make_user(Role.MANAGER)

    report = digests.run()

    assert (report.composed, report.sent, report.ok) == (1, 1, True)
    assert smtp_server.per_recipient() == Counter({consultant.email: 1})
    (message,) = smtp_server.messages
    assert message["From"] == "caseapp@consultancy.test"
    assert message["To"] == consultant.email
    assert message["Auto-Submitted"] == "auto-generated"
    (row,) = rows(db)
    assert message["Message-ID"] == f"<digest-{row.id}-{TODAY:%Y%m%d}@consultancy.test>"
    assert (row.user_id, row.digest_on, row.status, row.attempts) == (
        consultant.id, TODAY, DigestStatus.SENT, 1)
    assert row.sent_at is not None
    assert message["Subject"] == (f"caseapp: 2 overdue, 2 due within 7 days "
                                  f"({TODAY.isoformat()})")
    body = message.get_content()
    assert body.startswith("Hello Connie Consultant,")
    assert body.count(case.reference) == 4
    assert "Overdue (2)" in body and "Due within 7 days (2)" in body
    assert "Passport expiry: Passport of the applicant" in body
    assert "Passport expiry: Passport of a dependant" in body
    assert "Child comes of age: A child comes of age" in body
    assert "Planned submission" in body
    assert "http" not in body  # no BASE_URL, no links


def test_running_again_the_same_day_sends_nothing(db, smtp_server, consultant, other_consultant):
    case_with_deadlines(consultant)
    assert digests.run().sent == 1
    case_with_deadlines(other_consultant)  # new today: gets theirs on the next run

    again = digests.run()
    third = digests.run()

    assert (again.composed, again.sent, again.ok) == (1, 1, True)
    assert (third.composed, third.sent, third.ok) == (0, 0, True)
    assert smtp_server.per_recipient() == Counter({consultant.email: 1,
                                                   other_consultant.email: 1})
    assert len(rows(db)) == 2


def test_done_and_snoozed_deadlines_are_left_out_and_nothing_left_means_no_mail(
        db, smtp_server, consultant):
    case = case_with_deadlines(consultant)
    deadlines = db.session.scalars(select(Deadline).where(Deadline.case_id == case.id)).all()
    for deadline in deadlines:
        if deadline.kind is DeadlineKind.PASSPORT_EXPIRY:
            deadline.done_at = utcnow()
        else:
            deadline.snoozed_until = TODAY + timedelta(days=10)
    db.session.commit()

    report = digests.run()

    assert (report.composed, report.sent, report.ok) == (0, 0, True)
    assert smtp_server.envelopes == [] and rows(db) == []


def test_a_digest_lists_each_deadline_due_no_later_than_a_week_ahead(db, smtp_server, consultant):
    case = quiet_case(consultant)
    for days, source in [(-1, "a"), (0, "b"), (7, "c"), (8, "d")]:
        db.session.add(Deadline(case_id=case.id, kind=DeadlineKind.FOLLOW_UP, source=source,
                                due_on=TODAY + timedelta(days=days),
                                action="Follow up: call Mr Quiet on +852 9123 4567"))
    db.session.commit()

    digests.run()

    body = smtp_server.messages[0].get_content()
    dates = [(TODAY + timedelta(days=d)).isoformat() for d in (-1, 0, 7, 8)]
    assert [d in body for d in dates] == [True, True, True, False]
    lines = [line.split()[0] for line in body.splitlines() if line[:1].isdigit()]
    assert lines == dates[:3]
    assert body.index("Overdue (1)") < body.index("Due within 7 days (2)")
    assert "Follow-up: see the case's notes" in body
    assert "9123" not in body and "Quiet" not in body


# ---- content ------------------------------------------------------------------------------

def test_the_digest_carries_no_personal_data(db, smtp_server, app, consultant):
    app.config["BASE_URL"] = "https://cases.consultancy.test/"
    people = [dict(given_name="Tai Man", family_name="Chan", chinese_name="陳大文",
                   passport_number="K98765432", date_of_birth=date(1985, 2, 14),
                   email="taiman@client.test", phone="+852 9876 5432", child_name="Wing"),
              dict(given_name="Siu Ming", family_name="Lee", chinese_name="李小明",
                   passport_number="E24681357", date_of_birth=date(1979, 11, 3),
                   email="siuming@client.test", phone="+852 6123 4567", child_name="Yan")]
    cases = [case_with_deadlines(consultant, **p) for p in people]
    # The deadlines' own texts name people: the digest must not use them.
    actions = " ".join(db.session.scalars(select(Deadline.action)))
    assert "Chan" in actions or "Wing" in actions

    digests.run()

    (message,) = smtp_server.messages
    text = message.as_string() + message.get_content()
    for case in cases:
        assert f"https://cases.consultancy.test/cases/{case.reference}" in text
        applicant = case.applicant
        forbidden = [applicant.passport_number, applicant.given_name, applicant.family_name,
                     applicant.chinese_name, applicant.email, applicant.phone,
                     applicant.date_of_birth.isoformat(), f"{applicant.date_of_birth:%d/%m/%Y}",
                     applicant.passport_expiry.isoformat()]
        for dependant in case.dependants:
            forbidden += [dependant.given_name, dependant.date_of_birth.isoformat(),
                          f"{dependant.date_of_birth:%d/%m/%Y}"]
        # The day before the 18th birthday tells the date of birth: the month only.
        coming_of_age = db.session.scalars(select(Deadline).where(
            Deadline.case_id == case.id, Deadline.kind == DeadlineKind.CHILD_TURNS_ADULT)).one()
        forbidden.append(coming_of_age.due_on.isoformat())
        assert f"{coming_of_age.due_on:%Y-%m}     {case.reference}  Child comes of age" in text
        for value in forbidden:
            assert value and str(value) not in text, value
    stored = rows(db)[0]
    assert "K98765432" not in stored.body and "Tai Man" not in stored.body


def test_a_long_list_is_cut_with_a_pointer_to_the_this_week_page(db, smtp_server, consultant,
                                                                monkeypatch):
    monkeypatch.setattr(digests, "MAX_LINES", 3)
    case = quiet_case(consultant)
    for n in range(5):
        db.session.add(Deadline(case_id=case.id, kind=DeadlineKind.FOLLOW_UP, source=f"n{n}",
                                due_on=TODAY + timedelta(days=n), action="x"))
    db.session.commit()

    digests.run()

    message = smtp_server.messages[0]
    assert "Only the first 3 are listed here" in message.get_content()
    assert "3+ due within 7 days" in message["Subject"]


# ---- crashes and reruns ---------------------------------------------------------------------

class Killed(BaseException):
    """The process dying mid-run (not an error the service would catch)."""


def test_a_run_killed_after_the_first_message_sends_the_rest_once_on_the_rerun(
        db, smtp_server, monkeypatch, make_user):
    consultants = [make_user(Role.CONSULTANT) for _ in range(3)]
    for person in consultants:
        case_with_deadlines(person)
    real_send = mailer.send
    calls = []

    def send_then_die(settings: Any, message: Any, recipient: str) -> None:
        calls.append(recipient)
        if len(calls) == 2:
            raise Killed  # killed before the second message reached the server
        real_send(settings, message, recipient)

    monkeypatch.setattr(digests, "smtp_send", send_then_die)
    with pytest.raises(Killed):
        digests.run()
    db.session.rollback()  # what the dead process's connection would do
    assert smtp_server.per_recipient() == Counter({consultants[0].email: 1})

    monkeypatch.setattr(digests, "smtp_send", real_send)
    report = digests.run()

    assert (report.composed, report.sent, report.ok) == (0, 2, True)
    assert smtp_server.per_recipient() == Counter({p.email: 1 for p in consultants})
    assert [r.status for r in rows(db)] == [DigestStatus.SENT] * 3


def test_a_run_killed_between_composing_and_sending_sends_all_on_the_rerun(
        db, smtp_server, monkeypatch, consultant, other_consultant):
    case_with_deadlines(consultant)
    case_with_deadlines(other_consultant)

    def die(*args: Any, **kwargs: Any) -> None:
        raise Killed

    monkeypatch.setattr(digests, "send_due", die)
    with pytest.raises(Killed):
        digests.run()
    monkeypatch.undo()
    assert [r.status for r in rows(db)] == [DigestStatus.PENDING] * 2  # composed, committed

    report = digests.run()

    assert (report.composed, report.sent) == (0, 2)
    assert smtp_server.per_recipient() == Counter({consultant.email: 1,
                                                   other_consultant.email: 1})


def test_killed_after_the_server_accepted_it_the_resend_is_the_same_message(
        db, smtp_server, monkeypatch, consultant):
    """The at-least-once window, as documented: accepted but not yet marked sent."""
    case_with_deadlines(consultant)
    real_send = mailer.send

    def send_and_die(settings: Any, message: Any, recipient: str) -> None:
        real_send(settings, message, recipient)
        raise Killed

    monkeypatch.setattr(digests, "smtp_send", send_and_die)
    with pytest.raises(Killed):
        digests.run()
    db.session.rollback()
    monkeypatch.setattr(digests, "smtp_send", real_send)
    digests.run()

    first, second = smtp_server.messages
    assert first["Message-ID"] == second["Message-ID"]
    assert first.get_content() == second.get_content()
    assert digests.run().sent == 0


# ---- failures, retries, backoff -----------------------------------------------------------

def test_a_refused_message_is_retried_after_the_backoff(db, smtp_server, consultant):
    case_with_deadlines(consultant)
    smtp_server.reply = "451 4.3.0 Try again later"
    now = utcnow()

    report = digests.run(now=now)

    assert (report.sent, report.failed_now, report.pending_today, report.ok) == (0, 1, 1, False)
    (row,) = rows(db)
    assert (row.status, row.attempts) == (DigestStatus.PENDING, 1)
    assert row.next_attempt_at == now + timedelta(seconds=60)
    assert row.last_error == "SMTP 451 4.3.0 Try again later"

    smtp_server.reply = None
    early = digests.run(now=now + timedelta(seconds=59))  # not yet: nothing is tried
    assert (early.sent, early.failed_now, early.ok) == (0, 0, False)
    assert smtp_server.envelopes == []

    later = digests.run(now=now + timedelta(seconds=61))
    assert (later.sent, later.ok) == (1, True)
    assert smtp_server.per_recipient() == Counter({consultant.email: 1})
    (row,) = rows(db)
    assert (row.status, row.attempts, row.last_error) == (DigestStatus.SENT, 2, "")


def test_a_consultant_deactivated_before_the_retry_gets_no_mail(db, smtp_server, consultant,
                                                                admin):
    from caseapp.services.users import set_active

    case_with_deadlines(consultant)
    smtp_server.reply = "451 4.3.0 Try again later"
    now = utcnow()
    assert digests.run(now=now).pending_today == 1
    set_active(consultant, False, admin)

    smtp_server.reply = None
    later = digests.run(now=now + timedelta(seconds=61))
    assert (later.sent, later.withdrawn, later.ok) == (0, 1, True)
    assert "withdrawn: the consultant was deactivated" in later.summary()
    assert smtp_server.envelopes == [] and rows(db) == []


def test_no_server_backs_off_doubling_and_gives_up_after_the_last_attempt(
        db, app, no_smtp_server, consultant):
    app.config.update(DIGEST_MAX_ATTEMPTS=3, DIGEST_RETRY_BASE_SECONDS=60)
    case_with_deadlines(consultant)
    now = utcnow()
    waits = []
    for _ in range(3):
        report = digests.run(now=now)
        assert report.failed_now == 1 and not report.ok
        row = rows(db)[0]
        waits.append((row.next_attempt_at - now).total_seconds())
        now = row.next_attempt_at

    assert waits[:2] == [60, 120]
    (row,) = rows(db)
    assert (row.status, row.attempts) == (DigestStatus.FAILED, 3)
    assert row.last_error.startswith("cannot connect to the SMTP server 127.0.0.1:")
    final = digests.run(now=now + timedelta(days=0, hours=2))
    assert (final.failed_now, final.failed_today, final.ok) == (0, 1, False)


def test_the_backoff_is_at_most_an_hour(db, app, no_smtp_server, consultant):
    app.config.update(DIGEST_MAX_ATTEMPTS=20, DIGEST_RETRY_BASE_SECONDS=600)
    case_with_deadlines(consultant)
    now = utcnow()
    waits = []
    for _ in range(5):
        digests.run(now=now)
        row = rows(db)[0]
        waits.append((row.next_attempt_at - now).total_seconds())
        now = row.next_attempt_at
    assert waits == [600, 1200, 2400, 3600, 3600]
    assert rows(db)[0].attempts == 5


def test_starttls_against_a_server_without_it_is_a_clean_failure(db, app, smtp_server,
                                                                 consultant):
    app.config["SMTP_STARTTLS"] = True
    case_with_deadlines(consultant)

    report = digests.run()

    assert (report.failed_now, report.ok) == (1, False)
    assert smtp_server.envelopes == []  # never sent in clear text
    (row,) = rows(db)
    assert row.status is DigestStatus.PENDING
    assert "STARTTLS" in row.last_error


def test_failure_reasons_name_no_address(db, smtp_server, consultant, other_consultant):
    case_with_deadlines(consultant)
    smtp_server.rcpt_reply = f"550 5.1.1 <{consultant.email}>: no such user"
    digests.run()
    smtp_server.rcpt_reply = None
    smtp_server.reply = f"554 5.7.1 Message to {consultant.email} refused as spam"
    rows(db)[0].next_attempt_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    digests.run()

    (row,) = rows(db)
    assert row.attempts == 2
    assert row.last_error == "SMTP 554 5.7.1 Message to <address> refused as spam"
    assert "@" not in row.last_error


def test_a_refused_recipient_is_recorded_by_its_code(db, smtp_server, consultant):
    case_with_deadlines(consultant)
    smtp_server.rcpt_reply = f"550 5.1.1 <{consultant.email}>: no such user"
    digests.run()
    (row,) = rows(db)
    assert row.last_error == "recipient refused (550)"


def test_pending_digests_of_an_earlier_day_expire_unsent(db, smtp_server, consultant):
    case_with_deadlines(consultant)
    yesterday = TODAY - timedelta(days=1)
    db.session.add(DigestMessage(user_id=consultant.id, digest_on=yesterday,
                                 status=DigestStatus.PENDING, subject="old", body="old"))
    db.session.commit()

    report = digests.run()

    assert (report.expired, report.sent, report.ok) == (1, 1, True)
    assert "1 of earlier days expired unsent" in report.summary()
    old, new = rows(db)
    assert (old.status, old.last_error) == (DigestStatus.FAILED, digests.EXPIRED_REASON)
    assert new.digest_on == TODAY and new.status is DigestStatus.SENT
    assert [m["Subject"] for m in smtp_server.messages] != ["old"]


def test_a_row_sent_or_held_elsewhere_is_not_sent_again(db, smtp_server, consultant,
                                                        monkeypatch):
    """Another run marked it sent between this run's listing and its claim."""
    case_with_deadlines(consultant)
    digests.compose(TODAY)
    real_due = digests._due
    listed = []

    def due_then_sent_elsewhere(today: date, now: Any) -> Any:
        if listed:  # the claim: by now another run has sent it
            row = db.session.get(DigestMessage, rows(db)[0].id)
            row.status = DigestStatus.SENT
            db.session.commit()
        listed.append(1)
        return real_due(today, now)

    monkeypatch.setattr(digests, "_due", due_then_sent_elsewhere)
    report = digests.send_due(TODAY)
    assert report.sent == 0 and smtp_server.envelopes == []


def test_the_smtp_settings_come_from_the_config(app):
    app.config.update(SMTP_HOST="mail.test", SMTP_PORT="587", SMTP_STARTTLS=True,
                      SMTP_USER="u", SMTP_PASSWORD="p", SMTP_FROM="Cases <cases@firm.test>")
    settings = mailer.SmtpSettings.from_config(app.config)
    assert (settings.host, settings.port, settings.starttls, settings.user, settings.password,
            settings.sender_domain) == ("mail.test", 587, True, "u", "p", "firm.test")


def test_the_environment_sets_the_smtp_settings():
    from config import load_config

    settings = load_config("development", {
        "CASEAPP_SMTP_HOST": "smtp.firm.test", "CASEAPP_SMTP_PORT": "587",
        "CASEAPP_SMTP_STARTTLS": "yes", "CASEAPP_SMTP_USER": "mailer",
        "CASEAPP_SMTP_PASSWORD": "s3cret", "CASEAPP_SMTP_FROM": "cases@firm.test",
        "CASEAPP_BASE_URL": "https://cases.firm.test"})
    assert (settings["SMTP_HOST"], settings["SMTP_PORT"], settings["SMTP_STARTTLS"],
            settings["SMTP_USER"], settings["SMTP_PASSWORD"], settings["SMTP_FROM"],
            settings["BASE_URL"]) == ("smtp.firm.test", 587, True, "mailer", "s3cret",
                                      "cases@firm.test", "https://cases.firm.test")
    defaults = load_config("development", {})
    assert (defaults["SMTP_HOST"], defaults["SMTP_PORT"], defaults["SMTP_STARTTLS"],
            defaults["BASE_URL"], defaults["DIGEST_MAX_ATTEMPTS"]) == (
        "localhost", 25, False, None, 5)
