"""Files a page and the API both hand out, built in one place."""

from __future__ import annotations

from flask import Response, make_response

from caseapp.models import Case, SubmissionPackage


def package_download(case: Case, package: SubmissionPackage) -> Response:
    """A frozen submission package exactly as stored: its SHA-256 is the package's."""
    response = make_response(package.content.encode("utf-8"))
    response.headers["Content-Type"] = "application/json; charset=utf-8"
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{case.reference}-package-{package.id}.json"')
    response.headers["Cache-Control"] = "private, no-store"
    return response
