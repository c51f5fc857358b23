from datetime import UTC

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from caseapp.models import Applicant, AuditEntry, Case
from caseapp.services.cases import next_reference
from tests.factories import open_case


def test_case_references_count_up_per_year_and_are_never_reused(db, consultant):
    first = open_case(consultant)
    second = open_case(consultant)
    assert first.reference.endswith("-000001")
    assert second.reference.endswith("-000002")
    db.session.delete(second)
    db.session.commit()
    third = open_case(consultant)
    assert third.reference.endswith("-000003")
    assert next_reference(1999) == "QM-1999-000001"


def test_reference_is_unique_in_the_database(db, consultant):
    case = open_case(consultant)
    clash = Case(reference=case.reference, consultant=consultant)
    clash.applicant = Applicant(given_name="A", family_name="B")
    db.session.add(clash)
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_foreign_keys_are_enforced(db, consultant):
    case = Case(reference="QM-2026-999999", consultant_id=987654)
    db.session.add(case)
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_every_change_bumps_the_case_version(db, consultant):
    case = open_case(consultant)
    assert case.version == 1
    case.planned_submission_date = None
    case.status = case.status  # no change: no new version
    db.session.commit()
    assert case.version == 1
    from caseapp.services.cases import update_applicant

    update_applicant(consultant, case, {"phone": "+852 2123 4567"}, expected_version=1)
    assert case.version == 2


def test_timestamps_come_back_as_aware_utc(db, consultant):
    case = open_case(consultant)
    db.session.expire_all()
    reloaded = db.session.get(Case, case.id)
    assert reloaded.opened_at.tzinfo is not None
    assert reloaded.opened_at.utcoffset() == UTC.utcoffset(None)


def test_audit_entries_cannot_be_edited_or_deleted(db, consultant):
    open_case(consultant)
    entry = db.session.scalars(select(AuditEntry)).first()
    entry.action = "tampered"
    with pytest.raises(RuntimeError, match="append-only"):
        db.session.commit()
    db.session.rollback()
    db.session.delete(db.session.scalars(select(AuditEntry)).first())
    with pytest.raises(RuntimeError, match="append-only"):
        db.session.commit()
    db.session.rollback()


def test_a_vocabulary_column_rejects_values_outside_it(db, consultant):
    case = open_case(consultant)
    with pytest.raises(IntegrityError):
        db.session.execute(
            text("UPDATE applicants SET criminal_record = 'maybe' WHERE case_id = :id"),
            {"id": case.id},
        )
    db.session.rollback()
