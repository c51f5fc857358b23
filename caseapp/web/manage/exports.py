"""Exports of the case list (CSV and Excel) for managers and admins.

An export takes the list's query string (filters, search and sort), holds every case that
matches in the list's order, and is streamed: CSV straight from the database batches, Excel
written to a temporary file in XlsxWriter's constant-memory mode and then sent from disk. Each
export is on the audit trail (who, which filter, how many rows) before a byte is sent. The CSV
file is written by ``caseapp.exports_csv``, the same code as the API's export.

Cells a spreadsheet would read as a formula (``=``, ``+``, ``-``, ``@``, tab, carriage return
first) are neutralised with a leading apostrophe, in both formats: a client's name must never
run as a formula on a manager's machine.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from datetime import date, datetime
from typing import IO, Any

import xlsxwriter
from flask import flash, redirect, request
from werkzeug.wrappers import Response

from caseapp.exports_csv import (
    CSV_MIMETYPE,
    CaseExport,
    as_attachment,
    case_export,
    csv_response,
    neutralise,
)
from caseapp.queries.case_list import parse_sort
from caseapp.queries.exports import EXPORT_HEADERS, export_rows, read_snapshot
from caseapp.services.exports import record_export
from caseapp.web.access import acting_user, roles_required
from caseapp.web.cases.listing import parsed_list_args
from caseapp.web.manage.routes import MANAGERS, bp

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
XLSX_MAX_ROWS = 1_048_575  # a worksheet holds 1,048,576 rows, the header is one
CHUNK_BYTES = 64 * 1024


def _requested_export() -> CaseExport:
    """The list's query string read as the list reads it, and how many cases it holds."""
    return case_export(acting_user(), parsed_list_args().filters,
                       parse_sort(request.args.get("sort")))


# ---- CSV: written by caseapp.exports_csv, as the API's export is ----------------------------

@bp.route("/export.csv")
@roles_required(*MANAGERS)
def export_csv() -> Response:
    if request.method == "HEAD":  # a link checker's probe is not an export
        return Response(mimetype=CSV_MIMETYPE)
    return csv_response(_requested_export())


# ---- Excel -----------------------------------------------------------------------------------

COLUMN_WIDTHS = (15, 28, 12, 11, 20, 22, 14, 16, 11, 11, 11, 7, 10, 14)
EXCEL_EPOCH = date(1899, 12, 30).toordinal()  # day 0 of Excel's 1900 date system


# Dates as Excel's day numbers, written as numbers with a date format: what write_datetime
# does, without its per-cell checks (a third of the cells are dates).
def _excel_day(day: date) -> int:
    return day.toordinal() - EXCEL_EPOCH


def _excel_time(moment: datetime) -> float:
    seconds = moment.hour * 3600 + moment.minute * 60 + moment.second
    return moment.toordinal() - EXCEL_EPOCH + seconds / 86400


def _write_workbook(path: str, export: CaseExport) -> None:
    workbook = xlsxwriter.Workbook(path, {
        "constant_memory": True,  # rows go to disk as they are written
        "strings_to_formulas": False, "strings_to_numbers": False, "strings_to_urls": False,
    })
    try:
        sheet = workbook.add_worksheet("Cases")
        bold = workbook.add_format({"bold": True})
        day = workbook.add_format({"num_format": "yyyy-mm-dd"})
        moment = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm"})
        money = workbook.add_format({"num_format": "#,##0.00"})
        for column, width in enumerate(COLUMN_WIDTHS):
            sheet.set_column(column, column, width)
        sheet.freeze_panes(1, 0)
        for column, header in enumerate(EXPORT_HEADERS):
            sheet.write_string(0, column, header, bold)
        text, number = sheet.write_string, sheet.write_number
        r = 0
        with read_snapshot() as connection:
            for batch in export_rows(connection, export.user, export.filters, export.sort):
                for (reference, applicant, chinese_name, nationality, status, consultant,
                     verdict, checked_at, opened, updated, planned, family, dependants,
                     counted_hkd) in batch:
                    r += 1
                    text(r, 0, neutralise(reference))
                    text(r, 1, neutralise(applicant))
                    if chinese_name:
                        text(r, 2, neutralise(chinese_name))
                    if nationality:
                        text(r, 3, neutralise(nationality))
                    text(r, 4, status)
                    text(r, 5, neutralise(consultant))
                    text(r, 6, verdict)
                    if checked_at is not None:
                        number(r, 7, _excel_time(checked_at), moment)
                    number(r, 8, _excel_day(opened), day)
                    number(r, 9, _excel_day(updated), day)
                    if planned is not None:
                        number(r, 10, _excel_day(planned), day)
                    text(r, 11, family)
                    number(r, 12, dependants)
                    if counted_hkd is not None:
                        number(r, 13, float(counted_hkd), money)
        sheet.autofilter(0, 0, max(r, 1), len(EXPORT_HEADERS) - 1)
    finally:
        workbook.close()


def _file_chunks(handle: IO[bytes]) -> Iterator[bytes]:
    try:
        while chunk := handle.read(CHUNK_BYTES):
            yield chunk
    finally:
        handle.close()


def _open_and_remove(path: str) -> tuple[IO[bytes], bool]:
    """Open the finished file and take its name off the disk at once (POSIX keeps the data
    while it is open), so nothing is left behind whatever happens to the download.
    Returns the handle and whether the file still has to be removed after closing it."""
    handle = open(path, "rb")  # noqa: SIM115  (closed with the response)
    try:
        os.unlink(path)
    except OSError:  # Windows: an open file cannot be removed
        return handle, True
    return handle, False


def _remove_quietly(path: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)


@bp.route("/export.xlsx")
@roles_required(*MANAGERS)
def export_xlsx() -> Any:
    if request.method == "HEAD":
        return Response(mimetype=XLSX_MIMETYPE)
    export = _requested_export()
    if export.rows > XLSX_MAX_ROWS:
        flash(f"An Excel sheet holds at most {XLSX_MAX_ROWS:,} cases: narrow the filter, or "
              "export CSV.", "error")
        return redirect("/?" + export.query_string)
    record_export(export.user, "xlsx", export.query_string, export.rows)
    descriptor, path = tempfile.mkstemp(prefix="caseapp-export-", suffix=".xlsx")
    os.close(descriptor)
    try:
        _write_workbook(path, export)
        handle, remove_after = _open_and_remove(path)
    except BaseException:
        _remove_quietly(path)
        raise
    size = os.fstat(handle.fileno()).st_size
    response = Response(_file_chunks(handle), mimetype=XLSX_MIMETYPE, direct_passthrough=True)
    response.content_length = size
    # Also when the client goes away before the first chunk: the generator never started.
    response.call_on_close(handle.close)
    if remove_after:
        response.call_on_close(lambda: _remove_quietly(path))
    return as_attachment(response, export.file_name("xlsx"))
