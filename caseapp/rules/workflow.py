"""The case life a consultancy tracks: statuses and the moves allowed between them.

One transition table; the service enforces it, pages show only what it allows.
"""

from __future__ import annotations

from enum import StrEnum


class CaseStatus(StrEnum):
    INTAKE = "intake"
    COLLECTING_DOCUMENTS = "collecting_documents"
    READY_FOR_REVIEW = "ready_for_review"
    SUBMITTED = "submitted"
    UNDER_ASSESSMENT = "under_assessment"
    APPROVED_IN_PRINCIPLE = "approved_in_principle"
    VISA_ISSUED = "visa_issued"
    REFUSED = "refused"
    WITHDRAWN = "withdrawn"
    ON_HOLD = "on_hold"

    @property
    def label(self) -> str:
        return STATUS_LABELS[self]

    @property
    def is_closed(self) -> bool:
        return self in CLOSED_STATUSES

    @property
    def is_submitted(self) -> bool:
        """Lodged with ImmD: what was sent stays as it was sent."""
        return self in SUBMITTED_STATUSES


STATUS_LABELS: dict[CaseStatus, str] = {
    CaseStatus.INTAKE: "Intake",
    CaseStatus.COLLECTING_DOCUMENTS: "Collecting documents",
    CaseStatus.READY_FOR_REVIEW: "Ready for review",
    CaseStatus.SUBMITTED: "Submitted to ImmD",
    CaseStatus.UNDER_ASSESSMENT: "Under assessment",
    CaseStatus.APPROVED_IN_PRINCIPLE: "Approved in principle",
    CaseStatus.VISA_ISSUED: "Visa issued",
    CaseStatus.REFUSED: "Refused",
    CaseStatus.WITHDRAWN: "Withdrawn",
    CaseStatus.ON_HOLD: "On hold",
}

# Closed cases are read-only.
CLOSED_STATUSES = frozenset({CaseStatus.VISA_ISSUED, CaseStatus.REFUSED, CaseStatus.WITHDRAWN})
OPEN_STATUSES = tuple(s for s in CaseStatus if s not in CLOSED_STATUSES)
# Lodged with ImmD (a withdrawn case is closed whether it was lodged or not).
SUBMITTED_STATUSES = frozenset({
    CaseStatus.SUBMITTED, CaseStatus.UNDER_ASSESSMENT, CaseStatus.APPROVED_IN_PRINCIPLE,
    CaseStatus.VISA_ISSUED, CaseStatus.REFUSED,
})

_S = CaseStatus
TRANSITIONS: dict[CaseStatus, tuple[CaseStatus, ...]] = {
    _S.INTAKE: (_S.COLLECTING_DOCUMENTS, _S.ON_HOLD, _S.WITHDRAWN),
    _S.COLLECTING_DOCUMENTS: (_S.READY_FOR_REVIEW, _S.ON_HOLD, _S.WITHDRAWN),
    _S.READY_FOR_REVIEW: (_S.SUBMITTED, _S.COLLECTING_DOCUMENTS, _S.ON_HOLD, _S.WITHDRAWN),
    _S.SUBMITTED: (_S.UNDER_ASSESSMENT, _S.REFUSED, _S.WITHDRAWN),
    _S.UNDER_ASSESSMENT: (_S.APPROVED_IN_PRINCIPLE, _S.REFUSED, _S.WITHDRAWN),
    _S.APPROVED_IN_PRINCIPLE: (_S.VISA_ISSUED, _S.REFUSED, _S.WITHDRAWN),
    _S.ON_HOLD: (_S.INTAKE, _S.COLLECTING_DOCUMENTS, _S.READY_FOR_REVIEW, _S.WITHDRAWN),
    _S.VISA_ISSUED: (),
    _S.REFUSED: (),
    _S.WITHDRAWN: (),
}

# Moves that close a door or pause the work need a reason on the record.
REASON_REQUIRED = frozenset({_S.WITHDRAWN, _S.REFUSED, _S.ON_HOLD})


def allowed_moves(current: CaseStatus) -> tuple[CaseStatus, ...]:
    """The statuses a case in ``current`` may move to (empty for a closed case)."""
    return TRANSITIONS[current]


def is_allowed(current: CaseStatus, target: CaseStatus) -> bool:
    return target in TRANSITIONS[current]
