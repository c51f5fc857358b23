"""The services refuse impossible people's data for every caller, not only the forms: a
ValidationFailed names each field and what to do, and nothing is saved."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from caseapp import clock
from caseapp.models import Case, Dependant
from caseapp.rules.vocab import Relationship
from caseapp.rules.workflow import CaseStatus
from caseapp.services import cases as case_service
from caseapp.services.errors import NotAllowed, ValidationFailed
from caseapp.services.people import UNSAFE_TEXT_MESSAGE
from tests.factories import applicant_values, dependant_values, open_case


def _refused(call, *args) -> dict[str, list[str]]:
    with pytest.raises(ValidationFailed) as refused:
        call(*args)
    return refused.value.errors


@pytest.mark.parametrize("field", ["given_name", "family_name", "chinese_name",
                                   "passport_number", "email", "phone",
                                   "achievement_description"])
@pytest.mark.parametrize("bad", ["\x00", "\u202e", "\x9b", "\u2067", "\u200e"])
def test_opening_a_case_refuses_invisible_characters_in_any_text(db, consultant, field, bad):
    errors = _refused(case_service.open_case, consultant,
                      applicant_values(**{field: f"A{bad}1"}))
    assert errors == {field: [UNSAFE_TEXT_MESSAGE]}
    assert db.session.scalar(select(func.count(Case.id))) == 0


def test_line_breaks_are_text_in_the_achievement_only(db, consultant):
    case = open_case(consultant, achievement_description="Medal\r\n\tTokyo")
    assert case.applicant.achievement_description == "Medal\r\n\tTokyo"
    errors = _refused(case_service.open_case, consultant, applicant_values(given_name="Mei\nLing"))
    assert errors == {"given_name": [UNSAFE_TEXT_MESSAGE]}


def test_phone_numbers_are_stored_in_e164_and_nonsense_is_refused(db, consultant):
    assert open_case(consultant, phone="2123 4567").applicant.phone == "+85221234567"
    assert open_case(consultant, phone="+60 12 345 6789").applicant.phone == "+60123456789"
    assert open_case(consultant, phone="").applicant.phone == ""
    errors = _refused(case_service.open_case, consultant,
                      applicant_values(phone="call me maybe"))
    assert errors == {"phone": [
        "Enter a phone number with its country code, such as +852 2123 4567."]}


def test_the_default_region_is_a_setting(app, db, consultant):
    app.config["PHONE_DEFAULT_REGION"] = "MY"
    assert open_case(consultant, phone="012-345 6789").applicant.phone == "+60123456789"


@pytest.mark.parametrize(("field", "value", "message"), [
    ("doctorate_count", -1, "The number of doctorates cannot be negative."),
    ("master_count", -1, "The number of master's degrees cannot be negative."),
    ("bachelor_count", -3, "The number of bachelor's degrees cannot be negative."),
    ("graduate_work_years", -1, "The years of graduate or specialist work cannot be negative."),
    ("senior_work_years", -2, "The years in a senior role cannot be negative."),
    ("doctorate_count", "2", "Enter a whole number, such as 3."),
    ("master_count", True, "Enter a whole number, such as 3."),
    ("graduate_work_years", 2.5, "Enter a whole number, such as 3."),
    ("graduate_work_years", 10**12, "Enter a whole number from 0 to 70."),
])
def test_counts_are_whole_numbers_from_zero(db, consultant, field, value, message):
    errors = _refused(case_service.open_case, consultant, applicant_values(**{field: value}))
    assert errors == {field: [message]}


def test_an_expired_passport_is_refused_when_it_is_entered(db, consultant):
    yesterday = clock.today() - timedelta(days=1)
    errors = _refused(case_service.open_case, consultant,
                      applicant_values(passport_expiry=yesterday))
    assert list(errors) == ["passport_expiry"]
    assert yesterday.isoformat() in errors["passport_expiry"][0]
    case = open_case(consultant)
    errors = _refused(case_service.update_applicant, consultant, case,
                      {"passport_expiry": yesterday}, case.version)
    assert list(errors) == ["passport_expiry"]
    assert case.version == 1


def test_a_passport_that_expired_since_it_was_entered_does_not_block_other_edits(db,
                                                                                consultant):
    case = open_case(consultant)
    case.applicant.passport_expiry = clock.today() - timedelta(days=3)  # time has passed
    db.session.commit()
    version = case.version
    values = applicant_values(passport_expiry=case.applicant.passport_expiry,
                              phone="+852 2123 4567")
    case_service.update_applicant(consultant, case, values, version)
    assert case.applicant.phone == "+85221234567"


def test_nobody_is_born_in_the_future(db, consultant):
    tomorrow = clock.today() + timedelta(days=1)
    errors = _refused(case_service.open_case, consultant,
                      applicant_values(date_of_birth=tomorrow))
    assert errors == {"date_of_birth": ["A date of birth cannot be in the future."]}
    case = open_case(consultant)
    errors = _refused(case_service.add_dependant, consultant, case,
                      dependant_values(date_of_birth=tomorrow), case.version)
    assert errors == {"date_of_birth": ["A date of birth cannot be in the future."]}
    assert db.session.scalar(select(func.count(Dependant.id))) == 0
    assert case.version == 1


def test_a_child_is_born_after_the_applicant(db, consultant):
    case = open_case(consultant, date_of_birth=date(1990, 5, 17))
    for born in (date(1990, 5, 17), date(1980, 1, 1)):
        errors = _refused(case_service.add_dependant, consultant, case,
                          dependant_values(date_of_birth=born), case.version)
        assert list(errors) == ["date_of_birth"]
        assert "1990-05-17" in errors["date_of_birth"][0]
    # A parent or a spouse may be older; a child born the next day is fine.
    case_service.add_dependant(consultant, case, dependant_values(
        relation=Relationship.PARENT, date_of_birth=date(1960, 1, 1)), case.version)
    child = case_service.add_dependant(consultant, case, dependant_values(
        date_of_birth=date(1990, 5, 18)), case.version)
    # Making the parent a child, or moving the child's birthday back, is refused too.
    parent = next(d for d in case.dependants if d.relation is Relationship.PARENT)
    errors = _refused(case_service.update_dependant, consultant, case, parent,
                      {"relation": Relationship.CHILD}, case.version)
    assert list(errors) == ["date_of_birth"]
    errors = _refused(case_service.update_dependant, consultant, case, child,
                      {"date_of_birth": date(1989, 1, 1)}, case.version)
    assert list(errors) == ["date_of_birth"]


def test_the_applicants_birthday_cannot_move_past_a_childs(db, consultant):
    case = open_case(consultant)
    case_service.add_dependant(consultant, case, dependant_values(
        given_name="Ethan", date_of_birth=date(2015, 3, 2)), case.version)
    version = case.version
    errors = _refused(case_service.update_applicant, consultant, case,
                      {"date_of_birth": date(2015, 3, 2)}, version)
    assert list(errors) == ["date_of_birth"]
    assert "Ethan Tan" in errors["date_of_birth"][0]
    assert "2015-03-02" in errors["date_of_birth"][0]
    assert case.version == version and case.applicant.date_of_birth == date(1990, 5, 17)


def test_a_read_only_file_is_refused_before_its_input_is_checked(db, consultant):
    case = open_case(consultant)
    case.status = CaseStatus.WITHDRAWN
    db.session.commit()
    with pytest.raises(NotAllowed):
        case_service.update_applicant(consultant, case, {"phone": "nonsense"}, case.version)
