"""The case list as a CSV file: the one writer behind the managers' page
(``/manage/export.csv``) and the API (``GET /api/v1/cases/export.csv``), so the same filter
gives the same file, byte for byte, whichever way it is asked for.

It sits between the two front ends, which must not import each other: ``queries.exports``
reads the rows (typed, no file format), this module writes them as CSV and records the
export, and the page and the API only read the request and call it. The page's Excel writer
uses :func:`neutralise` and :func:`as_attachment` from here too.

Cells a spreadsheet would read as a formula (``=``, ``+``, ``-``, ``@``, tab, carriage return
first) are neutralised with a leading apostrophe: a client's name must never run as a formula
on a manager's machine. The file never holds passport numbers, dates of birth or e-mails
(``EXPORT_HEADERS``).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlencode

from flask import stream_with_context
from werkzeug.wrappers import Response

from caseapp import clock
from caseapp.models import User
from caseapp.queries.case_filters import CaseFilters
from caseapp.queries.exports import (
    EXPORT_HEADERS,
    ExportRow,
    count_matching,
    export_rows,
    read_snapshot,
)
from caseapp.services.exports import record_export

CSV_MIMETYPE = "text/csv"  # Werkzeug adds "; charset=utf-8" to text types
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(text: str) -> str:
    """Text that a spreadsheet would take for a formula gets a leading apostrophe."""
    return "'" + text if text.startswith(FORMULA_TRIGGERS) else text


@dataclass(frozen=True)
class CaseExport:
    """What an export holds: whose view of the list, which filter, which order, how many."""

    user: User
    filters: CaseFilters
    sort: str  # already parsed: a key of SORT_KEYS, optionally with "-"
    rows: int

    @property
    def query_string(self) -> str:
        """The filter and sort as the case list spells them (its ``ListLinks.query_string``):
        what the audit trail keeps, for the page and the API alike."""
        return urlencode([*self.filters.query_items(), ("sort", self.sort)])

    def file_name(self, extension: str) -> str:
        return f"cases-{clock.today().isoformat()}.{extension}"


def case_export(user: User, filters: CaseFilters, sort: str) -> CaseExport:
    """The export of the cases ``user`` may see that match ``filters``, counted exactly."""
    return CaseExport(user, filters, sort, count_matching(user, filters))


def as_attachment(response: Response, file_name: str) -> Response:
    response.headers.set("Content-Disposition", "attachment", filename=file_name)
    response.headers["Cache-Control"] = "no-store"
    return response


def csv_cells(row: ExportRow) -> tuple[str | int, ...]:
    (reference, applicant, chinese_name, nationality, status, consultant, verdict, checked_at,
     opened, updated, planned, family, dependants, counted_hkd) = row
    return (
        neutralise(reference), neutralise(applicant), neutralise(chinese_name),
        neutralise(nationality), status, neutralise(consultant), verdict,
        # "YYYY-MM-DD HH:MM" (isoformat is several times faster than strftime)
        checked_at.isoformat(" ", "minutes")[:16] if checked_at is not None else "",
        opened.isoformat(), updated.isoformat(),
        planned.isoformat() if planned is not None else "",
        family, dependants,
        f"{counted_hkd:.2f}" if counted_hkd is not None else "",
    )


def csv_chunks(export: CaseExport) -> Iterator[bytes]:
    """The file in chunks of one batch each; the database is read only while it is sent."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    # The byte order mark makes Excel read the file as UTF-8 (Chinese names).
    buffer.write("\ufeff")
    writer.writerow(EXPORT_HEADERS)
    yield buffer.getvalue().encode("utf-8")
    with read_snapshot() as connection:
        for batch in export_rows(connection, export.user, export.filters, export.sort):
            buffer.seek(0)
            buffer.truncate()
            writer.writerows(map(csv_cells, batch))
            yield buffer.getvalue().encode("utf-8")


def csv_response(export: CaseExport) -> Response:
    """Record the export on the audit trail (committed before a byte is sent), then stream
    the file as a dated attachment that no cache keeps."""
    record_export(export.user, "csv", export.query_string, export.rows)
    response = Response(stream_with_context(csv_chunks(export)), mimetype=CSV_MIMETYPE)
    return as_attachment(response, export.file_name("csv"))
