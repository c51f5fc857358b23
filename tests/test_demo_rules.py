"""The demo data follows the rules a person works under: every case lodged with ImmD was
approved in review and sent with its documents; deposit evidence had a second pair of eyes."""

from __future__ import annotations

from sqlalchemy import select

from caseapp.demo import seed
from caseapp.models import (
    Case,
    DepositEvidence,
    Review,
    ReviewOutcome,
    StatusChange,
    SubmissionPackage,
)
from caseapp.queries.documents import missing_documents
from caseapp.rules.vocab import EvidenceStatus
from caseapp.rules.workflow import CaseStatus


def test_the_demo_cases_went_through_review_gates_and_four_eyes(app, db):
    seed()
    lodged = [c for c in db.session.scalars(select(Case)) if c.file_is_locked]
    assert lodged, "the demo has cases with ImmD"
    for case in lodged:
        reviews = db.session.scalars(select(Review).where(Review.case_id == case.id)).all()
        assert any(r.outcome is ReviewOutcome.APPROVED for r in reviews), case.reference
        assert db.session.scalars(select(SubmissionPackage).where(
            SubmissionPackage.case_id == case.id)).first() is not None
        assert missing_documents(case) == [], case.reference
        assert case.immd_file_number and case.submitted_on
        move = db.session.scalars(select(StatusChange).where(
            StatusChange.case_id == case.id,
            StatusChange.to_status == CaseStatus.SUBMITTED)).one()
        assert not move.override
    for evidence in db.session.scalars(select(DepositEvidence)):
        assert evidence.document_id is not None
        if evidence.status is EvidenceStatus.VERIFIED:
            assert evidence.verified_by_id != evidence.recorded_by_id
    under_assessment = [c for c in lodged if c.status is CaseStatus.UNDER_ASSESSMENT]
    assert under_assessment and all(missing_documents(c) == [] for c in under_assessment)
