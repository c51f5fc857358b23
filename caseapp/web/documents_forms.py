"""Forms of the document pages: upload a document, replace one with a newer version."""

from __future__ import annotations

from typing import IO

from flask_wtf.file import FileField, FileRequired
from wtforms.validators import InputRequired

from caseapp.models import DocumentKind
from caseapp.web.cases.forms import VersionedForm
from caseapp.web.fields import EnumSelectField

# Only a hint for the browser's file picker: the service decides by the file's content.
ACCEPT_ATTRIBUTE = ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"


class _FileForm(VersionedForm):
    file = FileField(
        "File (PDF, JPEG or PNG)",
        validators=[FileRequired(message="Choose a file to upload.")],
        render_kw={"accept": ACCEPT_ATTRIBUTE},
    )

    def upload_filename(self) -> str | None:
        return self.file.data.filename

    def upload_stream(self) -> IO[bytes]:
        return self.file.data.stream


class UploadDocumentForm(_FileForm):
    # No default: a bank statement filed as a passport is an easy slip with a preselected kind.
    kind = EnumSelectField(
        "Kind of document",
        enum=DocumentKind,
        blank="— choose —",
        validators=[InputRequired(message="Choose the kind of document.")],
    )


class ReplaceDocumentForm(_FileForm):
    """A newer version of a document: the kind stays the one it replaces."""
