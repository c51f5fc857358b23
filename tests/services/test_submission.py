"""The review, each submission gate, the frozen package, further information and letters."""

from __future__ import annotations

import hashlib
import io
import json
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from caseapp import clock
from caseapp.models import (
    Correspondence,
    CorrespondenceKind,
    DepositEvidence,
    Direction,
    Document,
    DocumentKind,
    InformationRequest,
    PackageKind,
    Review,
    ReviewOutcome,
    StatusChange,
    SubmissionPackage,
)
from caseapp.rules.vocab import EvidenceStatus, Relationship
from caseapp.rules.workflow import CaseStatus
from caseapp.services import cases as case_service
from caseapp.services import documents as document_service
from caseapp.services import submission as service
from caseapp.services.cases import VersionCheck
from caseapp.services.checks import run_checks
from caseapp.services.errors import ConflictError, NotAllowed, ValidationFailed
from caseapp.services.workflow import move_status
from tests.factories import dependant_values, open_case
from tests.services.test_checks import add_verified_deposit
from tests.services.test_documents import pdf_bytes

SKIP = VersionCheck.SKIP
APPLICANT_KINDS = (DocumentKind.PASSPORT, DocumentKind.PHOTO, DocumentKind.DEGREE_CERTIFICATE,
                   DocumentKind.BANK_STATEMENT, DocumentKind.POLICE_CERTIFICATE)


def upload(actor, case, kind, dependant=None):
    return document_service.upload_document(actor, case, kind, f"{kind.value}.pdf",
                                            io.BytesIO(pdf_bytes(kind.value)), SKIP,
                                            dependant=dependant)


def ready_for_review(db, consultant, *, documents=True, deposit=True, check=True):
    """A strong single application, ready for review, every gate but the review passing."""
    case = open_case(consultant)
    if deposit:
        add_verified_deposit(db, case, consultant, "300000.00", clock.today())
    if documents:
        for kind in APPLICANT_KINDS:
            upload(consultant, case, kind)
    case.status = CaseStatus.READY_FOR_REVIEW
    db.session.commit()
    if check:
        run_checks(consultant, case)
    return case


def approve(manager, case, comment="Checked the file against the originals."):
    return service.review_case(manager, case, ReviewOutcome.APPROVED, comment, case.version)


def submit(manager, case, **kwargs):
    kwargs.setdefault("immd_file_number", "QMAS/2026/000123")
    kwargs.setdefault("submitted_on", clock.today())
    return service.submit_case(manager, case, expected_version=case.version, **kwargs)


def failing(case):
    return {g.key: g.message for g in service.submission_gates(case) if not g.passed}


# ---- the review --------------------------------------------------------------------------

def test_a_consultant_cannot_review_nor_submit(db, consultant):
    case = ready_for_review(db, consultant)
    with pytest.raises(NotAllowed, match="Only a manager"):
        service.review_case(consultant, case, ReviewOutcome.APPROVED, "fine", case.version)
    with pytest.raises(NotAllowed, match="Only a manager"):
        submit(consultant, case)
    with pytest.raises(NotAllowed, match="review panel"):
        move_status(consultant, case, CaseStatus.SUBMITTED, "", case.version)
    assert case.status is CaseStatus.READY_FOR_REVIEW


def test_the_cases_own_consultant_cannot_review_even_as_a_manager(db, consultant, manager):
    case = ready_for_review(db, consultant)
    case.consultant_id = manager.id  # promoted, still holding the file
    db.session.commit()
    with pytest.raises(NotAllowed, match="own consultant"):
        approve(manager, case)


def test_a_review_needs_a_comment(db, consultant, manager):
    case = ready_for_review(db, consultant)
    with pytest.raises(ValidationFailed) as refused:
        service.review_case(manager, case, ReviewOutcome.APPROVED, "  ", case.version)
    assert "comment" in refused.value.errors
    assert db.session.query(Review).count() == 0


