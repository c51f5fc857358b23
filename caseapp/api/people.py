"""The applicant and the dependants of a case: read, change, add and remove.

The schemas refuse what the forms refuse before the service sees it (unknown fields, text
with control characters, lengths the columns hold, counts and choices out of range); the
service (`services.people`) remains the authority and answers the rest per field. Money
(an income, a profit, their rates) is a decimal string both ways: the service reads it with
the same parser as the pages (`services.deposits.number_or_problem`).

The input fields they share with the other endpoints are in `api.fields`.
"""

from __future__ import annotations

from typing import Any

import email_validator
from flask import Response
from marshmallow import ValidationError, fields, validate, validates_schema

from caseapp.api.base import (
    ETAG_HEADER,
    IF_MATCH,
    ApiBlueprint,
    api_user,
    case_or_404,
    etag_headers,
    expected_version,
    found_or_404,
)
from caseapp.api.fields import (
    CREATED_HEADERS,
    DecimalText,
    EnumText,
    InputSchema,
    PartialUpdate,
    StrictBoolean,
    Text,
    country,
    currency,
    not_blank,
)
from caseapp.api.schemas import DecimalString, StrictSchema
from caseapp.extensions import db
from caseapp.models import Applicant, Case, Dependant
from caseapp.queries.cases import get_dependant
from caseapp.rules.vocab import Answer, MaritalStatus, Qualification, Relationship
from caseapp.services import cases as case_service
from caseapp.services.errors import ValidationFailed
from caseapp.services.people import (
    ACHIEVEMENT_MESSAGE,
    COUNTS,
    EARLIEST_BIRTH,
    EARLY_BIRTH_MESSAGE,
    PASSPORT_MESSAGE,
    WHOLE_NUMBER_MESSAGE,
    is_passport_number,
    negative_message,
    normalise_passport,
    too_large_message,
)

blp = ApiBlueprint("api_people", __name__, url_prefix="/api/v1/cases",
                   description="The applicant and the dependants of a case.")

# ---- the applicant -----------------------------------------------------------------------------

class Passport(Text):
    """A passport number: stored without spaces, in capitals."""

    def finish(self, text: str) -> str:
        return normalise_passport(text.strip())


def _passport(value: str) -> None:
    if value.strip() and not is_passport_number(value.strip()):
        raise ValidationError(PASSPORT_MESSAGE)


def _email(value: str) -> None:
    """An address the forms' e-mail check (wtforms' Email, email_validator) takes; or none."""
    if not value.strip():
        return
    try:
        email_validator.validate_email(value.strip(), check_deliverability=False)
    except email_validator.EmailNotValidError:
        raise ValidationError("Enter a valid email address.") from None


def _name(what: str, max_length: int = 100, **kwargs: Any) -> Text:
    return Text(required=True, validate=[validate.Length(max=max_length),
                                         not_blank(f"Enter the {what}.")], **kwargs)


def _answer(description: str) -> EnumText:
    return EnumText(Answer, metadata={"description": description})


def _count(name: str) -> fields.Integer:
    what, maximum = COUNTS[name]
    return fields.Integer(
        strict=True, allow_none=True,
        validate=[validate.Range(min=0, error=negative_message(name)),
                  validate.Range(max=maximum, error=too_large_message(name))],
        error_messages={"invalid": WHOLE_NUMBER_MESSAGE},
        metadata={"description": f"{what}; null: not yet known."})


def _money(what: str, example: str) -> DecimalText:
    return DecimalText(what=what, example=example, allow_none=True)


def _sum_currency(what: str) -> fields.String:
    return currency(allow_none=True, metadata={"description": f"The currency of the {what}."})


def _rate() -> DecimalText:
    return DecimalText(what="rate", example="7.8125", allow_none=True, metadata={
        "description": "HKD for one unit of the currency (for HKD, 1 or null)."})


