"""The way to ImmD and back: the review before submission, the frozen packages sent, ImmD's
requests for further information and the correspondence log."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from caseapp.models.base import Base, utcnow
from caseapp.models.types import enum_type

if TYPE_CHECKING:
    from caseapp.models.document import Document
    from caseapp.models.user import User


class ReviewOutcome(StrEnum):
    APPROVED = "approved"
    RETURNED = "returned"

    @property
    def label(self) -> str:
        return {"approved": "Approved for submission", "returned": "Returned to the consultant"}[
            self.value]


class Review(Base):
    """A manager's review of a case ready for review: approved with a comment, or returned
    with what to fix. An approval holds for the case version it was given on."""

    __tablename__ = "case_reviews"
    __table_args__ = (Index("ix_case_reviews_case_id_reviewed_at", "case_id", "reviewed_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    outcome: Mapped[ReviewOutcome] = mapped_column(enum_type(ReviewOutcome, "outcome"))
    comment: Mapped[str] = mapped_column(Text)
    # The case version the reviewer saw (after a return, the version the move produced).
    case_version: Mapped[int] = mapped_column(Integer)
    reviewed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    reviewed_at: Mapped[datetime] = mapped_column(default=utcnow)

    reviewed_by: Mapped[User] = relationship()


class PackageKind(StrEnum):
    SUBMISSION = "submission"
    FURTHER_INFORMATION = "further_information"

    @property
    def label(self) -> str:
        return {"submission": "Application submitted",
                "further_information": "Further information sent"}[self.value]


class SubmissionPackage(Base):
    """What was sent to ImmD, frozen: canonical JSON text and its SHA-256, never edited."""

    __tablename__ = "submission_packages"
    __table_args__ = (Index("ix_submission_packages_case_id_id", "case_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    kind: Mapped[PackageKind] = mapped_column(enum_type(PackageKind, "kind"))
    sent_on: Mapped[date]
    # For a further-information package: the request it answers.
    information_request_id: Mapped[int | None] = mapped_column(
        ForeignKey("information_requests.id"))
    # Text, not JSON: stored and returned byte for byte as it was frozen.
    content: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    created_by: Mapped[User] = relationship()


class InformationRequest(Base):
    """ImmD asked for more: what, by when; open until the reply is sent."""

    __tablename__ = "information_requests"
    __table_args__ = (Index("ix_information_requests_case_id_id", "case_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    # The date of ImmD's letter.
    requested_on: Mapped[date]
    details: Mapped[str] = mapped_column(Text)
    due_on: Mapped[date]
    opened_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The consultant's notes for the reply, kept while they gather documents.
    reply_notes: Mapped[str] = mapped_column(Text, default="", server_default="")
    answered_on: Mapped[date | None]
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    answered_at: Mapped[datetime | None]

    opened_by: Mapped[User] = relationship(foreign_keys=[opened_by_id])
    answered_by: Mapped[User | None] = relationship(foreign_keys=[answered_by_id])

    @property
    def is_open(self) -> bool:
        return self.answered_at is None


class CorrespondenceKind(StrEnum):
    APPLICATION = "application"
    INFORMATION_REQUEST = "information_request"
    REPLY = "reply"
    DECISION_LETTER = "decision_letter"
    ACKNOWLEDGEMENT = "acknowledgement"
    OTHER = "other"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


class Direction(StrEnum):
    FROM_IMMD = "from_immd"
    TO_IMMD = "to_immd"

    @property
    def label(self) -> str:
        return {"from_immd": "From ImmD", "to_immd": "To ImmD"}[self.value]


class Correspondence(Base):
    """A letter or message to or from ImmD, with its date, as logged on the case."""

    __tablename__ = "correspondence"
    __table_args__ = (Index("ix_correspondence_case_id_dated", "case_id", "dated"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    dated: Mapped[date]
    direction: Mapped[Direction] = mapped_column(enum_type(Direction, "direction"))
    kind: Mapped[CorrespondenceKind] = mapped_column(enum_type(CorrespondenceKind, "kind"))
    summary: Mapped[str] = mapped_column(Text)
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"))
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)

    recorded_by: Mapped[User] = relationship()
    document: Mapped[Document | None] = relationship()
