"""Column types for the fixed vocabularies: stored as their value, checked by the database."""

from __future__ import annotations

from enum import Enum

from sqlalchemy import Enum as SAEnum


def enum_type(enum_cls: type[Enum], name: str) -> SAEnum:
    """A VARCHAR holding ``enum_cls`` values with a CHECK constraint named ``name``.

    Not a native PostgreSQL enum: adding a value is then a plain constraint change
    in a migration instead of an ``ALTER TYPE`` that cannot run inside a transaction.
    """
    return SAEnum(
        enum_cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=32,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )
