"""What needs doing by when: deadlines derived from a case's facts and the rules, case notes
with their follow-up dates, the daily e-mail digest's outbox and the calendar feeds."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from caseapp.models.base import Base, utcnow
from caseapp.models.types import enum_type

if TYPE_CHECKING:
    from caseapp.models.case import Case
    from caseapp.models.user import User


class DeadlineKind(StrEnum):
    PASSPORT_EXPIRY = "passport_expiry"
    STATEMENT_STALE = "statement_stale"
    CHILD_TURNS_ADULT = "child_turns_adult"
    CHECK_TOO_OLD = "check_too_old"
    PLANNED_SUBMISSION = "planned_submission"
    IMMD_REPLY_DUE = "immd_reply_due"
    FOLLOW_UP = "follow_up"

    @property
    def label(self) -> str:
        return DEADLINE_LABELS[self]


DEADLINE_LABELS = {
    DeadlineKind.PASSPORT_EXPIRY: "Passport expiry",
    DeadlineKind.STATEMENT_STALE: "Bank statement goes stale",
    DeadlineKind.CHILD_TURNS_ADULT: "Child comes of age",
    DeadlineKind.CHECK_TOO_OLD: "Check too old to submit on",
    DeadlineKind.PLANNED_SUBMISSION: "Planned submission",
    DeadlineKind.IMMD_REPLY_DUE: "Reply due to ImmD",
    DeadlineKind.FOLLOW_UP: "Follow-up",
}


class Deadline(Base):
    """One dated thing to do on a case. Derived ones are recomputed after every change to the
    case and every check run (``services.deadlines``); ``source`` names the cause (the
    applicant's passport, statement 12, child 7, note 40, ...), so a recomputation keeps the
    row, and its done or snoozed mark, while the cause and its date stay the same."""

    __tablename__ = "deadlines"
    __table_args__ = (
        UniqueConstraint("case_id", "source", name="uq_deadlines_case_id_source"),
        # "This week": everything open by date; a consultant's through cases.consultant_id.
        Index("ix_deadlines_due_on_id", "due_on", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    kind: Mapped[DeadlineKind] = mapped_column(enum_type(DeadlineKind, "deadline_kind"))
    source: Mapped[str] = mapped_column(String(40))
    due_on: Mapped[date]
    # What to do, as a person reads it; names the person concerned.
    action: Mapped[str] = mapped_column(String(300))
    # Who it concerns: "applicant", "dependant:<id>" or "" (the case as a whole).
    person: Mapped[str] = mapped_column(String(40), default="", server_default="")
    done_at: Mapped[datetime | None]
    done_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    snoozed_until: Mapped[date | None]
    snoozed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # Why it was marked done or snoozed, last of the two.
    mark_reason: Mapped[str] = mapped_column(String(300), default="", server_default="")

    case: Mapped[Case] = relationship()


class ContactChannel(StrEnum):
    NOTE = "note"
    PHONE = "phone"
    EMAIL = "email"
    MEETING = "meeting"
    MESSAGE = "message"

    @property
    def label(self) -> str:
        return {"note": "Note", "phone": "Phone call", "email": "E-mail", "meeting": "Meeting",
                "message": "Message"}[self.value]


class CaseNote(Base):
    """A note on a case or a contact with the client: who, when, how, what; its follow-up date
    becomes a deadline. Its author may edit it for a short while, then it stands as written."""

    __tablename__ = "case_notes"
    __table_args__ = (Index("ix_case_notes_case_id_created_at_id", "case_id", "created_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    channel: Mapped[ContactChannel] = mapped_column(enum_type(ContactChannel, "channel"))
    # When the contact took place (the note's own time when it records no contact).
    happened_at: Mapped[datetime] = mapped_column(default=utcnow)
    text: Mapped[str] = mapped_column(Text)
    follow_up_on: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    edited_at: Mapped[datetime | None]

    author: Mapped[User] = relationship()


class DigestStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"  # retries used up


class DigestMessage(Base):
    """The outbox of the daily e-mail digest: one row per consultant per day, written before
    anything is sent, so that a run killed half-way and started again sends each once."""

    __tablename__ = "digest_messages"
    __table_args__ = (
        UniqueConstraint("user_id", "digest_on", name="uq_digest_messages_user_id_digest_on"),
        Index("ix_digest_messages_status_next_attempt_at", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    digest_on: Mapped[date]
    status: Mapped[DigestStatus] = mapped_column(enum_type(DigestStatus, "digest_status"))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_error: Mapped[str] = mapped_column(String(300), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()


class CalendarFeed(Base):
    """A consultant's private iCalendar feed of their deadlines: the URL carries a long random
    token, of which only the SHA-256 is kept; revoking it stops the URL at once."""

    __tablename__ = "calendar_feeds"
    __table_args__ = (Index("ix_calendar_feeds_user_id_created_at", "user_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()
