"""Forms of the admins' pages."""

from __future__ import annotations

from typing import Any

from wtforms import StringField
from wtforms.validators import DataRequired, InputRequired, Length

from caseapp.services.deposits import MAX_RATE, RATE_PLACES
from caseapp.services.rates import MAX_SOURCE_LENGTH
from caseapp.web.deposits.forms import CurrencyField, positive_decimal
from caseapp.web.fields import ExactDecimalField, FriendlyDateField, not_in_future
from caseapp.web.textcheck import SafeTextForm


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


class RateForm(SafeTextForm):
    """One reference rate: HKD for one unit of a currency on a day, and where it comes from."""

    currency = CurrencyField("Currency", without_hkd=True, default="USD")
    rate_date = FriendlyDateField(
        "Date", validators=[InputRequired(message="Enter the date of the rate."),
                            not_in_future()])
    rate = ExactDecimalField(
        "Rate to HKD", normalize=True, what="rate", example="7.8125",
        validators=[InputRequired(message="Enter the rate: HKD for one unit of the currency."),
                    positive_decimal(MAX_RATE, RATE_PLACES, "rate")])
    source = StringField(
        "Source",
        validators=[DataRequired(message="Say where the rate comes from, such as HKMA."),
                    Length(max=MAX_SOURCE_LENGTH,
                           message=f"Keep the source to {MAX_SOURCE_LENGTH} characters.")],
        filters=[_strip])

    def rate_values(self) -> dict[str, Any]:
        return {"currency": self.currency.data, "rate_date": self.rate_date.data,
                "rate": self.rate.data, "source": self.source.data}


class DeleteForm(SafeTextForm):
    """The delete button: CSRF only."""
