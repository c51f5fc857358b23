"""The daily e-mail digest: each active consultant's overdue deadlines and those due within
7 days, sent once a day through an outbox (``digest_messages``).

A run has two phases, each its own transactions:

1. Compose. For each active consultant with anything open up to a week ahead, one row for
   (consultant, today) is written with its subject and body, guarded by the table's unique
   constraint (``INSERT ... ON CONFLICT DO NOTHING``), and committed before anything is sent.
   A consultant who has a row for today gets no second one, however often the command runs;
   one with nothing due gets none (and no e-mail).
2. Send. Each of today's pending rows whose ``next_attempt_at`` has come is claimed (on
   PostgreSQL ``SELECT ... FOR UPDATE SKIP LOCKED``, so two runs at once never take the same
   row; SQLite has no row locks and assumes one run at a time: the systemd timer never starts a
   second run while one is active, and the README's cron line wraps the command in ``flock``),
   handed to the SMTP server, and marked sent in a commit right after the server accepted it.
   A failure counts an attempt, keeps a short reason (no address, no personal data) and waits
   ``DIGEST_RETRY_BASE_SECONDS`` doubled per attempt (at most an hour) for the next run; after
   ``DIGEST_MAX_ATTEMPTS`` the row is failed.

Delivery is at least once, not at most once. The row makes sure a run killed and started
again composes nothing twice and resends nothing marked sent. One window remains: a process
killed after the server accepted a message and before the commit that marks it sent (the time
of one local commit) leaves it pending, and the next run sends it again. The other choice,
marking it before sending, would lose that digest altogether instead; a reminder that arrives
twice is better than one that never does. The resend carries the same ``Message-ID``
(``<digest-<row id>-<day>@<sender's domain>>``), so mail clients see one message.

What a digest says: the due date, the case reference, the kind of deadline and a neutral
description of it (whose passport by role, never by name), and a link to the case when
``BASE_URL`` is set. Never the deadline's own action text, which names people, nor any passport
number, date of birth, client name, e-mail or phone.

Pending rows of an earlier day (the command did not run again on their day) are not sent
late: they are failed as expired, the day's own digest has taken their place.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any
from urllib.parse import quote

from flask import current_app
from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from caseapp import clock
from caseapp.extensions import db
from caseapp.mailer import MailError, SmtpSettings
from caseapp.mailer import send as smtp_send
from caseapp.models import Deadline, DeadlineKind, DigestMessage, DigestStatus, Role, User
from caseapp.models.base import utcnow
from caseapp.queries.deadlines import open_deadlines
from caseapp.services.deadlines import outside_date_text

DAYS_AHEAD = 7
MAX_LINES = 200  # a longer list is cut, with a pointer to the This week page
MAX_BACKOFF_SECONDS = 3600
EXPIRED_REASON = "Not sent on its day: a later day's digest replaces it."


@dataclass
class RunReport:
    """What one run did and where today's digests stand after it."""

    composed: int = 0
    sent: int = 0
    failed_now: int = 0  # attempts that failed in this run
    expired: int = 0  # pending rows of earlier days, given up
    pending_today: int = 0  # today's digests waiting for a retry
    failed_today: int = 0  # today's digests given up
    withdrawn: int = 0  # composed for someone deactivated before it went out

    @property
    def ok(self) -> bool:
        return self.pending_today == 0 and self.failed_today == 0

    def summary(self) -> str:
        line = (f"Digests: composed {self.composed}, sent {self.sent}, retry later "
                f"{self.pending_today}, failed {self.failed_today}.")
        if self.expired:
            line += f" {self.expired} of earlier days expired unsent."
        if self.withdrawn:
            line += f" {self.withdrawn} withdrawn: the consultant was deactivated."
        return line


def run(today: date | None = None, now: datetime | None = None) -> RunReport:
    """Compose today's digests, then send every one that is due: what the command does."""
    today = today or clock.today()
    now = now or utcnow()
    report = RunReport(composed=compose(today, now))
    report.expired = expire_earlier(today)
    send_due(today, report, now=now)
    counts: dict[DigestStatus, int] = {
        status: count for status, count in db.session.execute(
            select(DigestMessage.status, func.count()).where(DigestMessage.digest_on == today)
            .group_by(DigestMessage.status))}
    db.session.commit()
    report.pending_today = counts.get(DigestStatus.PENDING, 0)
    report.failed_today = counts.get(DigestStatus.FAILED, 0)
    return report


