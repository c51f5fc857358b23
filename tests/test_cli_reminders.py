"""``flask --app caseapp reminders send``: one line of counts, exit status 0 when every digest
of today is sent and 1 otherwise; safe to run again. Over a real SMTP server (aiosmtpd).
Both databases."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select, update

from caseapp.models import DigestMessage, DigestStatus, Role
from caseapp.models.base import utcnow
from tests.services.test_digests import (
    Inbox,
    case_with_deadlines,
    point_at_no_server,
    running_smtp_server,
)


@pytest.fixture
def smtp_server(app: Flask) -> Iterator[Inbox]:
    with running_smtp_server(app) as inbox:
        yield inbox


@pytest.fixture
def no_smtp_server(app: Flask) -> None:
    point_at_no_server(app)


def send(app, *args):
    return app.test_cli_runner().invoke(args=["reminders", "send", *args])


def test_send_mails_each_digest_and_exits_0(app, db, smtp_server, consultant,
                                            other_consultant):
    case_with_deadlines(consultant)
    case_with_deadlines(other_consultant)

    result = send(app)

    assert result.exit_code == 0, result.output
    assert result.stdout == "Digests: composed 2, sent 2, retry later 0, failed 0.\n"
    assert smtp_server.per_recipient() == Counter({consultant.email: 1,
                                                   other_consultant.email: 1})


def test_a_second_run_the_same_day_sends_nothing_and_exits_0(app, db, smtp_server, consultant):
    case_with_deadlines(consultant)
    assert send(app).exit_code == 0

    again = send(app)

    assert again.exit_code == 0, again.output
    assert again.stdout == "Digests: composed 0, sent 0, retry later 0, failed 0.\n"
    assert smtp_server.per_recipient() == Counter({consultant.email: 1})


def test_nothing_due_anywhere_sends_nothing_and_exits_0(app, db, smtp_server, consultant):
    result = send(app)
    assert result.exit_code == 0
    assert "composed 0, sent 0" in result.stdout and smtp_server.envelopes == []


def test_smtp_down_exits_1_and_a_run_after_the_backoff_sends_it(app, db, no_smtp_server,
                                                               consultant):
    case_with_deadlines(consultant)

    down = send(app)

    assert down.exit_code == 1
    assert down.stdout == "Digests: composed 1, sent 0, retry later 1, failed 0.\n"
    assert "Traceback" not in down.output
    row = db.session.scalars(select(DigestMessage)).one()
    assert row.attempts == 1 and row.next_attempt_at > utcnow()

    too_soon = send(app)  # the backoff has not passed: nothing tried
    assert too_soon.exit_code == 1
    assert db.session.scalars(select(DigestMessage)).one().attempts == 1


def test_the_retry_goes_out_once_the_server_is_back(app, db, smtp_server, consultant):
    case_with_deadlines(consultant)
    smtp_server.reply = "451 4.3.0 Try again later"
    assert send(app).exit_code == 1
    smtp_server.reply = None
    db.session.execute(update(DigestMessage).values(
        next_attempt_at=utcnow() - timedelta(seconds=1)))  # the backoff has passed
    db.session.commit()

    result = send(app)

    assert result.exit_code == 0, result.output
    assert result.stdout == "Digests: composed 0, sent 1, retry later 0, failed 0.\n"
    assert smtp_server.per_recipient() == Counter({consultant.email: 1})


def test_given_up_digests_keep_the_exit_status_1_for_the_day(app, db, no_smtp_server,
                                                             consultant):
    app.config["DIGEST_MAX_ATTEMPTS"] = 1
    case_with_deadlines(consultant)

    first = send(app)
    second = send(app)

    assert (first.exit_code, second.exit_code) == (1, 1)
    assert first.stdout == "Digests: composed 1, sent 0, retry later 0, failed 1.\n"
    assert db.session.scalars(select(DigestMessage)).one().status is DigestStatus.FAILED


def test_the_output_names_no_one(app, db, no_smtp_server, make_user):
    people = [make_user(Role.CONSULTANT, name=f"Named Person {n}") for n in range(2)]
    for person in people:
        case_with_deadlines(person, given_name="Tai Man", passport_number="K98765432")

    result = send(app)

    for person in people:
        assert person.email not in result.output and person.name not in result.output
    assert "Tai Man" not in result.output and "K98765432" not in result.output
    assert "@" not in result.output


class FlakyInbox(Inbox):
    """Refuses the first message with 451, accepts the rest."""

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if not getattr(self, "refused", False):
            self.refused = True
            return "451 4.3.0 Try again later"
        return await super().handle_DATA(server, session, envelope)


def test_retry_for_waits_out_the_backoff_within_the_run(app, db, consultant):
    app.config["DIGEST_RETRY_BASE_SECONDS"] = 1
    case_with_deadlines(consultant)
    with running_smtp_server(app, FlakyInbox()) as inbox:
        result = send(app, "--retry-for", "1")

    assert result.exit_code == 0, result.output
    assert result.stdout == "Digests: composed 1, sent 1, retry later 0, failed 0.\n"
    assert inbox.per_recipient() == Counter({consultant.email: 1})
    row = db.session.scalars(select(DigestMessage)).one()
    assert (row.attempts, row.status) == (2, DigestStatus.SENT)


def test_retry_for_gives_up_when_the_next_attempt_is_beyond_it(app, db, no_smtp_server,
                                                              consultant):
    app.config["DIGEST_RETRY_BASE_SECONDS"] = 120  # after the minute --retry-for allows
    case_with_deadlines(consultant)

    result = send(app, "--retry-for", "1")

    assert result.exit_code == 1
    assert result.stdout == "Digests: composed 1, sent 0, retry later 1, failed 0.\n"
    assert db.session.scalars(select(DigestMessage)).one().attempts == 1
