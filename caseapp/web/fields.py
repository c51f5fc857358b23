"""Form fields and validators shared by the blueprints' forms."""

from __future__ import annotations

import re
from decimal import Decimal
from enum import Enum
from functools import cache
from typing import Any

import pycountry
from wtforms import DateField, DecimalField, IntegerField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import ValidationError
from wtforms.widgets import TextInput

from caseapp import clock
from caseapp.services.deposits import read_plain_decimal
from caseapp.services.people import (
    COUNTS,
    PHONE_MESSAGE,
    WHOLE_NUMBER_MESSAGE,
    has_unsafe_characters,
    international_phone,
    negative_message,
    parse_phone,
    too_large_message,
)


@cache
def country_choices() -> tuple[SelectChoice, ...]:
    """ISO 3166-1 countries by alpha-3 code, sorted by name, from pycountry."""
    countries = sorted(pycountry.countries, key=lambda c: c.name)
    return tuple(SelectChoice(value=c.alpha_3, label=f"{c.name} ({c.alpha_3})") for c in countries)


def is_country_code(code: str) -> bool:
    return pycountry.countries.get(alpha_3=code) is not None


class CountryField(SelectField):
    """A country by its ISO 3166-1 alpha-3 code; empty means not yet known."""

    def __init__(self, label: str | None = None, **kwargs: Any) -> None:
        super().__init__(
            label,
            choices=[SelectChoice(value="", label="— not yet known —"), *country_choices()],
            validate_choice=False,
            **kwargs,
        )

    def pre_validate(self, form: Any) -> None:
        if self.data and not is_country_code(self.data):
            raise ValidationError(f"{self.data!r} is not a known ISO 3166-1 country code.")

    def process_formdata(self, valuelist: list[Any]) -> None:
        super().process_formdata(valuelist)
        self.data = (self.data or "").strip().upper() or None


class EnumSelectField(SelectField):
    """A choice from a vocabulary enum; the form's data is the enum member (or None)."""

    def __init__(
        self,
        label: str | None = None,
        enum: type[Enum] | None = None,
        blank: str | None = None,
        **kwargs: Any,
    ) -> None:
        assert enum is not None
        self.enum = enum
        choices = [SelectChoice(value=m.value, label=getattr(m, "label", m.value)) for m in enum]
        if blank is not None:
            choices.insert(0, SelectChoice(value="", label=blank))
        super().__init__(label, choices=choices, coerce=self._coerce, **kwargs)

    def _coerce(self, value: Any) -> Enum | None:
        if value is None or value == "":
            return None
        if isinstance(value, self.enum):
            return value
        try:
            return self.enum(value)
        except ValueError:
            return None

    def pre_validate(self, form: Any) -> None:
        if self.data is None and self.raw_data and self.raw_data[0] != "":
            raise ValidationError("Not one of the offered choices.")
        if self.data is None and not any(c.value == "" for c in self.choices):
            raise ValidationError("Please choose one.")


class ExactDecimalField(DecimalField):
    """A plain decimal kept exactly as typed: digits, an optional point, thousands commas in
    groups of three ("1,250,000.50"). No exponent ("1e5"), no "NaN" or "Infinity".

    ``normalize`` shows a stored value without its trailing zeros (a rate of 7.81250000 reads
    7.8125); money keeps its cents.
    """

    # A text input: a number input would let the browser drop "100,000.00" as unreadable,
    # and the user would be told the amount is missing.
    widget = TextInput()

    def __init__(self, label: str | None = None, normalize: bool = False,
                 what: str = "amount", example: str = "250000.00", **kwargs: Any) -> None:
        kwargs.setdefault("render_kw", {"inputmode": "decimal", "autocomplete": "off"})
        super().__init__(label, places=None, **kwargs)
        self.normalize = normalize
        self.what = what
        self.example = example

    def process_formdata(self, valuelist: list[Any]) -> None:
        text = valuelist[0].strip() if valuelist else ""
        if not text:
            self.data = None
            return
        try:
            self.data = read_plain_decimal(text, self.what, self.example)
        except ValueError:
            self.data = None
            raise

    def _value(self) -> str:
        if self.raw_data:
            return str(self.raw_data[0])
        if not isinstance(self.data, Decimal):
            return ""
        return format(self.data.normalize() if self.normalize else self.data, "f")


class FriendlyDateField(DateField):
    """An HTML date input with a plain-words error for an unreadable date."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        if valuelist and valuelist[0].strip() == "":
            self.data = None
            return
        try:
            super().process_formdata(valuelist)
        except ValueError as error:
            raise ValueError("Enter a real date as YYYY-MM-DD.") from error


def not_in_future(today: Any = clock.today) -> Any:
    def check(form: Any, field: Any) -> None:
        if field.data and field.data > today():
            raise ValidationError("This date cannot be in the future.")

    return check


WHOLE_NUMBER = re.compile(r"-?[0-9]{1,6}")


class PhoneField(StringField):
    """A phone number: the form's data is E.164 ("+85221234567"). Typed without ``+`` and a
    country code it is read as a number of ``PHONE_DEFAULT_REGION`` (Hong Kong)."""

    def _value(self) -> str:
        if self.raw_data:
            return str(self.raw_data[0])  # what the user typed, as they typed it
        return international_phone(self.data) if self.data else ""

    def post_validate(self, form: Any, validation_stopped: bool) -> None:
        typed = (self.data or "").strip()
        if validation_stopped or self.errors or not typed or has_unsafe_characters(typed):
            return  # empty, or already refused (the form reports invisible characters)
        e164 = parse_phone(typed)
        if e164 is None:
            raise ValidationError(PHONE_MESSAGE)
        self.data = e164


class CountField(IntegerField):
    """A count of degrees or years: a whole number from 0 to the largest that can be true,
    with a message that says which rule was broken (``COUNTS`` in services/people.py)."""

    def __init__(self, label: str | None = None, count: str = "", **kwargs: Any) -> None:
        assert count in COUNTS
        self.count = count
        super().__init__(label, **kwargs)

    def process_formdata(self, valuelist: list[Any]) -> None:
        if not valuelist or str(valuelist[0]).strip() == "":
            self.data = None
            return
        raw = str(valuelist[0]).strip()
        # int() alone would take "1_0" or full-width digits; a person types 0-9.
        if not WHOLE_NUMBER.fullmatch(raw):
            self.data = None
            raise ValueError(WHOLE_NUMBER_MESSAGE)
        self.data = int(raw)

    def pre_validate(self, form: Any) -> None:
        if self.data is None:
            return
        if self.data < 0:
            raise ValidationError(negative_message(self.count))
        if self.data > COUNTS[self.count][1]:
            raise ValidationError(too_large_message(self.count))
