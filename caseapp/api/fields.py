"""Input fields the API's request schemas share: typed text checked as the forms check it,
vocabulary answers, money and rates as decimal strings, strict booleans and counts, country
and currency codes, and the headers of a created resource."""

from __future__ import annotations

import re
from enum import Enum
from typing import Any

import pycountry
from marshmallow import ValidationError, fields, post_load, validate, validates_schema

from caseapp.api.base import ETAG_HEADER
from caseapp.api.schemas import DecimalString, StrictSchema
from caseapp.services.deposits import currencies
from caseapp.services.people import UNSAFE_TEXT_MESSAGE, has_unsafe_characters
from caseapp.web.security import MAX_ID

LOCATION_HEADER = {"Location": {"description": "The address of the new resource.",
                                "schema": {"type": "string"}}}
CREATED_HEADERS = {**ETAG_HEADER, **LOCATION_HEADER}

# ---- input fields every client-file endpoint shares -----------------------------------------

# A lone UTF-16 surrogate ("\ud800" in JSON) is no character: no database can store it.
_SURROGATE = re.compile("[\ud800-\udfff]")
SURROGATE_MESSAGE = "Remove the characters that are not valid text (lone UTF-16 surrogates)."


class Text(fields.String):
    """Typed text, checked as the forms check it: no control or text-direction characters
    (a `multi_line` text may hold line breaks and tabs). Surrounding spaces are dropped when
    the schema loads (`InputSchema`), as the forms drop them; lengths count what was sent."""

    def __init__(self, *, multi_line: bool = False, **kwargs: Any) -> None:
        self.multi_line = multi_line
        super().__init__(**kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        text = super()._deserialize(value, attr, data, **kwargs)
        if _SURROGATE.search(text):
            raise ValidationError(SURROGATE_MESSAGE)
        if has_unsafe_characters(text, multi_line=self.multi_line):
            raise ValidationError(UNSAFE_TEXT_MESSAGE)
        return text

    def finish(self, text: str) -> str:
        """The text as it is stored."""
        return text.strip()


def not_blank(message: str) -> validate.Validator:
    """Something other than spaces (the forms' DataRequired)."""

    class NotBlank(validate.Validator):
        def __call__(self, value: Any) -> Any:
            if isinstance(value, str) and not value.strip():
                raise ValidationError(message)
            return value

    return NotBlank()


class EnumText(fields.String):
    """A vocabulary answer as its string value; loads as the enum member. The allowed values
    are a OneOf, so the OpenAPI document lists them."""

    def __init__(self, enum: type[Enum], **kwargs: Any) -> None:
        self.enum = enum
        values = [member.value for member in enum]
        kwargs["validate"] = [validate.OneOf(values), *_as_list(kwargs.get("validate"))]
        super().__init__(**kwargs)

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        if value is None:
            return None
        return value.value if isinstance(value, Enum) else str(value)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        text = super()._deserialize(value, attr, data, **kwargs)
        # Not a value: left as it is, for OneOf to refuse with the allowed values.
        return self.enum(text) if text in self.enum._value2member_map_ else text


def _as_list(validators: Any) -> list[Any]:
    if validators is None:
        return []
    return list(validators) if isinstance(validators, list | tuple) else [validators]


class DecimalText(DecimalString):
    """Money or a rate sent as a decimal string ("250000.00"). The string goes to the service
    as it is: the service reads it with the pages' parser and says what is wrong with it. A
    JSON number is refused: a float cannot hold cents exactly."""

    def __init__(self, *, what: str = "amount", example: str = "250000.00",
                 **kwargs: Any) -> None:
        self.what = what
        self.example = example
        metadata = {"example": example, **kwargs.pop("metadata", {})}
        kwargs.setdefault("validate", validate.Length(max=40))
        super().__init__(metadata=metadata, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, str):
            kind = "a JSON number" if isinstance(value, int | float) and not isinstance(
                value, bool) else "that"
            raise ValidationError(
                f'Send the {self.what} as a string of digits, such as "{self.example}": '
                f"{kind} is not accepted, so that no digit is lost on the way.")
        return value


class StrictBoolean(fields.Boolean):
    """true or false, nothing that only looks like one ("yes", 1)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if not isinstance(value, bool):
            raise ValidationError("Send true or false.")
        return value


def whole_number(minimum: int = 1, maximum: int = MAX_ID, **kwargs: Any) -> fields.Integer:
    return fields.Integer(strict=True, validate=validate.Range(minimum, maximum), **kwargs)


class InputSchema(StrictSchema):
    """A request body: unknown fields refused, text stored without surrounding spaces."""

    @post_load
    def _finish_text(self, data: dict[str, Any], **_kwargs: Any) -> dict[str, Any]:
        for name, field in self.fields.items():
            if isinstance(field, Text) and isinstance(data.get(name), str):
                data[name] = field.finish(data[name])
        return data


COUNTRY_CODES = sorted(country.alpha_3 for country in pycountry.countries)
CURRENCY_CODES = [code for code, _ in currencies()]


def country(**kwargs: Any) -> fields.String:
    return fields.String(
        allow_none=True,
        validate=validate.OneOf(COUNTRY_CODES, error="Use an ISO 3166-1 alpha-3 country code "
                                                     "in capitals, such as HKG."),
        metadata={"description": "ISO 3166-1 alpha-3; null: not yet known."}, **kwargs)


def currency(**kwargs: Any) -> fields.String:
    return fields.String(
        validate=validate.OneOf(CURRENCY_CODES, error="Use the ISO 4217 code of a currency a "
                                                      "bank account holds, such as USD."),
        **kwargs)


class PartialUpdate(InputSchema):
    """A change (PATCH): only the fields sent change, and at least one is sent."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("partial", True)
        super().__init__(**kwargs)

    @validates_schema
    def _something_to_change(self, data: dict[str, Any], **_kwargs: Any) -> None:
        if not data:
            raise ValidationError("Send at least one field to change.")
