from __future__ import annotations

from datetime import datetime

from caseapp import clock


class ServiceError(Exception):
    """A change that cannot be made; ``message`` is shown to the user as it is."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ValidationFailed(ServiceError):
    """Input that breaks a rule; ``errors`` maps a field name to its messages."""

    def __init__(
        self, errors: dict[str, list[str]], message: str = "Please correct the errors."
    ) -> None:
        super().__init__(message)
        self.errors = errors


class NotAllowed(ServiceError):
    """The user may not make this change now (a closed case, a move the workflow forbids)."""


class ConflictError(ServiceError):
    """Someone else saved the case after the user loaded it; nothing of theirs was overwritten."""

    def __init__(
        self, current_version: int, changed_by: str | None, changed_at: datetime | None
    ) -> None:
        who = changed_by or "another user"
        local = changed_at.astimezone(clock.business_timezone()) if changed_at else None
        when = f" at {local:%Y-%m-%d %H:%M}" if local else ""
        super().__init__(
            f"{who} changed this case{when} while you were editing. Your changes were not "
            "saved: review the current values below and save again."
        )
        self.current_version = current_version