def test_approving_records_the_approval_and_opens_the_review_gate(db, consultant, manager):
    case = ready_for_review(db, consultant)
    assert "review" in failing(case)
    version = case.version
    review = approve(manager, case)
    assert (review.outcome, review.reviewed_by_id, review.case_version) == (
        ReviewOutcome.APPROVED, manager.id, version)
    assert case.version == version  # an approval is a record, not a change
    assert failing(case) == {}


def test_returning_sends_the_case_back_with_what_to_fix(db, consultant, manager):
    case = ready_for_review(db, consultant)
    service.review_case(manager, case, ReviewOutcome.RETURNED, "Police certificate is "
                        "older than six months.", case.version)
    assert case.status is CaseStatus.COLLECTING_DOCUMENTS
    move = db.session.scalars(select(StatusChange).order_by(StatusChange.id.desc())).first()
    assert (move.to_status, move.reason, move.changed_by_id) == (
        CaseStatus.COLLECTING_DOCUMENTS, "Police certificate is older than six months.",
        manager.id)
    assert db.session.scalars(select(Review)).one().outcome is ReviewOutcome.RETURNED


def test_a_stale_review_form_is_a_conflict(db, consultant, manager):
    case = ready_for_review(db, consultant)
    for stale in (None, case.version - 1):
        with pytest.raises(ConflictError):
            service.review_case(manager, case, ReviewOutcome.APPROVED, "ok", stale)
    assert db.session.query(Review).count() == 0


def test_a_change_after_the_approval_needs_a_new_approval(db, consultant, manager):
    case = ready_for_review(db, consultant)
    approve(manager, case)
    case_service.update_case_details(consultant, case, clock.today() + timedelta(days=3),
                                     case.version)
    assert "approving again" in failing(case)["review"]
    with pytest.raises(NotAllowed, match="approving again"):
        submit(manager, case, override=True, reason="the review cannot be overridden")
    run_checks(consultant, case)  # the planned date is one of the facts the checks read
    approve(manager, case)
    submit(manager, case)
    assert case.status is CaseStatus.SUBMITTED


# ---- the gates ---------------------------------------------------------------------------

def test_with_every_gate_passed_a_manager_submits_and_the_package_is_frozen(
        db, consultant, manager):
    case = ready_for_review(db, consultant)
    approve(manager, case)
    package = submit(manager, case, immd_file_number="  QMAS/2026/000123 ")
    assert case.status is CaseStatus.SUBMITTED
    assert (case.immd_file_number, case.submitted_on) == ("QMAS/2026/000123", clock.today())
    assert package.kind is PackageKind.SUBMISSION
    assert hashlib.sha256(package.content.encode()).hexdigest() == package.sha256
    content = json.loads(package.content)
    assert content["applicant"]["passport_number"] == "A12345678"
    assert content["check"]["verdict"] == "eligible"
    assert [d["amount_hkd"] for d in content["deposits"]] == ["300000.00"]
    documents = {d["kind"]: d["sha256"] for d in content["documents"]}
    stored = {d.kind.value: d.sha256 for d in db.session.scalars(select(Document))}
    assert documents == stored and len(documents) == 5
    assert content["review"]["by"] == manager.name
    move = db.session.scalars(select(StatusChange).where(
        StatusChange.to_status == CaseStatus.SUBMITTED)).one()
    assert (move.override, move.overridden_gates, move.changed_by_id) == (False, [], manager.id)
    letter = db.session.scalars(select(Correspondence)).one()
    assert (letter.direction, letter.kind) == (Direction.TO_IMMD, CorrespondenceKind.APPLICATION)


def test_the_checks_gate_needs_an_eligible_current_run(db, consultant, manager):
    case = ready_for_review(db, consultant, check=False)
    approve(manager, case)
    assert "not been run" in failing(case)["checks"]
    with pytest.raises(NotAllowed, match="not been run"):
        submit(manager, case)


