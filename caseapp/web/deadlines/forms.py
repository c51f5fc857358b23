"""Forms of the This week page: a deadline marked done, or snoozed until a date, each with
why. The service (``services.deadlines``) holds the rules; the forms give the same messages
first, so an empty or over-long reason is refused before anything is looked up."""

from __future__ import annotations

from datetime import date
from typing import Any

from wtforms import HiddenField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, ValidationError

from caseapp import clock
from caseapp.services.deadlines import (
    MAX_REASON_LENGTH,
    REASON_MISSING,
    REASON_TOO_LONG,
    snooze_date_error,
)
from caseapp.web.fields import FriendlyDateField
from caseapp.web.textcheck import SafeTextForm


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def _reason_field(label: str) -> StringField:
    return StringField(
        label,
        validators=[DataRequired(message=REASON_MISSING),
                    Length(max=MAX_REASON_LENGTH, message=REASON_TOO_LONG)],
        filters=[_strip])


class MarkForm(SafeTextForm):
    """What both marks carry besides CSRF: the page's consultant filter, to go back to it."""

    consultant = HiddenField()
    # The date the line showed: a deadline recomputed to another date since is refused.
    due_on = HiddenField()

    def seen_due_on(self) -> date | None:
        try:
            return date.fromisoformat((self.due_on.data or "").strip())
        except ValueError:
            return None

    def typed(self, name: str) -> str:
        """What the user typed in field ``name``, as typed (to show it again)."""
        field = getattr(self, name)
        if field.raw_data:
            return str(field.raw_data[0])
        return "" if field.data is None else str(field.data)


class DoneForm(MarkForm):
    reason = _reason_field("Why is it done?")


def _after_today_within_a_year(form: Any, field: Any) -> None:
    if field.data is None:  # unreadable or missing: already said
        return
    if (problem := snooze_date_error(field.data, clock.today())) is not None:
        raise ValidationError(problem)


class SnoozeForm(MarkForm):
    until = FriendlyDateField(
        "Snooze until",
        validators=[InputRequired(message="Enter the date it should come back on."),
                    _after_today_within_a_year])
    reason = _reason_field("Why snooze it?")
