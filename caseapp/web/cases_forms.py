"""Forms of the consultant's client-file pages."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField
from wtforms.validators import DataRequired, Email, Length, Optional, ValidationError

from caseapp.rules.vocab import Answer, MaritalStatus, Qualification, Relationship
from caseapp.web.fields import CountryField, EnumSelectField, FriendlyDateField, not_in_future


def _answer(label: str) -> EnumSelectField:
    return EnumSelectField(label, enum=Answer, default=Answer.UNKNOWN)


def _name(label: str, required: bool = True, max_length: int = 100) -> StringField:
    validators: list[Any] = [DataRequired()] if required else [Optional()]
    return StringField(label, validators=[*validators, Length(max=max_length)],
                       filters=[lambda v: v.strip() if isinstance(v, str) else v])


class VersionedForm(FlaskForm):
    """Carries the case version the page was rendered from, for conflict detection."""

    version = HiddenField()

    def expected_version(self) -> int | None:
        try:
            return int(self.version.data)
        except (TypeError, ValueError):
            return None


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


class ApplicantForm(VersionedForm):
    given_name = _name("Given name(s)")
    family_name = _name("Family name")
    chinese_name = _name("Chinese name", required=False, max_length=50)
    date_of_birth = FriendlyDateField("Date of birth", validators=[Optional(), not_in_future()])
    nationality = CountryField("Nationality")
    passport_number = StringField(
        "Passport number", validators=[Optional(), Length(max=20)], filters=[_strip]
    )
    passport_expiry = FriendlyDateField("Passport expiry", validators=[Optional()])
    email = StringField(
        "Email",
        validators=[Optional(), Email(message="Enter a valid email address."), Length(max=254)],
        filters=[_strip],
    )
    phone = StringField("Phone", validators=[Optional(), Length(max=40)], filters=[_strip])

    criminal_record = _answer("Criminal record (in Hong Kong or elsewhere)")
    adverse_immigration_record = _answer("Adverse immigration record")

    english_written = _answer("English, written")
    english_spoken = _answer("English, spoken")
    chinese_written = _answer("Chinese, written")
    putonghua_spoken = _answer("Putonghua, spoken")
    cantonese_spoken = _answer("Cantonese, spoken")

    highest_qualification = EnumSelectField(
        "Highest qualification", enum=Qualification, blank="— not yet known —"
    )
    qualification_recognised = _answer("From a recognised institution")

    def validate_date_of_birth(self, field: Any) -> None:
        if field.data and field.data < date(1900, 1, 1):
            raise ValidationError("Enter a date of birth after 1900.")

    def validate_passport_number(self, field: Any) -> None:
        if field.data and not field.data.replace(" ", "").isalnum():
            raise ValidationError("A passport number has letters and digits only.")

    def applicant_values(self) -> dict[str, Any]:
        from caseapp.services.cases import APPLICANT_FIELDS

        values = {name: getattr(self, name).data for name in APPLICANT_FIELDS}
        for text in ("chinese_name", "passport_number", "email", "phone"):
            values[text] = values[text] or ""
        values["passport_number"] = values["passport_number"].replace(" ", "").upper()
        return values


class DependantForm(VersionedForm):
    relation = EnumSelectField("Relationship to the applicant", enum=Relationship)
    given_name = _name("Given name(s)")
    family_name = _name("Family name")
    date_of_birth = FriendlyDateField("Date of birth", validators=[Optional(), not_in_future()])
    marital_status = EnumSelectField(
        "Marital status", enum=MaritalStatus, blank="— not yet known —"
    )
    nationality = CountryField("Nationality")

    def dependant_values(self) -> dict[str, Any]:
        from caseapp.services.cases import DEPENDANT_FIELDS

        return {name: getattr(self, name).data for name in DEPENDANT_FIELDS}


class ConfirmForm(VersionedForm):
    """A bare POST (remove a dependant): CSRF and the version, nothing else."""

