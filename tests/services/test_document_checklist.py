"""The document checklist, person by person, and documents attached to dependants."""

from __future__ import annotations

import io
from datetime import date

import pytest

from caseapp.extensions import db as _db
from caseapp.models import Document, DocumentKind
from caseapp.queries.documents import document_panel_context, missing_documents
from caseapp.rules.checklist import CHECKLIST, ChecklistPerson, Requirement, Who, required_documents
from caseapp.rules.vocab import MaritalStatus, Relationship
from caseapp.services import cases as case_service
from caseapp.services import documents as document_service
from caseapp.services.cases import VersionCheck
from caseapp.services.errors import ValidationFailed
from tests.factories import dependant_values, open_case
from tests.services.test_documents import pdf_bytes

SKIP = VersionCheck.SKIP
APPLICANT_FIVE = ["Passport", "Photo", "Degree certificate", "Bank statement",
                  "Police certificate"]


def upload(actor, case, kind, dependant=None):
    return document_service.upload_document(actor, case, kind, "scan.pdf",
                                            io.BytesIO(pdf_bytes()), SKIP, dependant=dependant)


def add(actor, case, **values):
    return case_service.add_dependant(actor, case, dependant_values(**values), SKIP)


def kinds_by_person(case):
    return {entry.person.name: [item.kind.label for item in entry.items]
            for entry in document_panel_context(case)["document_checklist"]}


def test_a_spouse_needs_a_marriage_certificate_and_a_child_a_birth_certificate_and_passports(
        app, db, consultant):
    case = open_case(consultant)
    add(consultant, case, relation=Relationship.SPOUSE, given_name="Wei",
        date_of_birth=date(1989, 1, 1), marital_status=MaritalStatus.MARRIED)
    add(consultant, case, relation=Relationship.CHILD, given_name="Ethan")
    add(consultant, case, relation=Relationship.PARENT, given_name="Grandma",
        date_of_birth=date(1950, 1, 1), marital_status=MaritalStatus.WIDOWED)
    assert kinds_by_person(case) == {
        "Mei Ling Tan": APPLICANT_FIVE,
        "Wei Tan": ["Marriage certificate", "Passport"],
        "Ethan Tan": ["Birth certificate", "Passport"],
        "Grandma Tan": [],  # a parent cannot accompany: nothing to collect
    }


def test_a_married_child_who_cannot_accompany_needs_no_passport(app, db, consultant):
    case = open_case(consultant)
    add(consultant, case, relation=Relationship.CHILD, given_name="Ann",
        date_of_birth=date(2010, 1, 1), marital_status=MaritalStatus.MARRIED)
    assert kinds_by_person(case)["Ann Tan"] == ["Birth certificate"]


def test_a_document_counts_only_for_the_person_it_is_attached_to(app, db, consultant):
    case = open_case(consultant)
    child = add(consultant, case, relation=Relationship.CHILD, given_name="Ethan")
    upload(consultant, case, DocumentKind.PASSPORT)  # the applicant's
    assert "Passport of Ethan Tan (child)" in missing_documents(case)
    assert "Passport of Mei Ling Tan (principal applicant)" not in missing_documents(case)
    upload(consultant, case, DocumentKind.PASSPORT, dependant=child)
    upload(consultant, case, DocumentKind.BIRTH_CERTIFICATE, dependant=child)
    assert [m for m in missing_documents(case) if "Ethan" in m] == []


def test_the_checklist_complete_means_nothing_missing(app, db, consultant):
    case = open_case(consultant)
    for kind in (DocumentKind.PASSPORT, DocumentKind.PHOTO, DocumentKind.DEGREE_CERTIFICATE,
                 DocumentKind.BANK_STATEMENT, DocumentKind.POLICE_CERTIFICATE):
        upload(consultant, case, kind)
    assert missing_documents(case) == []


def test_a_document_cannot_be_attached_to_another_cases_dependant(app, db, consultant):
    case = open_case(consultant)
    other = open_case(consultant)
    stranger = add(consultant, other, relation=Relationship.CHILD)
    with pytest.raises(ValidationFailed) as refused:
        upload(consultant, case, DocumentKind.PASSPORT, dependant=stranger)
    assert "person" in refused.value.errors
    assert db.session.query(Document).count() == 0


def test_removing_a_dependant_keeps_their_documents_as_history_that_no_longer_counts(
        app, db, consultant):
    case = open_case(consultant)
    child = add(consultant, case, relation=Relationship.CHILD, given_name="Ethan")
    passport = upload(consultant, case, DocumentKind.PASSPORT, dependant=child)
    case_service.remove_dependant(consultant, case, child, SKIP)
    _db.session.expire_all()
    kept = _db.session.get(Document, passport.id)
    assert kept is not None and kept.dependant_id is None
    assert kept.detached_note.startswith("of Ethan Tan (child), removed ")
    context = document_panel_context(case)
    assert [d.id for d in context["detached_documents"]] == [passport.id]
    assert passport.id not in [e.document.id for e in context["documents"]]
    # ...and it does not count as the applicant's passport either.
    assert "Passport of Mei Ling Tan (principal applicant)" in missing_documents(case)


def test_the_checklist_is_data_a_change_to_the_list_changes_what_is_required():
    people = [ChecklistPerson(7, "Wei", Relationship.SPOUSE, accompanies=True)]
    shorter = [r for r in CHECKLIST if r.kind != "police_certificate"]
    longer = [*CHECKLIST, Requirement(Who.SPOUSE, "degree_certificate")]
    applicant, spouse = required_documents("Mei", people, shorter)
    assert "police_certificate" not in applicant.kinds
    _, spouse = required_documents("Mei", people, longer)
    assert spouse.kinds == ("marriage_certificate", "passport", "degree_certificate")
