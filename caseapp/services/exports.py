"""Client data leaving the system: every export is on the audit trail before it is sent."""

from __future__ import annotations

from caseapp.extensions import db
from caseapp.models import User
from caseapp.services import audit


def record_export(actor: User, file_format: str, query: str, rows: int,
                  entity: str = "cases") -> None:
    """Record who exported which list (``entity``: "cases", "audit") with which filter (the
    list's query string) as what, and how many rows; committed before the first byte goes out."""
    audit.record(actor, "exported", entity, {
        "format": [None, file_format], "filter": [None, query], "rows": [None, str(rows)]})
    try:
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
