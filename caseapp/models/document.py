"""Uploaded documents: metadata here, the bytes under the upload directory."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from caseapp.models.base import Base, utcnow
from caseapp.models.types import enum_type

if TYPE_CHECKING:
    from caseapp.models.case import Case, Dependant
    from caseapp.models.user import User


class DocumentKind(StrEnum):
    PASSPORT = "passport"
    DEGREE_CERTIFICATE = "degree_certificate"
    BANK_STATEMENT = "bank_statement"
    POLICE_CERTIFICATE = "police_certificate"
    PHOTO = "photo"
    MARRIAGE_CERTIFICATE = "marriage_certificate"
    BIRTH_CERTIFICATE = "birth_certificate"
    OTHER = "other"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


class Document(Base):
    __tablename__ = "documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    kind: Mapped[DocumentKind] = mapped_column(enum_type(DocumentKind, "kind"))
    original_filename: Mapped[str] = mapped_column(String(255))
    stored_name: Mapped[str] = mapped_column(String(80), unique=True)
    content_type: Mapped[str] = mapped_column(String(80))
    size_bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)
    # A replaced document stays, pointing at its successor, so the history is kept.
    replaced_by_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"))
    # Whose document it is: a dependant's, or (None) the principal applicant's.
    dependant_id: Mapped[int | None] = mapped_column(
        ForeignKey("dependants.id", ondelete="SET NULL"), index=True)
    # Set when the dependant it belonged to was removed from the case: the document is kept
    # as history but no longer counts ("of Jane Doe, spouse, removed 2026-11-25").
    detached_note: Mapped[str] = mapped_column(String(200), default="", server_default="")
    # Uploaded in answer to this further-information request from ImmD.
    information_request_id: Mapped[int | None] = mapped_column(
        ForeignKey("information_requests.id"))

    case: Mapped[Case] = relationship(back_populates="documents", foreign_keys=[case_id])
    uploaded_by: Mapped[User] = relationship()
    replaced_by: Mapped[Document | None] = relationship(remote_side=[id])
    dependant: Mapped[Dependant | None] = relationship()

    @property
    def is_current(self) -> bool:
        """Counts for the case: not replaced by a newer version, nor of a removed dependant."""
        return self.replaced_by_id is None and not self.detached_note
