"""Template filters and globals shared by every page."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pycountry
from flask import Flask
from flask_login import current_user

from caseapp import clock
from caseapp.rules.workflow import CaseStatus
from caseapp.services.people import international_phone


def country_name(code: str | None) -> str:
    if not code:
        return "—"
    country = pycountry.countries.get(alpha_3=code)
    return f"{country.name} ({code})" if country else code


def format_money(value: Decimal | None, currency: str = "HKD") -> str:
    if value is None:
        return "—"
    return f"{currency} {value:,.2f}"


def format_date(value: date | datetime | None) -> str:
    if value is None:
        return "—"
    if isinstance(value, datetime):
        # Stored in UTC, shown in the consultancy's zone (named once in the page footer).
        return value.astimezone(clock.business_timezone()).strftime("%Y-%m-%d %H:%M")
    return value.isoformat()


def local_date(value: datetime | None) -> str:
    """A stored (UTC) time as the business day it fell on, for lists."""
    if value is None:
        return "—"
    return value.astimezone(clock.business_timezone()).date().isoformat()


def format_phone(value: str | None) -> str:
    """A stored E.164 number as "+852 2123 4567"; an older value that is not a valid number
    is shown as it was typed."""
    if not value:
        return "—"
    return international_phone(value)


def label(value: Any) -> str:
    """The human label of a vocabulary value (enums carry ``label``), else the value."""
    if value is None:
        return "—"
    return getattr(value, "label", str(value))


ENTITY_LABELS = {
    "case": "the case",
    "applicant": "the applicant",
    "dependant": "dependant",
    "deposit": "deposit evidence",
    "document": "document",
    "user": "user",
}
ACTION_LABELS = {
    "case_opened": "opened",
    "created": "added",
    "updated": "changed",
    "removed": "removed",
    "status_changed": "moved",
}


def describe_audit(action: str, entity: str) -> str:
    """'changed dependant #4' from ('updated', 'dependant:4'), for the case history."""
    kind, _, number = entity.partition(":")
    what = ENTITY_LABELS.get(kind, kind.replace("_", " "))
    if number:
        what = f"{what} #{number}"
    verb = ACTION_LABELS.get(action, action.replace("_", " "))
    return f"{verb} {what}"


def register_template_helpers(app: Flask) -> None:
    app.jinja_env.filters.update(
        country=country_name, money=format_money, datefmt=format_date, label=label,
        localdate=local_date, phone=format_phone
    )
    app.jinja_env.globals.update(describe_audit=describe_audit,
                                 business_timezone=clock.business_timezone)
    app.jinja_env.globals.update(CaseStatus=CaseStatus, current_user=current_user)
