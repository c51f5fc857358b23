"""Forms of the review and submission pages."""

from __future__ import annotations

from typing import Any

from wtforms import BooleanField, RadioField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length

from caseapp import clock
from caseapp.models import CorrespondenceKind, Direction, ReviewOutcome
from caseapp.services.submission import (
    MAX_COMMENT_LENGTH,
    MAX_DETAILS_LENGTH,
    MAX_FILE_NUMBER_LENGTH,
)
from caseapp.web.cases.forms import VersionedForm
from caseapp.web.fields import EnumSelectField, FriendlyDateField, not_in_future


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def _text(label: str, maximum: int) -> TextAreaField:
    return TextAreaField(label, validators=[Length(max=maximum, message=f"Keep it to {maximum} "
                                                                        "characters.")],
                         filters=[_strip])


def _date(label: str, message: str) -> FriendlyDateField:
    return FriendlyDateField(label, validators=[InputRequired(message=message), not_in_future()])


class ReviewForm(VersionedForm):
    outcome = RadioField(
        "Outcome",
        choices=[SelectChoice(ReviewOutcome.APPROVED.value, "Approve for submission"),
                 SelectChoice(ReviewOutcome.RETURNED.value, "Return to the consultant")],
        validators=[InputRequired(message="Approve the case or return it.")],
    )
    comment = _text("Comment (approving: what you checked; returning: what to fix)",
                    MAX_COMMENT_LENGTH)


class SubmitForm(VersionedForm):
    immd_file_number = StringField(
        "ImmD file number",
        validators=[Length(max=MAX_FILE_NUMBER_LENGTH,
                           message=f"Keep it to {MAX_FILE_NUMBER_LENGTH} characters.")],
        filters=[_strip])
    submitted_on = _date("Date lodged with ImmD", "Enter the date the application was lodged.")
    override = BooleanField("Override the failing gates listed above (manager)")
    reason = _text("Reason for the override", MAX_COMMENT_LENGTH)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_submitted() and self.submitted_on.data is None:
            self.submitted_on.data = clock.today()


class InformationRequestForm(VersionedForm):
    requested_on = _date("Date of ImmD's letter", "Enter the date of ImmD's letter.")
    details = _text("What ImmD asked for", MAX_DETAILS_LENGTH)
    due_on = FriendlyDateField("Reply due by", validators=[
        InputRequired(message="Enter the date ImmD wants the reply by.")])


class ReplyNotesForm(VersionedForm):
    notes = _text("Notes sent with the reply", MAX_DETAILS_LENGTH)


class SendReplyForm(VersionedForm):
    sent_on = _date("Date sent to ImmD", "Enter the date the reply was sent.")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_submitted() and self.sent_on.data is None:
            self.sent_on.data = clock.today()


class CorrespondenceForm(VersionedForm):
    dated = _date("Date of the letter", "Enter the date of the letter.")
    direction = EnumSelectField("Direction", enum=Direction, blank="— choose —",
                                validators=[InputRequired(message="From ImmD or to ImmD?")])
    kind = EnumSelectField("Kind", enum=CorrespondenceKind, blank="— choose —",
                           validators=[InputRequired(message="Choose the kind of letter.")])
    summary = _text("What it says", MAX_DETAILS_LENGTH)