def next_attempt_at(today: date) -> datetime | None:
    """When the earliest of today's digests waiting for a retry may be tried (None: none)."""
    when = db.session.scalar(select(func.min(DigestMessage.next_attempt_at)).where(
        DigestMessage.status == DigestStatus.PENDING, DigestMessage.digest_on == today))
    db.session.commit()
    if when is not None and when.tzinfo is None:  # min() skips the column type on SQLite
        when = when.replace(tzinfo=UTC)
    return when


# ---- phase 1: compose ------------------------------------------------------------------------

def compose(today: date, now: datetime | None = None) -> int:
    """Write today's row for each active consultant with something due who has none yet,
    to be sent from ``now``; committed. Returns how many were written."""
    already = set(db.session.scalars(
        select(DigestMessage.user_id).where(DigestMessage.digest_on == today)))
    consultants = db.session.scalars(
        select(User).where(User.role == Role.CONSULTANT, User.active.is_(True))
        .order_by(User.id)).all()
    composed = 0
    for consultant in consultants:
        if consultant.id in already:
            continue
        deadlines = open_deadlines(today, today + timedelta(days=DAYS_AHEAD),
                                   consultant_id=consultant.id, limit=MAX_LINES + 1)
        if not deadlines:
            continue
        subject, body = digest_text(consultant, deadlines, today, _base_url())
        composed += _insert_once(consultant.id, today, subject, body, now or utcnow())
    db.session.commit()
    return composed


def _insert_once(user_id: int, today: date, subject: str, body: str, created: datetime) -> int:
    """INSERT the row unless (user, day) has one already (another run's): 1 or 0."""
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(DigestMessage).values(
        user_id=user_id, digest_on=today, status=DigestStatus.PENDING, subject=subject,
        body=body, attempts=0, next_attempt_at=created, last_error="", created_at=created,
    ).on_conflict_do_nothing(index_elements=["user_id", "digest_on"]).returning(DigestMessage.id)
    return 0 if db.session.execute(statement).scalar_one_or_none() is None else 1


def _base_url() -> str | None:
    base = current_app.config.get("BASE_URL")
    return str(base).rstrip("/") if base else None


# A digest line's words per kind, naming nobody; {whom} is the person by role only.
DIGEST_LINES = {
    DeadlineKind.PASSPORT_EXPIRY: "Passport of {whom}: have it renewed",
    DeadlineKind.STATEMENT_STALE:
        "A bank statement stops counting: submit by then or get a newer one",
    DeadlineKind.CHILD_TURNS_ADULT: "A child comes of age: submit before then",
    DeadlineKind.CHECK_TOO_OLD:
        "The eligible check gets too old to submit on: run the checks again",
    DeadlineKind.PLANNED_SUBMISSION:
        "Planned submission to ImmD: have the case reviewed and submitted",
    DeadlineKind.IMMD_REPLY_DUE: "Reply due to ImmD's request",
    DeadlineKind.FOLLOW_UP: "Follow-up: see the case's notes",
}


def describe(deadline: Deadline) -> str:
    """What the deadline is about, naming nobody: the person by role only."""
    return DIGEST_LINES[deadline.kind].format(whom=_whom(deadline.person))


def _whom(person: str) -> str:
    if person == "applicant":
        return "the applicant"
    if person.startswith("dependant:"):
        return "a dependant"
    return "a person on the case"


def digest_text(consultant: User, deadlines: Sequence[Deadline], today: date,
                base_url: str | None) -> tuple[str, str]:
    """The subject and the plain-text body of one consultant's digest."""
    shown = list(deadlines[:MAX_LINES])
    overdue = [d for d in shown if d.due_on < today]
    upcoming = [d for d in shown if d.due_on >= today]
    more = len(deadlines) > MAX_LINES
    subject = (f"caseapp: {len(overdue)}{'+' if more and not upcoming else ''} overdue, "
               f"{len(upcoming)}{'+' if more and upcoming else ''} due within {DAYS_AHEAD} days "
               f"({today.isoformat()})")
    lines = [f"Hello {consultant.name},", "",
             f"What needs doing on your cases, as of {today:%A} {today.isoformat()}.", ""]
    lines += _section("Overdue", overdue, base_url)
    lines += _section(f"Due within {DAYS_AHEAD} days", upcoming, base_url)
    if more:
        lines += [f"Only the first {MAX_LINES} are listed here; the This week page in caseapp "
                  "lists them all.", ""]
    lines += ["Mark a deadline done or snooze it on the This week page; this e-mail comes once "
              "a day while anything is overdue or due within a week.", "", "-- ",
              "caseapp (sent automatically; replies are not read)"]
    return subject, "\n".join(lines) + "\n"


