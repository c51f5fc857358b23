"""The business day: dates a consultancy works by, in its own time zone, not the server's."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context

DEFAULT_TIMEZONE = "Asia/Hong_Kong"


def business_timezone() -> ZoneInfo:
    name = current_app.config.get("TIMEZONE") if has_app_context() else None
    return ZoneInfo(name or DEFAULT_TIMEZONE)


def today() -> date:
    """Today in the consultancy's time zone: a server on UTC would be a day behind Hong Kong
    every morning before 08:00."""
    return datetime.now(business_timezone()).date()
