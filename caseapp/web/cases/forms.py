"""Forms of the consultant's client-file pages."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from wtforms import BooleanField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, Length, Optional, ValidationError

from caseapp import clock
from caseapp.rules.vocab import Answer, MaritalStatus, Qualification, Relationship
from caseapp.services.people import (
    ACHIEVEMENT_MESSAGE,
    EARLIEST_BIRTH,
    EARLY_BIRTH_MESSAGE,
    PASSPORT_MESSAGE,
    is_passport_number,
    normalise_passport,
)
from caseapp.web.fields import (
    CountField,
    CountryField,
    EnumSelectField,
    ExactDecimalField,
    FriendlyDateField,
    PhoneField,
    not_in_future,
)
from caseapp.web.textcheck import SafeTextForm


def _answer(label: str) -> EnumSelectField:
    return EnumSelectField(label, enum=Answer, default=Answer.UNKNOWN)


def _name(label: str, required: bool = True, max_length: int = 100) -> StringField:
    validators: list[Any] = [DataRequired()] if required else [Optional()]
    return StringField(label, validators=[*validators, Length(max=max_length)],
                       filters=[lambda v: v.strip() if isinstance(v, str) else v])


def _count(label: str, count: str) -> CountField:
    """A count checked as the service checks it (services/people.py ``COUNTS``)."""
    return CountField(label, count=count, validators=[Optional()])


class VersionedForm(SafeTextForm):
    """Carries the case version the page was rendered from, for conflict detection."""

    version = HiddenField()

    def expected_version(self) -> int | None:
        """The version the browser sent, or None (refused by the services as a conflict).

        Read from the submitted data only: a form built with ``obj=case`` would otherwise
        fill a missing field in with the case's current version and pass the check.
        """
        sent = (self.version.raw_data or [""])[0]
        if not (isinstance(sent, str) and sent.isascii() and sent.isdigit()) or len(sent) > 9:
            return None
        return int(sent)


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


class SumCurrencyField(SelectField):
    """The currency of a sum of money that may not be recorded yet: blank, or an ISO 4217
    currency a bank account holds (the service names anything else)."""

    def __init__(self, label: str | None = None, **kwargs: Any) -> None:
        from caseapp.services.deposits import currencies

        choices = [SelectChoice(value="", label="—"),
                   *(SelectChoice(value=code, label=f"{code} · {name}")
                     for code, name in currencies())]
        super().__init__(label, choices=choices, validate_choice=False, **kwargs)

    def process_formdata(self, valuelist: list[Any]) -> None:
        super().process_formdata(valuelist)
        self.data = (self.data or "").strip().upper() or None


# Facts only one kind of General Points Test reads: the form leaves out the other kind's, so
# a case lodged in 2023 is not asked for an income, nor one lodged now for a senior role.
CRITERIA_ONLY = ("degree_eligible_university", "degree_stem", "two_languages",
                 "multinational_work_years", "sector_work_years", "international_work_years",
                 "income_amount", "income_currency", "income_rate_to_hkd", "profit_amount",
                 "profit_currency", "profit_rate_to_hkd", "owns_listed_company")
POINTS_TABLE_ONLY = ("professional_qualification", "senior_work_years",
                     "other_foreign_language", "hk_permanent_resident_family")


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
    phone = PhoneField("Phone", validators=[Optional(), Length(max=40)], filters=[_strip])

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
    doctorate_count = _count("Doctorates held", "doctorate_count")
    master_count = _count("Master's degrees held", "master_count")
    bachelor_count = _count("Bachelor's degrees held", "bachelor_count")
    professional_qualification = BooleanField("Holds a professional qualification")

    graduate_work_years = _count("Years of graduate or specialist work", "graduate_work_years")
    senior_work_years = _count("of which, years in a senior role", "senior_work_years")
    other_foreign_language = _answer("Another foreign language, spoken and written")
    hk_permanent_resident_family = _answer(
        "Immediate family member is a Hong Kong permanent resident living in Hong Kong"
    )

    # The General Points Test since 1 November 2024 (12 criteria).
    degree_eligible_university = _answer(
        "Master's or doctorate from a university on the eligible list")
    degree_stem = _answer("That degree is in science, technology, engineering or mathematics")
    two_languages = _answer("Good written and spoken proficiency in two languages")
    multinational_work_years = _count("of which, years in a multinational or renowned "
                                      "enterprise", "multinational_work_years")
    sector_work_years = _count("of which, years in innovation and technology, finance or "
                               "international trade", "sector_work_years")
    international_work_years = _count("of which, years of international work",
                                      "international_work_years")
    income_amount = ExactDecimalField("Income in the last full year", what="income",
                                      example="1200000.00", validators=[Optional()])
    income_currency = SumCurrencyField("Currency of the income")
    income_rate_to_hkd = ExactDecimalField("Rate to HKD", normalize=True, what="rate",
                                           example="7.8125", validators=[Optional()])
    profit_amount = ExactDecimalField("Profit of an owned business in the last full year",
                                      what="profit", example="5000000.00",
                                      validators=[Optional()])
    profit_currency = SumCurrencyField("Currency of the profit")
    profit_rate_to_hkd = ExactDecimalField("Rate to HKD", normalize=True, what="rate",
                                           example="7.8125", validators=[Optional()])
    owns_listed_company = _answer("Owns a listed company")

    achievement_claim = _answer("Claims an exceptional achievement")
    achievement_description = TextAreaField(
        "Achievement and its evidence",
        validators=[Optional(), Length(max=4000)],
        filters=[_strip],
    )

    def validate_senior_work_years(self, field: Any) -> None:
        total = self.graduate_work_years.data
        if field.data is not None and total is not None and field.data > total:
            raise ValidationError("Senior years are part of the graduate years: at most "
                                  f"{total}.")

    def validate_achievement_description(self, field: Any) -> None:
        if self.achievement_claim.data is Answer.YES and not field.data:
            raise ValidationError(ACHIEVEMENT_MESSAGE)

    def validate_date_of_birth(self, field: Any) -> None:
        if field.data and field.data < EARLIEST_BIRTH:
            raise ValidationError(EARLY_BIRTH_MESSAGE)

    def validate_passport_number(self, field: Any) -> None:
        # Checked as it is stored (services.people: spaces out, upper case).
        if field.data and not is_passport_number(field.data):
            raise ValidationError(PASSPORT_MESSAGE)

    def for_test(self, kind: str) -> ApplicantForm:
        """Keep only the General Points Test facts of ``kind`` ("criteria" or "points_table")
        among the test-specific ones; the rest are neither shown nor saved."""
        for name in POINTS_TABLE_ONLY if kind == "criteria" else CRITERIA_ONLY:
            if name in self:
                del self[name]
        return self

    def applicant_values(self) -> dict[str, Any]:
        """What the form carries, as the service takes it; fields the form left out (facts the
        case's rule set does not read) are not sent, so their stored values stay."""
        from caseapp.services.cases import APPLICANT_FIELDS

        values = {name: self[name].data for name in APPLICANT_FIELDS if name in self}
        for text in ("chinese_name", "passport_number", "email", "phone",
                     "achievement_description"):
            values[text] = values[text] or ""
        values["passport_number"] = normalise_passport(values["passport_number"])
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
    passport_expiry = FriendlyDateField("Passport expiry", validators=[Optional()])
    spouse_has_degree = _answer("Spouse holds a bachelor's degree or above")

    def dependant_values(self) -> dict[str, Any]:
        from caseapp.services.cases import DEPENDANT_FIELDS

        return {name: getattr(self, name).data for name in DEPENDANT_FIELDS}


class ConfirmForm(VersionedForm):
    """A bare POST (remove a dependant): CSRF and the version, nothing else."""



class CaseDetailsForm(VersionedForm):
    planned_submission_date = FriendlyDateField("Planned submission date",
                                                validators=[Optional()])

    def validate_planned_submission_date(self, field: Any) -> None:
        if field.data and field.data < clock.today():
            raise ValidationError("The planned submission date cannot be in the past.")
        if field.data and field.data > clock.today() + timedelta(days=5 * 366):
            raise ValidationError("Plan the submission within the next five years.")
