"""Schemas every resource uses: errors, money as decimal strings, strictness."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import marshmallow as ma
from marshmallow import fields


class StrictSchema(ma.Schema):
    """Input schema: unknown fields are refused (the parser says so too, per location)."""

    class Meta:
        unknown = ma.RAISE


class DecimalString(fields.Decimal):
    """Money and rates as decimal strings ("250000.00"), never floats, both ways."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("as_string", True)
        super().__init__(**kwargs)

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        if value is None:
            return None
        return format(Decimal(value), "f")


class ErrorSchema(ma.Schema):
    """Every error: `{"errors": {"field": ["message", ...]}}`. A message that belongs to no
    field of the request is under `request`; a header's under its name."""

    errors = fields.Dict(keys=fields.String(), values=fields.Raw(), required=True)


class StaleVersionSchema(ErrorSchema):
    current_version = fields.Integer(required=True,
                                     metadata={"description": "The case's version now."})


class CursorPageSchema(ma.Schema):
    total = fields.Integer(required=True, metadata={
        "description": "How many match, counted up to 10,000."})
    total_is_exact = fields.Boolean(required=True, metadata={
        "description": "False when there are more than `total`."})
    next_cursor = fields.String(allow_none=True, required=True, metadata={
        "description": "Pass as `after` for the next page."})
    prev_cursor = fields.String(allow_none=True, required=True, metadata={
        "description": "Pass as `before` for the previous page."})
    has_next = fields.Boolean(required=True)
    has_prev = fields.Boolean(required=True)


class UserRefSchema(ma.Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
