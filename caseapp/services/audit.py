"""Writing the audit trail: who changed what, from which value to which."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from caseapp.extensions import db
from caseapp.models import AuditEntry, Case, User


def display_value(value: Any) -> str | None:
    """The value as a person reads it, stable across databases (Decimal and dates as text)."""
    if value is None:
        return None
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, date | Decimal):
        return str(value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def apply_changes(target: object, values: dict[str, Any]) -> dict[str, list[str | None]]:
    """Set ``values`` on ``target``; return ``{field: [old, new]}`` for those that changed."""
    changes: dict[str, list[str | None]] = {}
    for field, new in values.items():
        old = getattr(target, field)
        if old != new:
            changes[field] = [display_value(old), display_value(new)]
            setattr(target, field, new)
    return changes


def snapshot(target: object, fields: list[str]) -> dict[str, list[str | None]]:
    """An entry for a created or removed record: every field with no old (or new) value."""
    return {f: [None, display_value(getattr(target, f))] for f in fields}


@dataclass(frozen=True)
class Channel:
    """How a change reached the services: ``via`` "api" with the token it came with."""

    via: str
    api_token_id: int | None = None


_channel: ContextVar[Channel | None] = ContextVar("caseapp_audit_channel", default=None)


@contextmanager
def through(channel: Channel) -> Iterator[None]:
    """Every entry recorded inside the block is marked as made through ``channel``."""
    reset = _channel.set(channel)
    try:
        yield
    finally:
        _channel.reset(reset)


def enter_channel(channel: Channel) -> None:
    """Mark what follows, until ``leave_channel``, as made through ``channel`` (a request
    hook pair: the API's authentication and its teardown)."""
    _channel.set(channel)


def leave_channel() -> None:
    _channel.set(None)


def current_channel() -> Channel | None:
    return _channel.get()


def record(
    actor: User | None,
    action: str,
    entity: str,
    changes: dict[str, Any] | None = None,
    case: Case | None = None,
) -> AuditEntry:
    entry = AuditEntry(
        case_id=case.id if case is not None else None,
        user_id=actor.id if actor is not None else None,
        action=action,
        entity=entity,
        changes=changes or {},
    )
    channel = _channel.get()
    if channel is not None:
        entry.via = channel.via
        entry.api_token_id = channel.api_token_id
    db.session.add(entry)
    return entry