class ApplicantInputSchema(InputSchema):
    """The applicant as a client sends it: opening a case takes every field (given and family
    name required, the rest as the page's defaults); a change (PATCH) only those sent."""

    given_name = _name("given name(s)")
    family_name = _name("family name")
    chinese_name = Text(validate=validate.Length(max=50))
    date_of_birth = fields.Date(allow_none=True, validate=validate.Range(
        min=EARLIEST_BIRTH, error=EARLY_BIRTH_MESSAGE))
    nationality = country()
    passport_number = Passport(validate=_passport, metadata={
        "description": "1 to 20 letters A-Z and digits 0-9 (spaces are taken out, letters "
                       "put in capitals); empty: not yet known."})
    passport_expiry = fields.Date(allow_none=True)
    email = Text(validate=[validate.Length(max=254), _email])
    phone = Text(validate=validate.Length(max=40), metadata={
        "description": "With its country code (+852 2123 4567); stored as E.164."})

    criminal_record = _answer("Criminal record (in Hong Kong or elsewhere).")
    adverse_immigration_record = _answer("Adverse immigration record.")
    english_written = _answer("English, written.")
    english_spoken = _answer("English, spoken.")
    chinese_written = _answer("Chinese, written.")
    putonghua_spoken = _answer("Putonghua, spoken.")
    cantonese_spoken = _answer("Cantonese, spoken.")

    highest_qualification = EnumText(Qualification, allow_none=True, metadata={
        "description": "Null: not yet known."})
    qualification_recognised = _answer("From a recognised institution.")
    doctorate_count = _count("doctorate_count")
    master_count = _count("master_count")
    bachelor_count = _count("bachelor_count")
    professional_qualification = StrictBoolean()
    graduate_work_years = _count("graduate_work_years")
    senior_work_years = _count("senior_work_years")
    other_foreign_language = _answer("Another foreign language, spoken and written.")
    hk_permanent_resident_family = _answer(
        "An immediate family member is a Hong Kong permanent resident living in Hong Kong.")

    degree_eligible_university = _answer(
        "Master's or doctorate from a university on the eligible list.")
    degree_stem = _answer("That degree is in science, technology, engineering or mathematics.")
    two_languages = _answer("Good written and spoken proficiency in two languages.")
    multinational_work_years = _count("multinational_work_years")
    sector_work_years = _count("sector_work_years")
    international_work_years = _count("international_work_years")
    income_amount = _money("income", "1200000.00")
    income_currency = _sum_currency("income")
    income_rate_to_hkd = _rate()
    profit_amount = _money("profit", "5000000.00")
    profit_currency = _sum_currency("profit")
    profit_rate_to_hkd = _rate()
    owns_listed_company = _answer("Owns a listed company.")

    achievement_claim = _answer("Claims an exceptional achievement.")
    achievement_description = Text(multi_line=True, validate=validate.Length(max=4000),
                                   metadata={"description": "Required when claiming one."})

    @validates_schema
    def _achievement_described(self, data: dict[str, Any], **kwargs: Any) -> None:
        if kwargs.get("partial"):
            return  # a change: checked with the stored applicant (`achievement_problem`)
        if (data.get("achievement_claim") is Answer.YES
                and not (data.get("achievement_description") or "").strip()):
            raise ValidationError(ACHIEVEMENT_MESSAGE, "achievement_description")


class ApplicantUpdateSchema(PartialUpdate, ApplicantInputSchema):
    """A change to the applicant: only the fields sent change."""


class ApplicantSchema(ApplicantInputSchema):
    """The applicant, every field, with the HKD value of the income and profit (computed from
    the amount and the rate, never sent)."""

    income_hkd = DecimalString(dump_only=True, allow_none=True)
    profit_hkd = DecimalString(dump_only=True, allow_none=True)


def achievement_problem(values: dict[str, Any], applicant: Applicant) -> None:
    """A change that leaves the applicant claiming an achievement with no description is
    refused, as the form refuses it."""
    if "achievement_claim" not in values and "achievement_description" not in values:
        return
    claim = values.get("achievement_claim", applicant.achievement_claim)
    description = values.get("achievement_description", applicant.achievement_description)
    if claim == Answer.YES and not (description or "").strip():
        raise ValidationFailed({"achievement_description": [ACHIEVEMENT_MESSAGE]})


@blp.get("/<reference>/applicant")
@blp.response(200, ApplicantSchema, headers=ETAG_HEADER)
def read_applicant(reference: str) -> Any:
    """The principal applicant: every fact the checks read, and the passport number."""
    case = case_or_404(reference)
    return case.applicant, 200, etag_headers(case)


