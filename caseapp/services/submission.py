"""From "ready for review" to ImmD and back: the review, the submission gates, the frozen
package, ImmD's requests for further information and the correspondence log.

Who may do what:
- review (approve with a comment, or return with what to fix): a manager or admin who is not
  the case's consultant;
- submit: a manager or admin who is not the case's consultant, after an approval given on the
  case as it is now; failing gates other than the review may be overridden with a reason;
- open a request for further information: a manager or admin;
- keep reply notes, send the reply, log correspondence: anyone who may see the case.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from sqlalchemy import select

from caseapp import clock
from caseapp.extensions import db
from caseapp.models import (
    Case,
    Correspondence,
    CorrespondenceKind,
    DepositEvidence,
    Direction,
    Document,
    InformationRequest,
    PackageKind,
    Review,
    ReviewOutcome,
    StatusChange,
    SubmissionPackage,
    User,
    utcnow,
)
from caseapp.queries.documents import case_documents, missing_documents
from caseapp.rules.attention import passport_window_opens
from caseapp.rules.vocab import EvidenceStatus
from caseapp.rules.workflow import CaseStatus
from caseapp.services import audit
from caseapp.services.cases import (
    APPLICANT_FIELDS,
    DEPENDANT_FIELDS,
    ExpectedVersion,
    change_case,
    check_version,
)
from caseapp.services.checks import case_facts, latest_run, rule_set_for_facts
from caseapp.services.errors import NotAllowed, ValidationFailed
from caseapp.services.people import UNSAFE_TEXT_MESSAGE, has_unsafe_characters
from caseapp.services.workflow import may_override, submission_readiness

MAX_COMMENT_LENGTH = 2000
MAX_DETAILS_LENGTH = 4000
MAX_FILE_NUMBER_LENGTH = 40
# ImmD file numbers are letters, digits and a few separators ("QMAS/2026/123456").
FILE_NUMBER = re.compile(r"[A-Za-z0-9][A-Za-z0-9 ./()-]*", re.ASCII)
PACKAGE_FORMAT = "caseapp-package-1"

# The gates, in the order the page lists them.
REVIEW, CHECKS, DOCUMENTS, DEPOSITS, PASSPORT = (
    "review", "checks", "documents", "deposits", "passport")
GATE_TITLES = {
    REVIEW: "Review approved",
    CHECKS: "Requirement checks",
    DOCUMENTS: "Required documents",
    DEPOSITS: "Deposit evidence reviewed",
    PASSPORT: "Passport validity",
}


@dataclass(frozen=True)
class Gate:
    key: str
    passed: bool
    message: str
    # A manager may submit past a failing overridable gate, with a written reason; the
    # review itself is never overridden (it is the second pair of eyes).
    overridable: bool = True

    @property
    def title(self) -> str:
        return GATE_TITLES[self.key]


# ---- reading the state ---------------------------------------------------------------------

def latest_review(case: Case) -> Review | None:
    return db.session.scalars(
        select(Review).where(Review.case_id == case.id)
        .order_by(Review.reviewed_at.desc(), Review.id.desc()).limit(1)
    ).first()


def _review_gate(case: Case) -> Gate:
    review = latest_review(case)
    if review is None or review.outcome is not ReviewOutcome.APPROVED:
        return Gate(REVIEW, False, "No manager has approved this case in review yet.",
                    overridable=False)
    when = review.reviewed_at.astimezone(clock.business_timezone()).date().isoformat()
    if review.case_version != case.version:
        return Gate(REVIEW, False, f"The case changed after {review.reviewed_by.name} approved "
                    f"it on {when}: it needs approving again.", overridable=False)
    if review.reviewed_by_id == case.consultant_id:
        return Gate(REVIEW, False, "The approval was given by the case's own consultant.",
                    overridable=False)
    return Gate(REVIEW, True, f"Approved by {review.reviewed_by.name} on {when}: "
                f"“{review.comment}”", overridable=False)


def _checks_gate(case: Case, lodged_on: date) -> Gate:
    """The latest run is eligible, recent and current (workflow.submission_readiness), and it
    used the rule set in force on the day the application is lodged: a run made for a later
    planned date may have used a set not yet in force on ``lodged_on``."""
    readiness = submission_readiness(case, clock.today())
    if not readiness.ready:
        return Gate(CHECKS, False, readiness.reason)
    run = latest_run(case)
    facts = replace(case_facts(case, clock.today()), submitted_on=lodged_on)
    in_force = rule_set_for_facts(facts).version
    if run is not None and run.rule_set_version != in_force:
        return Gate(CHECKS, False, f"The latest check run used rule set "
                    f"{run.rule_set_version}, but an application lodged on "
                    f"{lodged_on.isoformat()} is judged under {in_force}: set the planned "
                    "submission date to the lodging date and run the checks again.")
    return Gate(CHECKS, True, readiness.reason)


def _documents_gate(case: Case) -> Gate:
    missing = missing_documents(case)
    if missing:
        return Gate(DOCUMENTS, False, "Missing: " + "; ".join(missing) + ".")
    return Gate(DOCUMENTS, True, "Every required document is present.")


def pending_deposits(case: Case) -> list[DepositEvidence]:
    return list(db.session.scalars(
        select(DepositEvidence)
        .where(DepositEvidence.case_id == case.id,
               DepositEvidence.status == EvidenceStatus.PENDING)
        .order_by(DepositEvidence.statement_date, DepositEvidence.id)
    ))


def _deposits_gate(case: Case) -> Gate:
    pending = pending_deposits(case)
    if pending:
        listed = "; ".join(f"{e.bank}, {e.statement_date.isoformat()}, {e.currency} "
                           f"{e.amount:,.2f}" for e in pending)
        noun = "evidence is" if len(pending) == 1 else f"{len(pending)} pieces of evidence are"
        return Gate(DEPOSITS, False, f"Deposit {noun} still pending verification: {listed}.")
    return Gate(DEPOSITS, True, "No deposit evidence is pending.")


def _passport_gate(case: Case, on: date) -> Gate:
    expiry = case.applicant.passport_expiry
    months = rule_set_for_facts(case_facts(case, on)).passport_warning_months
    if expiry is None:
        return Gate(PASSPORT, False, "The applicant's passport expiry date is not recorded.")
    if on >= passport_window_opens(expiry, months):
        return Gate(PASSPORT, False, f"The applicant's passport expires on {expiry.isoformat()}, "
                    f"within {months} months of submission: it needs renewing first.")
    return Gate(PASSPORT, True, f"The applicant's passport is valid until {expiry.isoformat()}.")


def submission_gates(case: Case, on: date | None = None) -> list[Gate]:
    """Every gate on the way to ImmD, passed or not, with what is missing."""
    on = on or clock.today()
    return [
        _review_gate(case),
        _checks_gate(case, on),
        _documents_gate(case),
        _deposits_gate(case),
        _passport_gate(case, on),
    ]


# ---- the review --------------------------------------------------------------------------

def _ensure_reviewer(actor: User, case: Case, doing: str) -> None:
    if not may_override(actor):
        raise NotAllowed(f"Only a manager can {doing}.")
    if actor.id == case.consultant_id:
        raise NotAllowed(f"The case's own consultant cannot {doing}: another manager does.")


def _text(value: str | None, field: str, missing: str | None,
          maximum: int = MAX_COMMENT_LENGTH) -> str:
    """Trimmed text for ``field``: required unless ``missing`` is None, at most ``maximum``
    characters, no invisible control or text-direction characters (line breaks are fine)."""
    text = (value or "").strip()
    if not text and missing is not None:
        raise ValidationFailed({field: [missing]})
    if len(text) > maximum:
        raise ValidationFailed({field: [f"Keep it to {maximum} characters."]})
    if has_unsafe_characters(text, multi_line=True):
        raise ValidationFailed({field: [UNSAFE_TEXT_MESSAGE]})
    return text


def review_case(
    actor: User, case: Case, outcome: ReviewOutcome, comment: str,
    expected_version: ExpectedVersion,
) -> Review:
    """A manager's review of a case ready for review.

    Approving records the approval on the case as it is (its version does not move, so the
    approval holds until someone changes the case). Returning moves the case back to
    "collecting documents" with what to fix as the reason.
    """
    if case.status is not CaseStatus.READY_FOR_REVIEW:
        raise NotAllowed(f"Only a case ready for review can be reviewed; this one is "
                         f"{case.status.label.lower()}.")
    _ensure_reviewer(actor, case, "review a case")
    outcome = ReviewOutcome(outcome)
    comment = _text(comment, "comment", "Say what you checked (approving) or what to fix "
                    "(returning).")
    if outcome is ReviewOutcome.APPROVED:
        check_version(case, expected_version)
        review = Review(case_id=case.id, outcome=outcome, comment=comment,
                        case_version=case.version, reviewed_by_id=actor.id,
                        reviewed_at=utcnow())
        try:
            db.session.add(review)
            audit.record(actor, "review_approved", "case", {"comment": [None, comment]},
                         case=case)
            db.session.commit()
        except Exception:
            db.session.rollback()
            raise
        return review

    def change() -> Review:
        db.session.add(StatusChange(
            case_id=case.id, from_status=case.status, to_status=CaseStatus.COLLECTING_DOCUMENTS,
            reason=comment, changed_by_id=actor.id, changed_at=utcnow()))
        audit.record(actor, "review_returned", "case", {
            "status": [case.status.value, CaseStatus.COLLECTING_DOCUMENTS.value],
            "comment": [None, comment]}, case=case)
        case.status = CaseStatus.COLLECTING_DOCUMENTS
        returned = Review(case_id=case.id, outcome=outcome, comment=comment,
                          case_version=case.version, reviewed_by_id=actor.id,
                          reviewed_at=utcnow())
        db.session.add(returned)
        return returned

    return change_case(actor, case, expected_version, change)


# ---- the package -------------------------------------------------------------------------

def _plain(value: Any) -> Any:
    return audit.display_value(value)


def _document_entry(document: Document, case: Case) -> dict[str, Any]:
    person = document.dependant.full_name if document.dependant else case.applicant.full_name
    return {
        "id": document.id,
        "kind": document.kind.value,
        "person": person,
        "filename": document.original_filename,
        "content_type": document.content_type,
        "size_bytes": document.size_bytes,
        "sha256": document.sha256,
        "uploaded_at": _plain(document.uploaded_at),
    }


def _freeze(content: dict[str, Any]) -> tuple[str, str]:
    """Canonical JSON text (sorted keys, UTF-8) and its SHA-256: stored as text, so what is
    read back is byte for byte what was frozen."""
    text = json.dumps(content, sort_keys=True, ensure_ascii=False, indent=2)
    return text, hashlib.sha256(text.encode("utf-8")).hexdigest()


def submission_content(
    actor: User, case: Case, file_number: str, submitted_on: date, overridden: list[Gate],
) -> dict[str, Any]:
    """Everything sent: the facts, the check result, the deposit evidence, the documents."""
    run = latest_run(case)
    review = latest_review(case)
    return {
        "format": PACKAGE_FORMAT,
        "kind": PackageKind.SUBMISSION.value,
        "case": {"reference": case.reference, "immd_file_number": file_number,
                 "submitted_on": submitted_on.isoformat(), "consultant": case.consultant.name,
                 "submitted_by": actor.name},
        "applicant": {f: _plain(getattr(case.applicant, f))
                      for f in [*APPLICANT_FIELDS, "income_hkd", "profit_hkd"]},
        "dependants": [{"id": d.id, **{f: _plain(getattr(d, f)) for f in DEPENDANT_FIELDS}}
                       for d in case.dependants],
        "check": None if run is None else {
            "run_id": run.id, "run_at": _plain(run.run_at), "check_date": _plain(run.check_date),
            "rule_set_version": run.rule_set_version, "verdict": run.verdict,
            "facts_sha256": run.facts_sha256, "result": run.result},
        "deposits": [{
            "id": e.id, "statement_date": _plain(e.statement_date), "bank": e.bank,
            "account_holder": e.account_holder, "amount": _plain(e.amount),
            "currency": e.currency, "rate_to_hkd": _plain(e.rate_to_hkd),
            "amount_hkd": _plain(e.amount_hkd), "status": e.status.value,
            "verified_by": e.verified_by.name if e.verified_by else None,
            "verified_at": _plain(e.verified_at), "document_id": e.document_id,
        } for e in case.deposits],
        "documents": [_document_entry(d, case) for d in case_documents(case) if d.is_current],
        "review": None if review is None else {
            "outcome": review.outcome.value, "by": review.reviewed_by.name,
            "at": _plain(review.reviewed_at), "comment": review.comment},
        "overridden_gates": [{"gate": g.key, "message": g.message} for g in overridden],
    }


def _file_number(value: str) -> str:
    number = " ".join((value or "").split())
    if not number:
        raise ValidationFailed({"immd_file_number": ["Enter the file number ImmD gave the "
                                                     "application."]})
    if len(number) > MAX_FILE_NUMBER_LENGTH or not FILE_NUMBER.fullmatch(number):
        raise ValidationFailed({"immd_file_number": [
            f"A file number has up to {MAX_FILE_NUMBER_LENGTH} letters, digits, spaces and "
            "the signs . / ( ) -."]})
    return number


def _sent_on(value: Any, field: str, not_before: date | None, what: str) -> date:
    if not isinstance(value, date):
        raise ValidationFailed({field: [f"Enter the date {what}."]})
    if value > clock.today():
        raise ValidationFailed({field: ["This date cannot be in the future."]})
    if not_before is not None and value < not_before:
        raise ValidationFailed({field: [f"This date cannot be before {not_before.isoformat()}."]})
    return value


def _override_reason(failing: list[Gate], overrides: Mapping[str, str]) -> str:
    """Gate by gate overrides (the API): every failing gate named with its own reason, or
    nothing is submitted; the reasons are recorded as one, each after its gate."""
    unnamed = [g for g in failing if g.key not in overrides]
    if unnamed:
        raise NotAllowed("Not ready to submit: " + " ".join(g.message for g in unnamed)
                         + " To submit past a failing gate, override it by name with a "
                         "written reason.")
    reasons = [(g, _text(overrides[g.key], "overrides", f"An override of “{g.title}” needs "
                         "a written reason.")) for g in failing]
    return "\n".join(f"{g.title}: {text}" for g, text in reasons)


def submit_case(
    actor: User,
    case: Case,
    immd_file_number: str,
    submitted_on: date | None,
    expected_version: ExpectedVersion,
    override: bool = False,
    reason: str = "",
    overrides: Mapping[str, str] | None = None,
) -> SubmissionPackage:
    """Record that the case was lodged with ImmD, freezing what was sent.

    Every gate must pass, or (except the review) be overridden by the manager with a reason;
    each override is recorded on the move and in the package. The page overrides every
    failing gate at once (``override`` with one ``reason``); ``overrides`` names each gate
    with its own reason instead ({gate key: reason}), so a gate that starts failing after the
    manager looked is never overridden unseen. Named gates that pass are not overrides.
    """
    if case.status is not CaseStatus.READY_FOR_REVIEW:
        raise NotAllowed(f"Only a case ready for review, approved in review, can be "
                         f"submitted; this one is {case.status.label.lower()}.")
    _ensure_reviewer(actor, case, "submit a case to ImmD")
    number = _file_number(immd_file_number)
    opened_on = case.opened_at.astimezone(clock.business_timezone()).date()
    day = _sent_on(submitted_on, "submitted_on", opened_on, "the application was lodged")
    check_version(case, expected_version)
    gates = submission_gates(case, day)
    failing = [g for g in gates if not g.passed]
    blocking = [g for g in failing if not g.overridable]
    if blocking:
        raise NotAllowed("Not ready to submit: " + " ".join(g.message for g in blocking))
    if overrides is not None:
        reason = _override_reason(failing, overrides) if failing else ""
        override = bool(failing)
    else:
        reason = _text(reason, "reason", None)
    if failing and not override:
        raise NotAllowed("Not ready to submit: " + " ".join(g.message for g in failing)
                         + " A manager may override with a written reason.")
    if failing and not reason:
        raise ValidationFailed({"reason": ["An override needs a written reason."]})
    text, digest = _freeze(submission_content(actor, case, number, day, failing))

    def change() -> SubmissionPackage:
        package = SubmissionPackage(
            case_id=case.id, kind=PackageKind.SUBMISSION, sent_on=day, content=text,
            sha256=digest, created_by_id=actor.id, created_at=utcnow())
        db.session.add(package)
        db.session.add(StatusChange(
            case_id=case.id, from_status=case.status, to_status=CaseStatus.SUBMITTED,
            reason=reason, override=bool(failing),
            overridden_gates=[{"gate": g.key, "message": g.message} for g in failing],
            changed_by_id=actor.id, changed_at=utcnow()))
        db.session.add(Correspondence(
            case_id=case.id, dated=day, direction=Direction.TO_IMMD,
            kind=CorrespondenceKind.APPLICATION, summary=f"Application lodged (ImmD file "
            f"{number}).", recorded_by_id=actor.id, recorded_at=utcnow()))
        changes: dict[str, list[str | None]] = {
            "status": [case.status.value, CaseStatus.SUBMITTED.value],
            "immd_file_number": [case.immd_file_number, number],
            "submitted_on": [_plain(case.submitted_on), day.isoformat()],
            "package_sha256": [None, digest],
        }
        if failing:
            changes["override"] = [None, "; ".join(g.key for g in failing)]
            changes["reason"] = [None, reason]
        audit.record(actor, "submitted", "case", changes, case=case)
        case.status = CaseStatus.SUBMITTED
        case.immd_file_number = number
        case.submitted_on = day
        return package

    return change_case(actor, case, expected_version, change)


# ---- further information and correspondence ----------------------------------------------

def _ensure_lodged(case: Case) -> None:
    if not case.file_is_locked:
        raise NotAllowed("This case has not been submitted to ImmD yet.")


def open_information_request(
    actor: User, case: Case, requested_on: date | None, details: str, due_on: date | None,
    expected_version: ExpectedVersion,
) -> InformationRequest:
    """ImmD asked for more: a manager records what and by when; uploads open again for it."""
    _ensure_lodged(case)
    if not may_override(actor):
        raise NotAllowed("Only a manager can open a request for further information.")
    from caseapp.services.documents import pending_information_request

    if pending_information_request(case) is not None:
        raise NotAllowed("A request for further information is already open on this case: "
                         "send its reply first.")
    asked = _sent_on(requested_on, "requested_on", case.submitted_on, "of ImmD's request")
    details = _text(details, "details", "Say what ImmD asked for.", MAX_DETAILS_LENGTH)
    if not isinstance(due_on, date):
        raise ValidationFailed({"due_on": ["Enter the date ImmD wants the reply by."]})
    if due_on < asked:
        raise ValidationFailed({"due_on": ["The reply cannot be due before ImmD asked."]})

    def change() -> InformationRequest:
        request = InformationRequest(
            case_id=case.id, requested_on=asked, details=details, due_on=due_on,
            opened_by_id=actor.id, opened_at=utcnow())
        db.session.add(request)
        db.session.add(Correspondence(
            case_id=case.id, dated=asked, direction=Direction.FROM_IMMD,
            kind=CorrespondenceKind.INFORMATION_REQUEST, summary=details,
            recorded_by_id=actor.id, recorded_at=utcnow()))
        db.session.flush()
        audit.record(actor, "opened", f"information_request:{request.id}", {
            "requested_on": [None, asked.isoformat()], "due_on": [None, due_on.isoformat()],
            "details": [None, details]}, case=case)
        return request

    return change_case(actor, case, expected_version, change)


def _ensure_open(case: Case, request: InformationRequest) -> None:
    if request.case_id != case.id:
        raise NotAllowed("That request belongs to another case.")
    if not request.is_open:
        raise NotAllowed(f"The reply to this request was already sent on "
                         f"{request.answered_on.isoformat() if request.answered_on else '—'}.")


def save_reply_notes(
    actor: User, case: Case, request: InformationRequest, notes: str,
    expected_version: ExpectedVersion,
) -> dict[str, list[str | None]]:
    _ensure_open(case, request)
    notes = _text(notes, "notes", None, MAX_DETAILS_LENGTH)
    if notes == request.reply_notes:
        return {}

    def change() -> dict[str, list[str | None]]:
        changes = audit.apply_changes(request, {"reply_notes": notes})
        audit.record(actor, "updated", f"information_request:{request.id}", changes, case=case)
        return changes

    return change_case(actor, case, expected_version, change)


def request_documents(request: InformationRequest) -> list[Document]:
    return list(db.session.scalars(
        select(Document).where(Document.information_request_id == request.id,
                               Document.replaced_by_id.is_(None))
        .order_by(Document.id)))


def send_reply(
    actor: User, case: Case, request: InformationRequest, sent_on: date | None,
    expected_version: ExpectedVersion,
) -> SubmissionPackage:
    """Freeze what goes back to ImmD (the notes and the documents added for the request)
    as a further-information package, and close the request."""
    _ensure_open(case, request)
    day = _sent_on(sent_on, "sent_on", request.requested_on, "the reply was sent")
    documents = request_documents(request)
    if not documents and not request.reply_notes:
        raise NotAllowed("Nothing to send yet: upload the documents ImmD asked for or write "
                         "the reply notes first.")
    text, digest = _freeze({
        "format": PACKAGE_FORMAT,
        "kind": PackageKind.FURTHER_INFORMATION.value,
        "case": {"reference": case.reference, "immd_file_number": case.immd_file_number,
                 "sent_on": day.isoformat(), "sent_by": actor.name},
        "request": {"id": request.id, "requested_on": request.requested_on.isoformat(),
                    "due_on": request.due_on.isoformat(), "details": request.details},
        "notes": request.reply_notes,
        "documents": [_document_entry(d, case) for d in documents],
    })

    def change() -> SubmissionPackage:
        package = SubmissionPackage(
            case_id=case.id, kind=PackageKind.FURTHER_INFORMATION, sent_on=day,
            information_request_id=request.id, content=text, sha256=digest,
            created_by_id=actor.id, created_at=utcnow())
        db.session.add(package)
        request.answered_on = day
        request.answered_by_id = actor.id
        request.answered_at = utcnow()
        db.session.add(Correspondence(
            case_id=case.id, dated=day, direction=Direction.TO_IMMD,
            kind=CorrespondenceKind.REPLY,
            summary=request.reply_notes or f"{len(documents)} document(s) sent.",
            recorded_by_id=actor.id, recorded_at=utcnow()))
        audit.record(actor, "answered", f"information_request:{request.id}", {
            "answered_on": [None, day.isoformat()], "package_sha256": [None, digest]},
            case=case)
        return package

    return change_case(actor, case, expected_version, change)


def log_correspondence(
    actor: User, case: Case, dated: date | None, direction: Direction,
    kind: CorrespondenceKind, summary: str, expected_version: ExpectedVersion,
) -> Correspondence:
    """Log a letter to or from ImmD (an acknowledgement, a decision letter...). The log only
    grows, so a decided (closed) case still takes ImmD's letters."""
    _ensure_lodged(case)
    day = _sent_on(dated, "dated", None, "of the letter")
    summary = _text(summary, "summary", "Say what the letter says.", MAX_DETAILS_LENGTH)

    def change() -> Correspondence:
        entry = Correspondence(
            case_id=case.id, dated=day, direction=Direction(direction),
            kind=CorrespondenceKind(kind), summary=summary, recorded_by_id=actor.id,
            recorded_at=utcnow())
        db.session.add(entry)
        db.session.flush()
        audit.record(actor, "logged", f"correspondence:{entry.id}", {
            "dated": [None, day.isoformat()], "direction": [None, entry.direction.value],
            "kind": [None, entry.kind.value], "summary": [None, summary]}, case=case)
        return entry

    return change_case(actor, case, expected_version, change, allow_closed=True)
