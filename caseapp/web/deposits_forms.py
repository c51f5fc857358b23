"""Forms of the deposit evidence pages: a bank statement, and the reason for rejecting one."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from wtforms import DecimalField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, ValidationError
from wtforms.widgets import TextInput

from caseapp.services import deposits as deposit_service
from caseapp.services.deposits import (
    AMOUNT_PLACES,
    HKD,
    MAX_AMOUNT,
    MAX_RATE,
    MAX_REASON_LENGTH,
    MAX_TEXT_LENGTH,
    RATE_PLACES,
    decimal_places,
)
from caseapp.web.cases.forms import VersionedForm
from caseapp.web.fields import FriendlyDateField, not_in_future


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


class ExactDecimalField(DecimalField):
    """A number kept exactly as typed, thousands separators allowed ("1,250,000.50").

    ``normalize`` shows a stored value without its trailing zeros (a rate of 7.81250000 reads
    7.8125); money keeps its cents.
    """

    # A text input: a number input would let the browser drop "100,000.00" as unreadable,
    # and the user would be told the amount is missing.
    widget = TextInput()

    def __init__(self, label: str | None = None, normalize: bool = False, **kwargs: Any) -> None:
        kwargs.setdefault("render_kw", {"inputmode": "decimal", "autocomplete": "off"})
        super().__init__(label, places=None, **kwargs)
        self.normalize = normalize

    def process_formdata(self, valuelist: list[Any]) -> None:
        text = valuelist[0].replace(",", "").replace(" ", "") if valuelist else ""
        if not text:
            self.data = None
            return
        try:
            number = Decimal(text)
        except InvalidOperation:
            number = None
        # "NaN" and "Infinity" parse as Decimals, but are not amounts anyone can hold;
        # nor are "1e999999999" and its kin, which overflow any arithmetic on them.
        if number is None or not number.is_finite() or (
                number and abs(number.adjusted()) > 20):
            self.data = None
            raise ValueError("Enter a number, such as 250000.00.")
        self.data = number

    def _value(self) -> str:
        if self.raw_data:
            return str(self.raw_data[0])
        if not isinstance(self.data, Decimal):
            return ""
        return format(self.data.normalize() if self.normalize else self.data, "f")


def positive_decimal(maximum: Decimal, places: int, what: str) -> Any:
    """More than zero, at most ``maximum``, at most ``places`` decimal places."""

    def check(form: Any, field: Any) -> None:
        if field.data is None:  # unreadable input already has its message
            return
        if field.data <= 0:
            raise ValidationError(f"The {what} must be more than zero.")
        if decimal_places(field.data) > places:
            raise ValidationError(f"Enter the {what} to at most {places} decimal places.")
        if field.data > maximum:
            raise ValidationError(f"The {what} cannot be more than {maximum:,}.")

    return check


class CurrencyField(SelectField):
    """An ISO 4217 currency code, HKD first; an unknown code gets a message that names it."""

    def __init__(self, label: str | None = None, **kwargs: Any) -> None:
        choices = [SelectChoice(value=code, label=f"{code} · {name}")
                   for code, name in deposit_service.currencies()]
        super().__init__(label, choices=choices, validate_choice=False, **kwargs)

    def process_formdata(self, valuelist: list[Any]) -> None:
        super().process_formdata(valuelist)
        self.data = (self.data or "").strip().upper()

    def pre_validate(self, form: Any) -> None:
        if not self.data:
            raise ValidationError("Choose the currency of the statement.")
        if not deposit_service.is_currency_code(self.data):
            raise ValidationError(f"{self.data!r} is not a known ISO 4217 currency code.")


def _text(label: str, what: str) -> StringField:
    return StringField(
        label,
        validators=[DataRequired(message=f"Enter the {what}."),
                    Length(max=MAX_TEXT_LENGTH,
                           message=f"Keep the {what} to {MAX_TEXT_LENGTH} characters.")],
        filters=[_strip],
    )


class DepositForm(VersionedForm):
    """One bank statement: the balance in its currency and the rate that converts it to HKD."""

    statement_date = FriendlyDateField(
        "Statement date",
        validators=[InputRequired(message="Enter the statement date."),
                    not_in_future()],
    )
    bank = _text("Bank", "bank's name")
    account_holder = _text("Account holder", "account holder's name")
    currency = CurrencyField("Currency", default=HKD)
    amount = ExactDecimalField(
        "Amount",
        validators=[InputRequired(message="Enter the balance shown on the statement."),
                    positive_decimal(MAX_AMOUNT, AMOUNT_PLACES, "amount")],
    )
    rate_to_hkd = ExactDecimalField(
        "Rate to HKD",
        normalize=True,
        default=Decimal(1),
        validators=[InputRequired(message="Enter the rate: HKD for one unit of the currency."),
                    positive_decimal(MAX_RATE, RATE_PLACES, "rate")],
    )

    def validate_rate_to_hkd(self, field: Any) -> None:
        if self.currency.data == HKD and field.data is not None and field.data != 1:
            raise ValidationError("An amount in HKD has a rate of exactly 1.")

    def deposit_values(self) -> dict[str, Any]:
        return {name: getattr(self, name).data for name in deposit_service.DEPOSIT_FIELDS}


class VerifyForm(VersionedForm):
    """The verify button: CSRF and the case version, nothing else."""


class RejectForm(VersionedForm):
    reason = TextAreaField(
        "Why is this evidence rejected?",
        validators=[DataRequired(message="Say why the evidence is rejected."),
                    Length(max=MAX_REASON_LENGTH,
                           message=f"Keep the reason to {MAX_REASON_LENGTH} characters.")],
        filters=[_strip],
    )