def test_the_documents_gate_names_each_missing_document(db, consultant, manager):
    case = ready_for_review(db, consultant, documents=False)
    upload(consultant, case, DocumentKind.PASSPORT)
    approve(manager, case)
    message = failing(case)["documents"]
    assert message == ("Missing: Photo of Mei Ling Tan (principal applicant); Degree "
                       "certificate of Mei Ling Tan (principal applicant); Bank statement of "
                       "Mei Ling Tan (principal applicant); Police certificate of Mei Ling Tan "
                       "(principal applicant).")
    with pytest.raises(NotAllowed, match="Photo of Mei Ling Tan"):
        submit(manager, case)
    assert case.status is CaseStatus.READY_FOR_REVIEW


def test_the_documents_gate_covers_the_dependants(db, consultant, manager):
    case = ready_for_review(db, consultant, check=False)
    case.status = CaseStatus.COLLECTING_DOCUMENTS
    db.session.commit()
    spouse = case_service.add_dependant(consultant, case, dependant_values(
        relation=Relationship.SPOUSE, given_name="Wei", date_of_birth=date(1989, 1, 1),
        marital_status="married"), SKIP)
    message = service._documents_gate(case).message
    assert "Marriage certificate of Wei Tan (spouse)" in message
    assert "Passport of Wei Tan (spouse)" in message
    upload(consultant, case, DocumentKind.MARRIAGE_CERTIFICATE, spouse)
    upload(consultant, case, DocumentKind.PASSPORT, spouse)
    assert service._documents_gate(case).passed


def test_the_deposits_gate_refuses_pending_evidence(db, consultant, manager):
    case = ready_for_review(db, consultant)
    db.session.add(DepositEvidence(
        case_id=case.id, amount=Decimal("1000.00"), currency="USD", rate_to_hkd=Decimal("7.8"),
        amount_hkd=Decimal("7800.00"), statement_date=clock.today(), bank="Citi",
        account_holder="Mei Ling Tan", status=EvidenceStatus.PENDING,
        recorded_by_id=consultant.id))
    db.session.commit()
    approve(manager, case)
    assert "pending verification: Citi" in failing(case)["deposits"]
    with pytest.raises(NotAllowed, match="pending verification"):
        submit(manager, case)


def test_the_passport_gate_refuses_a_passport_expiring_within_the_window(
        db, consultant, manager):
    case = ready_for_review(db, consultant)
    soon = clock.today() + timedelta(days=90)
    case.applicant.passport_expiry = soon
    db.session.commit()
    run_checks(consultant, case)
    approve(manager, case)
    assert f"expires on {soon.isoformat()}" in failing(case)["passport"]
    with pytest.raises(NotAllowed, match="needs renewing"):
        submit(manager, case)


def test_a_manager_overrides_failing_gates_with_a_reason_and_each_is_recorded(
        db, consultant, manager):
    case = ready_for_review(db, consultant, documents=False)
    approve(manager, case)
    with pytest.raises(ValidationFailed) as refused:
        submit(manager, case, override=True, reason="  ")
    assert "reason" in refused.value.errors
    assert case.status is CaseStatus.READY_FOR_REVIEW
    package = submit(manager, case, override=True,
                     reason="Client lodges the originals in person at ImmD.")
    move = db.session.scalars(select(StatusChange).where(
        StatusChange.to_status == CaseStatus.SUBMITTED)).one()
    assert move.override is True
    assert [g["gate"] for g in move.overridden_gates] == ["documents"]
    assert move.reason == "Client lodges the originals in person at ImmD."
    assert [g["gate"] for g in json.loads(package.content)["overridden_gates"]] == ["documents"]


def test_submission_details_are_checked(db, consultant, manager):
    case = ready_for_review(db, consultant)
    approve(manager, case)
    for number, field in (("", "immd_file_number"), ("<script>", "immd_file_number"),
                          ("X" * 41, "immd_file_number")):
        with pytest.raises(ValidationFailed) as refused:
            submit(manager, case, immd_file_number=number)
        assert field in refused.value.errors
    with pytest.raises(ValidationFailed) as refused:
        submit(manager, case, submitted_on=clock.today() + timedelta(days=1))
    assert "submitted_on" in refused.value.errors
    assert case.status is CaseStatus.READY_FOR_REVIEW


# ---- after submission --------------------------------------------------------------------

