"""Keyset cursors, one codec for every list: the key values of a page's boundary row as
URL-safe base64 of a JSON array, and back.

A cursor comes back from the client, so decoding trusts nothing: a value of the wrong kind,
text the database cannot compare (NUL, lone surrogates), an id outside the id columns, a time
without its offset or beyond what a datetime holds, all read as "not one of ours" (None).
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import UTC, date, datetime
from typing import Any

MAX_TOKEN_LENGTH = 1000
MAX_KEY_INTEGER = 2**31 - 1  # the id columns are 32-bit integers on PostgreSQL


def encode_cursor(values: list[Any]) -> str:
    plain = [v.isoformat() if isinstance(v, datetime | date) else v for v in values]
    data = json.dumps(plain, ensure_ascii=False, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _value(raw: Any, kind: type) -> Any:
    if kind is datetime:
        moment = datetime.fromisoformat(raw)
        if moment.tzinfo is None:
            raise ValueError("a time without its offset")
        return moment.astimezone(UTC)  # OverflowError near the ends of the calendar
    if kind is date:
        return date.fromisoformat(raw)
    if kind is int:
        if not isinstance(raw, int) or isinstance(raw, bool):
            raise ValueError("not an integer")
        if not 0 <= raw <= MAX_KEY_INTEGER:
            raise ValueError("outside the id columns")
        return raw
    if not isinstance(raw, str):
        raise ValueError("not text")
    raw.encode("utf-8")  # a lone surrogate: UnicodeEncodeError
    if "\x00" in raw:  # never stored; PostgreSQL refuses it in a comparison
        raise ValueError("NUL in cursor text")
    return raw


def decode_cursor(token: str | None, kinds: tuple[type, ...]) -> list[Any] | None:
    """The key values in ``token`` as ``kinds`` (datetime, date, int, str), or None when it
    is missing or not one this app made."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    try:
        raw = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        if not isinstance(raw, list) or len(raw) != len(kinds):
            return None
        return [_value(value, kind) for value, kind in zip(raw, kinds, strict=True)]
    except (ValueError, TypeError, OverflowError, RecursionError, binascii.Error,
            UnicodeError):
        return None
