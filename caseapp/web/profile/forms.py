"""Forms of the profile page: a new API token, and the revoke button."""

from __future__ import annotations

from typing import Any

from wtforms import StringField
from wtforms.validators import DataRequired, InputRequired, Length

from caseapp.services.tokens import MAX_NAME_LENGTH, default_expiry
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
