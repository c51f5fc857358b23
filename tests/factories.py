"""Building cases for tests through the same services the app uses."""

from __future__ import annotations

from datetime import date
from typing import Any

from caseapp.models import Case, User
from caseapp.rules.vocab import Answer, MaritalStatus, Qualification, Relationship
from caseapp.services import cases as case_service


def applicant_values(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "given_name": "Mei Ling",
        "family_name": "Tan",
        "chinese_name": "陳美玲",
        "date_of_birth": date(1990, 5, 17),
        "nationality": "MYS",
        "passport_number": "A12345678",
        "passport_expiry": date(2031, 1, 31),
        "email": "meiling@example.com",
        "phone": "+60 12 345 6789",
        "criminal_record": Answer.NO,
        "adverse_immigration_record": Answer.NO,
        "english_written": Answer.YES,
        "english_spoken": Answer.YES,
        "chinese_written": Answer.YES,
        "putonghua_spoken": Answer.YES,
        "cantonese_spoken": Answer.NO,
        "highest_qualification": Qualification.MASTER,
        "qualification_recognised": Answer.YES,
        "doctorate_count": 0,
        "master_count": 1,
        "bachelor_count": 1,
        "professional_qualification": False,
        "graduate_work_years": 8,
        "senior_work_years": 3,
        "other_foreign_language": Answer.NO,
        "hk_permanent_resident_family": Answer.NO,
        "achievement_claim": Answer.NO,
        "achievement_description": "",
    }
    values.update(overrides)
    return values


def dependant_values(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "relation": Relationship.CHILD,
        "given_name": "Ethan",
        "family_name": "Tan",
        "date_of_birth": date(2015, 3, 2),
        "marital_status": MaritalStatus.SINGLE,
        "nationality": "MYS",
        "spouse_has_degree": Answer.UNKNOWN,
    }
    values.update(overrides)
    return values


def open_case(consultant: User, **applicant: Any) -> Case:
    return case_service.open_case(consultant, applicant_values(**applicant))


def applicant_form(**overrides: Any) -> dict[str, str]:
    """The applicant form as a browser posts it."""
    values = applicant_values()
    form = _as_form(values)
    form.update(overrides)
    return form


def _as_form(values: dict[str, Any]) -> dict[str, str]:
    form = {}
    for key, value in values.items():
        if isinstance(value, bool):
            if value:
                form[key] = "y"
        else:
            form[key] = value.value if hasattr(value, "value") else str(value)
    return form


def dependant_form(**overrides: Any) -> dict[str, str]:
    form = _as_form(dependant_values())
    form.update(overrides)
    return form
