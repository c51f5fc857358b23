"""Wording helpers shared by the rules, so every reason reads the same way."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal

__all__ = ["decimal_str", "hkd", "iso", "join_words", "plural"]


def hkd(amount: Decimal) -> str:
    """Money as a consultant reads it aloud: ``HKD 250,000.00``."""
    return f"HKD {amount:,.2f}"


def decimal_str(amount: Decimal) -> str:
    """A Decimal as a plain string for stored data: never float, never exponent notation."""
    return format(amount, "f")


def iso(day: date | None) -> str | None:
    return None if day is None else day.isoformat()


def join_words(words: Iterable[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    items = list(words)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    """``1 statement``, ``2 statements``."""
    word = singular if count == 1 else (plural_form or singular + "s")
    return f"{count} {word}"
