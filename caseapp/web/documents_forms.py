"""Forms of the document pages: upload a document, replace one with a newer version."""

from __future__ import annotations

from typing import IO

from flask_wtf.file import FileField, FileRequired
from wtforms import SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, ValidationError

from caseapp.models import Case, DocumentKind
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
    # Whose document: "" is the principal applicant, otherwise a dependant's id.
    person = SelectField("Whose document", choices=[], validate_choice=False)

    def offer_people(self, case: Case) -> None:
        self.person.choices = [
            SelectChoice("", f"{case.applicant.full_name} (principal applicant)"),
            *(SelectChoice(str(d.id), f"{d.full_name} ({d.relation.label.lower()})")
              for d in case.dependants),
        ]

    def dependant_id(self) -> int | None:
        """The chosen dependant's id; None for the applicant."""
        value = (self.person.data or "").strip()
        return int(value) if value.isascii() and value.isdigit() and len(value) < 10 else None

    def validate_person(self, field: SelectField) -> None:
        offered = {choice.value for choice in field.choices}  # type: ignore[union-attr]
        if (field.data or "") not in offered:
            raise ValidationError("Choose the applicant or one of the case's dependants.")


class ReplaceDocumentForm(_FileForm):
    """A newer version of a document: the kind stays the one it replaces."""
