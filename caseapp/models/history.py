"""What happened to a case: status moves, requirement-check runs and the audit trail."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from caseapp.models.base import Base, JSONDocument, utcnow
from caseapp.models.types import enum_type
from caseapp.rules.workflow import CaseStatus

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection
    from sqlalchemy.orm import Mapper

    from caseapp.models.token import ApiToken
    from caseapp.models.user import User


class StatusChange(Base):
    __tablename__ = "status_changes"
    __table_args__ = (
        # "Submitted this month", "decisions this month": cases that entered a status when.
        Index("ix_status_changes_to_status_changed_at", "to_status", "changed_at", "case_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    from_status: Mapped[CaseStatus | None] = mapped_column(enum_type(CaseStatus, "from_status"))
    to_status: Mapped[CaseStatus] = mapped_column(enum_type(CaseStatus, "to_status"))
    reason: Mapped[str] = mapped_column(Text, default="", server_default="")
    override: Mapped[bool] = mapped_column(default=False)
    # The submission gates a manager overrode with this move: [{"gate": ..., "message": ...}].
    overridden_gates: Mapped[list[Any]] = mapped_column(
        JSONDocument, default=list, server_default="[]")
    changed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)

    changed_by: Mapped[User] = relationship()


class CheckRun(Base):
    """One run of the QMAS checks: never edited, the full result kept as it was shown."""

    __tablename__ = "check_runs"
    __table_args__ = (Index("ix_check_runs_case_id_run_at", "case_id", "run_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    # None: run by the system (the ``flask checks run --all`` job), not by a person.
    run_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    run_at: Mapped[datetime] = mapped_column(default=utcnow)
    check_date: Mapped[date]
    rule_set_version: Mapped[str] = mapped_column(String(40))
    verdict: Mapped[str] = mapped_column(String(20))
    case_version: Mapped[int] = mapped_column(Integer)
    # SHA-256 of the facts the rules read (all but the check date): when the case's facts
    # hash differently now, something that matters to the checks changed after this run.
    facts_sha256: Mapped[str] = mapped_column(String(64), default="", server_default="")
    result: Mapped[dict[str, Any]] = mapped_column(JSONDocument)

    run_by: Mapped[User | None] = relationship()


class AuditEntry(Base):
    """Append-only record of every change: who, when, what, old and new values."""

    __tablename__ = "audit_entries"
    __table_args__ = (
        Index("ix_audit_entries_case_id_at", "case_id", "at"),
        # The audit page: newest first, whole trail or by user or by action (keyset on at, id).
        Index("ix_audit_entries_at_id", "at", "id"),
        Index("ix_audit_entries_user_id_at_id", "user_id", "at", "id"),
        Index("ix_audit_entries_action_at_id", "action", "at", "id"),
        # The passport numbers a case's trail recorded, to blank out on the audit page.
        Index("ix_audit_entries_case_id_entity", "case_id", "entity"),
        # "Through the API" on the audit page: those entries alone, newest first.
        Index("ix_audit_entries_via_at_id", "via", "at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    action: Mapped[str] = mapped_column(String(40))
    entity: Mapped[str] = mapped_column(String(60))
    # {field: [old, new]} with values as the strings a person reads.
    changes: Mapped[dict[str, Any]] = mapped_column(JSONDocument, default=dict)
    # "api" when the change came through the JSON API, with the token it came with; None
    # for the pages and the command line.
    via: Mapped[str | None] = mapped_column(String(8))
    api_token_id: Mapped[int | None] = mapped_column(ForeignKey("api_tokens.id"))

    user: Mapped[User | None] = relationship()
    api_token: Mapped[ApiToken | None] = relationship()


@event.listens_for(AuditEntry, "before_update")
@event.listens_for(AuditEntry, "before_delete")
def _audit_is_append_only(mapper: Mapper[Any], connection: Connection, target: AuditEntry) -> None:
    raise RuntimeError("audit entries are append-only")
