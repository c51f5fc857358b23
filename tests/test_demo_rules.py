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
        # Only the paper file lodged in 2024 is past a gate, and it says why.
        assert not move.override or move.reason.startswith("Lodged on paper")
    for evidence in db.session.scalars(select(DepositEvidence)):
        assert evidence.document_id is not None
        if evidence.status is EvidenceStatus.VERIFIED:
            assert evidence.verified_by_id != evidence.recorded_by_id
    under_assessment = [c for c in lodged if c.status is CaseStatus.UNDER_ASSESSMENT]
    assert under_assessment and all(missing_documents(c) == [] for c in under_assessment)


def test_the_demo_has_cases_under_both_rule_sets_as_deployed(app, db):
    """Unpinned, as `make run` serves it: the 2024 criteria for today's files (met 6 or
    more, exactly 5, undecided), the 2006 table for the file lodged in October 2024."""
    from caseapp.models import CheckRun
    from caseapp.services.checks import latest_run

    app.config["RULE_SET_VERSION"] = None
    try:
        seed()
        runs = [latest_run(c) for c in db.session.scalars(select(Case))]
        versions = {r.rule_set_version for r in runs if r is not None}
        assert versions == {"qmas-2006-165", "qmas-2024-11"}
        old = next(c for c in db.session.scalars(select(Case)) if c.submitted_on is not None
                   and c.submitted_on.year == 2024)
        assert latest_run(old).rule_set_version == "qmas-2006-165"
        criteria = [r.result["general_points"] for r in runs
                    if r is not None and r.rule_set_version == "qmas-2024-11"]
        assert all(c["kind"] == "criteria" for c in criteria)
        met = [c["met"] for c in criteria]
        assert max(met) >= 6 and 5 in met
        undecided = [c for c in criteria if c["passed"] is None]
        assert undecided
        assert db.session.query(CheckRun).count() >= 21
    finally:
        app.config["RULE_SET_VERSION"] = "qmas-2006-165"