@pytest.fixture
def submitted(db, consultant, manager):
    case = ready_for_review(db, consultant)
    case_service.add_dependant(consultant, case, dependant_values(), SKIP)
    case.status = CaseStatus.READY_FOR_REVIEW
    db.session.commit()
    run_checks(consultant, case)
    approve(manager, case)
    package = submit(manager, case, override=True, reason="child's papers follow")
    return case, package


def test_after_submission_the_file_is_read_only_and_the_package_unchanged(
        db, consultant, manager, submitted):
    case, package = submitted
    content, digest = package.content, package.sha256
    child = case.dependants[0]
    evidence = case.deposits[0]
    passport = next(d for d in case.documents if d.kind is DocumentKind.PASSPORT)
    attempts = [
        lambda: case_service.update_applicant(consultant, case, {"given_name": "X"},
                                              case.version),
        lambda: case_service.add_dependant(consultant, case, dependant_values(), case.version),
        lambda: case_service.remove_dependant(consultant, case, child, case.version),
        lambda: case_service.update_dependant(consultant, case, child, {"given_name": "Y"},
                                              case.version),
        lambda: upload(consultant, case, DocumentKind.OTHER),
        lambda: document_service.replace_document(consultant, case, passport, "p.pdf",
                                                  io.BytesIO(pdf_bytes("new")), SKIP),
    ]
    from caseapp.services import deposits as deposit_service
    attempts.append(lambda: deposit_service.reject_deposit(manager, case, evidence, "no",
                                                           case.version))
    for attempt in attempts:
        with pytest.raises(NotAllowed, match="submitted to ImmD"):
            attempt()
    db.session.expire_all()
    stored = db.session.get(SubmissionPackage, package.id)
    assert (stored.content, stored.sha256) == (content, digest)
    assert hashlib.sha256(stored.content.encode()).hexdigest() == digest
    assert case.applicant.given_name == "Mei Ling" and len(case.dependants) == 1
    assert evidence.status is EvidenceStatus.VERIFIED


def test_further_information_opens_uploads_for_the_reply_and_keeps_the_history(
        db, consultant, manager, submitted):
    case, first = submitted
    today = clock.today()
    with pytest.raises(NotAllowed, match="Only a manager"):
        service.open_information_request(consultant, case, today, "Send X", today, case.version)
    with pytest.raises(ValidationFailed) as refused:
        service.open_information_request(manager, case, today, "Send X",
                                         today - timedelta(days=1), case.version)
    assert "due_on" in refused.value.errors
    request = service.open_information_request(
        manager, case, today, "Latest payslips and an employer letter.",
        today + timedelta(days=28), case.version)
    with pytest.raises(NotAllowed, match="already open"):
        service.open_information_request(manager, case, today, "More", today, case.version)
    with pytest.raises(NotAllowed, match="Nothing to send"):
        service.send_reply(consultant, case, request, today, case.version)

    letter = upload(consultant, case, DocumentKind.OTHER)
    assert letter.information_request_id == request.id
    service.save_reply_notes(consultant, case, request, "Payslips for Aug-Oct attached.",
                             case.version)
    reply = service.send_reply(consultant, case, request, today, case.version)
    assert not request.is_open and request.answered_by_id == consultant.id
    assert reply.kind is PackageKind.FURTHER_INFORMATION
    content = json.loads(reply.content)
    assert content["notes"] == "Payslips for Aug-Oct attached."
    assert [d["sha256"] for d in content["documents"]] == [letter.sha256]
    # The first package is untouched; both stay, in order.
    packages = db.session.scalars(select(SubmissionPackage).order_by(SubmissionPackage.id))
    assert [p.id for p in packages] == [first.id, reply.id]
    with pytest.raises(NotAllowed, match="submitted to ImmD"):
        upload(consultant, case, DocumentKind.OTHER)
    kinds = [c.kind for c in db.session.scalars(select(Correspondence).order_by(
        Correspondence.id))]
    assert kinds == [CorrespondenceKind.APPLICATION, CorrespondenceKind.INFORMATION_REQUEST,
                     CorrespondenceKind.REPLY]
    assert db.session.query(InformationRequest).count() == 1