@blp.patch("/<reference>/applicant")
@blp.arguments(ApplicantUpdateSchema)
@blp.response(200, ApplicantSchema, headers=ETAG_HEADER)
@blp.doc(parameters=[IF_MATCH])
def update_applicant(data: dict[str, Any], reference: str) -> Any:
    """Change the fields sent; the others stay. Nothing different: nothing is written and the
    ETag stays."""
    case = case_or_404(reference)
    achievement_problem(data, case.applicant)
    if case_service.update_applicant(api_user(), case, data, expected_version()):
        db.session.refresh(case.applicant)  # money as stored ("7.80000000"), as a GET reads it
    return case.applicant, 200, etag_headers(case)


# ---- the dependants ----------------------------------------------------------------------------

class DependantInputSchema(InputSchema):
    relation = EnumText(Relationship, required=True, metadata={
        "description": "Relationship to the applicant."})
    given_name = _name("given name(s)")
    family_name = _name("family name")
    date_of_birth = fields.Date(allow_none=True)
    marital_status = EnumText(MaritalStatus, allow_none=True, metadata={
        "description": "Null: not yet known."})
    nationality = country()
    passport_expiry = fields.Date(allow_none=True, metadata={
        "description": "Null: not yet known. A date already past is refused when it changes."})
    spouse_has_degree = _answer("A spouse holds a bachelor's degree or above.")


class DependantUpdateSchema(PartialUpdate, DependantInputSchema):
    """A change to a dependant: only the fields sent change."""


class DependantSchema(DependantInputSchema):
    id = fields.Integer(dump_only=True, required=True)


class DependantListSchema(StrictSchema):
    items = fields.List(fields.Nested(DependantSchema), required=True)


def dependant_location(case: Case, dependant: Dependant) -> str:
    return f"/api/v1/cases/{case.reference}/dependants/{dependant.id}"


@blp.get("/<reference>/dependants")
@blp.response(200, DependantListSchema, headers=ETAG_HEADER)
def list_dependants(reference: str) -> Any:
    """The case's dependants, in the order they were added."""
    case = case_or_404(reference)
    return {"items": case.dependants}, 200, etag_headers(case)


@blp.post("/<reference>/dependants")
@blp.arguments(DependantInputSchema)
@blp.response(201, DependantSchema, headers=CREATED_HEADERS)
@blp.doc(parameters=[IF_MATCH])
def add_dependant(data: dict[str, Any], reference: str) -> Any:
    """Add a spouse, child or other dependant to the case."""
    case = case_or_404(reference)
    dependant = case_service.add_dependant(api_user(), case, data, expected_version())
    return dependant, 201, {**etag_headers(case),
                            "Location": dependant_location(case, dependant)}


@blp.get("/<reference>/dependants/<int:dependant_id>")
@blp.response(200, DependantSchema, headers=ETAG_HEADER)
def read_dependant(reference: str, dependant_id: int) -> Any:
    case = case_or_404(reference)
    return found_or_404(get_dependant(case, dependant_id)), 200, etag_headers(case)


@blp.patch("/<reference>/dependants/<int:dependant_id>")
@blp.arguments(DependantUpdateSchema)
@blp.response(200, DependantSchema, headers=ETAG_HEADER)
@blp.doc(parameters=[IF_MATCH])
def update_dependant(data: dict[str, Any], reference: str, dependant_id: int) -> Any:
    """Change the fields sent; the others stay."""
    case = case_or_404(reference)
    dependant = found_or_404(get_dependant(case, dependant_id))
    case_service.update_dependant(api_user(), case, dependant, data, expected_version())
    return dependant, 200, etag_headers(case)


@blp.delete("/<reference>/dependants/<int:dependant_id>")
@blp.response(204, headers=ETAG_HEADER)
@blp.doc(parameters=[IF_MATCH])
def remove_dependant(reference: str, dependant_id: int) -> Response:
    """Remove the dependant from the case. Their documents stay as history, detached."""
    case = case_or_404(reference)
    dependant = found_or_404(get_dependant(case, dependant_id))
    case_service.remove_dependant(api_user(), case, dependant, expected_version())
    return Response(status=204, headers=etag_headers(case))
