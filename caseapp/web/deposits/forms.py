"""Forms of the deposit evidence pages: a bank statement, and the reason for rejecting one."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from caseapp.models import Document
from caseapp.services import deposits as deposit_service
from caseapp.services.deposits import (
    AMOUNT_PLACES,
    HKD,
    MAX_AMOUNT,
    MAX_RATE,
    MAX_REASON_LENGTH,
    MAX_TEXT_LENGTH,
    RATE_PLACES,
    RateConfirmation,
    decimal_places,
)
from caseapp.web.cases.forms import VersionedForm
from caseapp.web.fields import ExactDecimalField, FriendlyDateField, not_in_future
from caseapp.web.helpers import format_date


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


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
    """An ISO 4217 currency a bank account holds, HKD first (or left out: ``without_hkd``);
    anything else gets a message that names it."""

    def __init__(self, label: str | None = None, without_hkd: bool = False,
                 **kwargs: Any) -> None:
        choices = [SelectChoice(value=code, label=f"{code} · {name}")
                   for code, name in deposit_service.currencies()
                   if not (without_hkd and code == HKD)]
        super().__init__(label, choices=choices, validate_choice=False, **kwargs)

    def process_formdata(self, valuelist: list[Any]) -> None:
        super().process_formdata(valuelist)
        self.data = (self.data or "").strip().upper()

    def pre_validate(self, form: Any) -> None:
        if (problem := deposit_service.currency_error(self.data)) is not None:
            raise ValidationError(problem)


def optional_id(value: Any) -> int | None:
    """A chosen id: None for the empty choice, -1 for anything that is no id (the service
    refuses it like any id that is not one of the offered ones)."""
    if value is None or value == "":
        return None
    if isinstance(value, int):
        return value
    text = str(value)
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 10 else -1


def statement_label(document: Document) -> str:
    label = (f"{document.original_filename} · uploaded {format_date(document.uploaded_at)} "
             f"by {document.uploaded_by.name}")
    return label if document.is_current else f"{label} (no longer current)"


def _text(label: str, what: str) -> StringField:
    return StringField(
        label,
        validators=[DataRequired(message=f"Enter the {what}."),
                    Length(max=MAX_TEXT_LENGTH,
                           message=f"Keep the {what} to {MAX_TEXT_LENGTH} characters.")],
        filters=[_strip],
    )


class DepositForm(VersionedForm):
    """One bank statement: the balance in its currency, the rate that converts it to HKD, and
    the uploaded statement it comes from. The last two fields are a manager's."""

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
    # Blank: the reference rate of the statement date (1 for HKD), filled in when saving.
    rate_to_hkd = ExactDecimalField(
        "Rate to HKD",
        normalize=True,
        what="rate",
        example="7.8125",
        validators=[Optional(), positive_decimal(MAX_RATE, RATE_PLACES, "rate")],
    )
    document_id = SelectField("Bank statement (uploaded document)", coerce=optional_id,
                              validate_choice=False)
    confirm_rate = BooleanField("Confirm this rate")
    confirm_reason = TextAreaField(
        "Why does this rate stand?",
        validators=[Length(max=MAX_REASON_LENGTH,
                           message=f"Keep the reason to {MAX_REASON_LENGTH} characters.")],
        filters=[_strip],
    )

    def set_statements(self, documents: list[Document]) -> None:
        self.document_id.choices = [
            SelectChoice(value="", label="— not linked yet —"),
            *(SelectChoice(value=str(d.id), label=statement_label(d)) for d in documents)]

    def validate_rate_to_hkd(self, field: Any) -> None:
        if self.currency.data == HKD and field.data is not None and field.data != 1:
            raise ValidationError("An amount in HKD has a rate of exactly 1.")

    def deposit_values(self) -> dict[str, Any]:
        return {name: getattr(self, name).data for name in deposit_service.DEPOSIT_FIELDS}

    def confirmation(self) -> RateConfirmation:
        return RateConfirmation(bool(self.confirm_rate.data), self.confirm_reason.data or "")


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
