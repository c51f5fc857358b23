"""Form fields and validators shared by the blueprints' forms."""

from __future__ import annotations

from enum import Enum
from functools import cache
from typing import Any

import pycountry
from wtforms import DateField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import ValidationError

from caseapp import clock


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