def test_letters_are_logged_even_on_a_decided_case(db, consultant, manager, submitted):
    case, _ = submitted
    move_status(manager, case, CaseStatus.REFUSED, "ImmD refused", case.version)
    entry = service.log_correspondence(consultant, case, clock.today(), Direction.FROM_IMMD,
                                       CorrespondenceKind.DECISION_LETTER,
                                       "Refusal letter ref. R-1", case.version)
    assert entry.recorded_by_id == consultant.id
    with pytest.raises(ConflictError):
        service.log_correspondence(consultant, case, clock.today(), Direction.FROM_IMMD,
                                   CorrespondenceKind.OTHER, "again", case.version - 1)


def test_letters_are_only_for_a_case_sent_to_immd(db, consultant):
    case = open_case(consultant)
    with pytest.raises(NotAllowed, match="not been submitted"):
        service.log_correspondence(consultant, case, clock.today(), Direction.FROM_IMMD,
                                   CorrespondenceKind.OTHER, "hello", case.version)


def test_an_open_request_needs_attention_a_week_before_its_reply_is_due(
        db, consultant, manager, submitted):
    case, _ = submitted
    today = clock.today()
    request = service.open_information_request(
        manager, case, today, "Tax returns.", today + timedelta(days=10), case.version)
    reason = (f"ImmD's request of {today.isoformat()} needs its reply by "
              f"{(today + timedelta(days=10)).isoformat()}.")
    assert [(today + timedelta(days=3)).isoformat(), reason] in case.attention_reasons
    assert case.attention_on == today + timedelta(days=3)
    run_checks(consultant, case)  # a check run keeps the reason
    assert reason in [text for _, text in case.attention_reasons]
    service.save_reply_notes(consultant, case, request, "Returns attached.", case.version)
    service.send_reply(consultant, case, request, today, case.version)
    assert reason not in [text for _, text in case.attention_reasons]


@pytest.mark.parametrize("bad", ["ok\x00", "ok\u202e", "ok\u200f"])
def test_review_and_letter_texts_refuse_invisible_characters(db, consultant, manager, bad):
    case = ready_for_review(db, consultant)
    with pytest.raises(ValidationFailed) as refused:
        service.review_case(manager, case, ReviewOutcome.APPROVED, bad, case.version)
    assert "invisible" in refused.value.errors["comment"][0]
    assert db.session.query(Review).count() == 0


def test_a_run_under_a_set_not_in_force_on_the_lodging_day_does_not_pass_the_checks_gate(
        app, db, consultant, manager, admin):
    """Checked for a planned date under a version that takes effect later, then lodged
    before that date: the run is not the one ImmD's rules apply to."""
    from caseapp.models import StoredRuleSet
    from caseapp.queries.rulesets import canonical_json
    from caseapp.rules.ruleset import load_rule_set, rule_set_for

    app.config["RULE_SET_VERSION"] = None
    try:
        soon = clock.today() + timedelta(days=3)
        data = rule_set_for("qmas-2006-165").to_dict()
        data.update(version="qmas-test-soon", title="Soon", effective_date=soon.isoformat())
        stored = load_rule_set(data)
        db.session.add(StoredRuleSet(
            version=stored.version, title=stored.title, effective_date=soon,
            based_on="qmas-2006-165", content=canonical_json(stored),
            created_by_id=admin.id, updated_by_id=admin.id))
        db.session.commit()
        case = ready_for_review(db, consultant, check=False)
        case.planned_submission_date = soon
        db.session.commit()
        run = run_checks(consultant, case)
        assert (run.rule_set_version, run.verdict) == ("qmas-test-soon", "eligible")
        approve(manager, case)
        gate = {g.key: g for g in service.submission_gates(case, clock.today())}["checks"]
        assert not gate.passed and "is judged under qmas-2024-11" in gate.message
        assert {g.key: g for g in service.submission_gates(case, soon)}["checks"].passed
    finally:
        app.config["RULE_SET_VERSION"] = "qmas-2006-165"
