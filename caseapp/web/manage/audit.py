"""The audit trail page (managers and admins): read-only, filtered by user, case, action, date
range and channel, keyset-paged newest first, and exported as CSV with the same filter.

Personal data (passport numbers and the like) is masked by ``queries.audit`` before any line
reaches the page or the file.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from urllib.parse import urlencode

from flask import render_template, request, stream_with_context, url_for
from werkzeug.wrappers import Response

from caseapp import clock
from caseapp.exports_csv import CSV_MIMETYPE, as_attachment, neutralise
from caseapp.models import User
from caseapp.queries.audit import (
    SYSTEM,
    VIA_CHOICES,
    AuditFilters,
    AuditLine,
    ParsedAuditFilters,
    audit_choices,
    audit_page,
    export_lines,
    export_size,
    parse_audit_filters,
)
from caseapp.queries.exports import read_snapshot
from caseapp.services.exports import record_export
from caseapp.web.access import acting_user, roles_required
from caseapp.web.cases.listing import typed_without_unsafe
from caseapp.web.manage.routes import MANAGERS, bp

CSV_HEADERS = ("Time", "User", "User e-mail", "Via", "Case", "Action", "Entity", "Changes")


class AuditLinks:
    """URLs of the audit page and its export that keep the filter."""

    def __init__(self, filters: AuditFilters) -> None:
        self.filters = filters

    def page(self, **cursor: str) -> str:
        items = [*self.filters.query_items(), *cursor.items()]
        base = url_for("manage.audit")
        return f"{base}?{urlencode(items)}" if items else base

    @property
    def export(self) -> str:
        query = self.filters.query_string()
        base = url_for("manage.audit_export")
        return f"{base}?{query}" if query else base


@bp.route("/audit")
@roles_required(*MANAGERS)
def audit() -> str:
    choices = audit_choices()
    parsed = parse_audit_filters(request.args, choices)
    page = audit_page(parsed.filters, older=request.args.get("older"),
                      newer=request.args.get("newer"))
    return render_template(
        "manage/audit.html", page=page, filters=parsed.filters, errors=parsed.errors,
        typed=typed_without_unsafe(request.args), choices=choices,
        links=AuditLinks(parsed.filters), system=SYSTEM, via_choices=VIA_CHOICES)


# ---- CSV ----------------------------------------------------------------------------------------

def csv_cells(line: AuditLine) -> tuple[str, ...]:
    return (
        line.local_at.isoformat(timespec="seconds"),
        neutralise(line.user_name if line.user_name is not None else "system"),
        neutralise(line.user_email or ""),
        line.via or "",
        neutralise(line.case_reference or ""),
        neutralise(line.action),
        neutralise(line.entity),
        neutralise(line.changes_text()),
    )


def csv_chunks(filters: AuditFilters) -> Iterator[bytes]:
    """The file in one chunk per batch; the database is read only while it is sent."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")  # Excel reads the file as UTF-8
    writer.writerow(CSV_HEADERS)
    yield buffer.getvalue().encode("utf-8")
    with read_snapshot() as connection:
        for batch in export_lines(connection, filters):
            buffer.seek(0)
            buffer.truncate()
            writer.writerows(map(csv_cells, batch))
            yield buffer.getvalue().encode("utf-8")


def _record_export(actor: User, filters: AuditFilters, rows: int) -> None:
    record_export(actor, "csv", filters.query_string(), rows, entity="audit")


@bp.route("/audit/export.csv")
@roles_required(*MANAGERS)
def audit_export() -> Response:
    if request.method == "HEAD":  # a link checker's probe is not an export
        return Response(mimetype=CSV_MIMETYPE)
    parsed: ParsedAuditFilters = parse_audit_filters(request.args, audit_choices())
    _record_export(acting_user(), parsed.filters, export_size(parsed.filters))
    response = Response(stream_with_context(csv_chunks(parsed.filters)), mimetype=CSV_MIMETYPE)
    return as_attachment(response, f"audit-{clock.today().isoformat()}.csv")
