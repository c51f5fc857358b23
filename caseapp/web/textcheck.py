"""The base of every form in the app: typed text with control or text-direction characters is
an error beside its field, never a bare 400 page that loses what the user typed."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField, TextAreaField

from caseapp.services.people import has_unsafe_characters, without_unsafe_characters

# The characters are invisible, so the user could not find them to remove them: the field
# comes back without them, and the user checks what is left and sends it again.
TAKEN_OUT_MESSAGE = ("Invisible control or text-direction characters (often pasted in with "
                     "the text) were taken out of this field: check it and send it again.")


class SafeTextForm(FlaskForm):
    """A FlaskForm whose text fields refuse control and bidirectional characters.

    Hidden fields are left to the code that reads them (the version, a return path): they are
    not typed by a person and have no place to show a message.
    """

    def validate(self, extra_validators: Mapping[str, Sequence[Any]] | None = None) -> bool:
        valid = super().validate(extra_validators)
        for field in self:
            if not isinstance(field, StringField) or isinstance(field, HiddenField):
                continue
            multi_line = isinstance(field, TextAreaField)
            # What was sent, before filters (strip) or parsing (a phone number) changed it.
            typed = field.raw_data[0] if field.raw_data else field.data
            if not isinstance(typed, str) or not has_unsafe_characters(typed, multi_line):
                continue
            cleaned = without_unsafe_characters(typed, multi_line)
            field.data = cleaned
            field.raw_data = [cleaned]
            # The one thing to fix first: other messages may only be about these characters.
            field.errors = [TAKEN_OUT_MESSAGE]
            valid = False
        return valid