def _section(title: str, deadlines: Iterable[Deadline], base_url: str | None) -> list[str]:
    listed = list(deadlines)
    if not listed:
        return []
    lines = [f"{title} ({len(listed)})", "-" * (len(title) + len(str(len(listed))) + 3)]
    for deadline in listed:
        reference = deadline.case.reference
        # A child's coming of age by its month only: the exact day tells the date of birth.
        when = outside_date_text(deadline.kind, deadline.due_on)
        lines.append(f"{when:<10}  {reference}  {deadline.kind.label}: {describe(deadline)}")
        if base_url:
            lines.append(f"    {base_url}/cases/{quote(reference)}")
    return [*lines, ""]


# ---- phase 2: send ---------------------------------------------------------------------------

def expire_earlier(today: date) -> int:
    """Give up the pending rows of earlier days; committed."""
    result: Any = db.session.execute(
        update(DigestMessage)
        .where(DigestMessage.status == DigestStatus.PENDING, DigestMessage.digest_on < today)
        .values(status=DigestStatus.FAILED, last_error=EXPIRED_REASON))
    db.session.commit()
    return int(result.rowcount or 0)


def _due(today: date, now: datetime) -> Any:
    return (select(DigestMessage)
            .where(DigestMessage.status == DigestStatus.PENDING, DigestMessage.digest_on == today,
                   DigestMessage.next_attempt_at <= now))


def send_due(today: date, report: RunReport | None = None,
             now: datetime | None = None) -> RunReport:
    """Send each of today's pending digests whose time has come, one transaction each."""
    report = report or RunReport()
    now = now or utcnow()
    settings = SmtpSettings.from_config(current_app.config)
    ids = list(db.session.scalars(_due(today, now).with_only_columns(DigestMessage.id)
                                  .order_by(DigestMessage.id)))
    db.session.commit()
    for digest_id in ids:
        # Claimed again one by one: another run may have sent it meanwhile, or hold it now.
        row = db.session.scalars(
            _due(today, now).where(DigestMessage.id == digest_id)
            .with_for_update(skip_locked=True)
            .execution_options(populate_existing=True)).one_or_none()
        if row is None:
            db.session.rollback()
            continue
        if not row.user.active or row.user.role is not Role.CONSULTANT:
            # Deactivated (or no longer a consultant) since it was composed: not sent; a
            # digest composed again the same day, after a reactivation, takes its place.
            db.session.delete(row)
            db.session.commit()
            report.withdrawn += 1
            continue
        try:
            smtp_send(settings, build_message(row, settings), row.user.email)
        except MailError as error:
            _record_failure(row, error.reason, now)
            report.failed_now += 1
        else:
            row.attempts += 1
            row.status = DigestStatus.SENT
            row.sent_at = utcnow()
            row.last_error = ""
            report.sent += 1
        db.session.commit()
    return report


def build_message(row: DigestMessage, settings: SmtpSettings) -> EmailMessage:
    message = EmailMessage()
    message["From"] = settings.sender
    message["To"] = row.user.email
    message["Subject"] = row.subject
    message["Date"] = format_datetime(row.created_at)
    # The same on a resend after a crash, so a mail client shows the message once.
    message["Message-ID"] = (f"<digest-{row.id}-{row.digest_on:%Y%m%d}@"
                             f"{settings.sender_domain}>")
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies, please
    message.set_content(row.body)
    return message


def _record_failure(row: DigestMessage, reason: str, now: datetime) -> None:
    config = current_app.config
    row.attempts += 1
    row.last_error = reason[:300]
    if row.attempts >= int(config["DIGEST_MAX_ATTEMPTS"]):
        row.status = DigestStatus.FAILED
        return
    delay = int(config["DIGEST_RETRY_BASE_SECONDS"]) * 2 ** (row.attempts - 1)
    row.next_attempt_at = now + timedelta(seconds=min(delay, MAX_BACKOFF_SECONDS))
