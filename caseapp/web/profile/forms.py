"""Forms of the profile pages: a new API token, the revoke button, the calendar feed's
buttons, a new password."""

from __future__ import annotations

from typing import Any

from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, InputRequired, Length

from caseapp.services.tokens import MAX_NAME_LENGTH, default_expiry
from caseapp.services.users import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH
from caseapp.web.fields import FriendlyDateField
from caseapp.web.textcheck import SafeTextForm


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


class TokenForm(SafeTextForm):
    """A new token: what it is for, and the last day it works (90 days ahead unless chosen).
    The service (``services.tokens``) holds the rules on both; its refusals come back beside
    the field they are about."""

    name = StringField(
        "Name",
        validators=[DataRequired(message="Name the token after what will use it, for example "
                                         "\"CRM sync\"."),
                    Length(max=MAX_NAME_LENGTH,
                           message=f"Keep the name to {MAX_NAME_LENGTH} characters.")],
        filters=[_strip], render_kw={"autocomplete": "off"})
    expires_on = FriendlyDateField(
        "Last working day",
        validators=[InputRequired(message="Choose the last day the token works.")],
        default=default_expiry)


class RevokeForm(SafeTextForm):
    """The revoke button: CSRF only."""


class CalendarFeedForm(SafeTextForm):
    """The calendar feed's buttons (turn on, new address, turn off): CSRF only."""


def _password_field(label: str, autocomplete: str, message: str) -> PasswordField:
    return PasswordField(
        label,
        validators=[DataRequired(message=message),
                    Length(max=MAX_PASSWORD_LENGTH,
                           message=f"Use at most {MAX_PASSWORD_LENGTH} characters.")],
        render_kw={"autocomplete": autocomplete})


class PasswordChangeForm(SafeTextForm):
    """The current password and the new one twice; the service (``services.users``) holds
    the rules and says beside which field what is wrong. Password fields are never sent back
    filled in: after an error the user types them again."""

    current_password = _password_field("Current password", "current-password",
                                       "Enter your current password.")
    new_password = _password_field(
        "New password", "new-password",
        f"Enter a new password of at least {MIN_PASSWORD_LENGTH} characters.")
    confirm = _password_field("New password again", "new-password",
                              "Type the new password again.")
