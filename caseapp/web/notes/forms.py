"""The note form: what happened, how, when, and an optional follow-up date."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from wtforms import Field, TextAreaField
from wtforms.validators import InputRequired, Length, Optional, ValidationError
from wtforms.widgets import TimeInput

from caseapp import clock
from caseapp.models import CaseNote, ContactChannel
from caseapp.services.notes import (
    EMPTY_MESSAGE,
    MAX_FOLLOW_UP_AHEAD,
    MAX_NOTE_LENGTH,
    PAST_FOLLOW_UP_MESSAGE,
    TOO_LONG_MESSAGE,
)
from caseapp.web.cases.forms import VersionedForm
from caseapp.web.fields import EnumSelectField, FriendlyDateField, not_in_future

TIME_MESSAGE = "Enter a time as HH:MM (24-hour), or leave it empty."


class LocalTimeField(Field):
    """An HTML time input ("14:05"; "14:05:30" where the browser sends seconds); empty is
    None."""

    widget = TimeInput()

    def _value(self) -> str:
        if self.raw_data:
            return str(self.raw_data[0])
        return self.data.strftime("%H:%M") if isinstance(self.data, time) else ""

    def process_formdata(self, valuelist: list[Any]) -> None:
        typed = str(valuelist[0]).strip() if valuelist else ""
        if not typed:
            self.data = None
            return
        for pattern in ("%H:%M", "%H:%M:%S"):
            try:
                self.data = datetime.strptime(typed, pattern).time()
                return
            except ValueError:
                continue
        self.data = None
        raise ValueError(TIME_MESSAGE)



class NoteForm(VersionedForm):
    """A note or a contact with the client. The service checks the same things (it is the
    authority, for the API too); the form says them first."""

    channel = EnumSelectField("Kind", enum=ContactChannel, default=ContactChannel.NOTE)
    happened_on = FriendlyDateField(
        "Date", validators=[InputRequired(message="Enter the date of the contact."),
                            not_in_future()])
    happened_time = LocalTimeField("Time", validators=[Optional()])
    text = TextAreaField(
        "Note",
        validators=[InputRequired(message=EMPTY_MESSAGE),
                    Length(max=MAX_NOTE_LENGTH, message=TOO_LONG_MESSAGE)],
        filters=[lambda v: v.strip() if isinstance(v, str) else v],
        render_kw={"rows": 4})
    follow_up_on = FriendlyDateField("Follow up on", validators=[Optional()])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Its fields are named note-text, note-version, ...: unique on the case page, which
        # holds other forms (the workflow's has a version too).
        kwargs.setdefault("prefix", "note")
        super().__init__(*args, **kwargs)
        if not self.is_submitted() and self.happened_on.data is None:
            self.happened_on.data = clock.today()

    def validate_text(self, field: Any) -> None:
        if isinstance(field.data, str) and not field.data.strip():
            raise ValidationError(EMPTY_MESSAGE)

    def validate_follow_up_on(self, field: Any) -> None:
        today = clock.today()
        if field.data and field.data < today and field.object_data != field.data:
            raise ValidationError(PAST_FOLLOW_UP_MESSAGE)
        if field.data and field.data > today + MAX_FOLLOW_UP_AHEAD:
            raise ValidationError("Choose a follow-up date within two years.")

    @classmethod
    def for_note(cls, note: CaseNote) -> NoteForm:
        """The form filled with ``note`` as stored, its time in the business time zone."""
        local = note.happened_at.astimezone(clock.business_timezone())
        return cls(data={"channel": note.channel, "happened_on": local.date(),
                         "happened_time": local.time().replace(second=0, microsecond=0),
                         "text": note.text, "follow_up_on": note.follow_up_on})

    def note_values(self) -> dict[str, Any]:
        return {"channel": self.channel.data, "text": self.text.data or "",
                "happened_on": self.happened_on.data, "happened_time": self.happened_time.data,
                "follow_up_on": self.follow_up_on.data}
