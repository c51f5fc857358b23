"""The data model: one module per aggregate, all imported here so metadata is complete."""

from caseapp.models.base import Base, utcnow
from caseapp.models.case import Applicant, Case, Dependant, ReferenceCounter
from caseapp.models.deadline import (
    CalendarFeed,
    CaseNote,
    ContactChannel,
    Deadline,
    DeadlineKind,
    DigestMessage,
    DigestStatus,
)
from caseapp.models.deposit import DepositEvidence, ExchangeRate
from caseapp.models.document import Document, DocumentKind
from caseapp.models.history import AuditEntry, CheckRun, StatusChange
from caseapp.models.ruleset import StoredRuleSet
from caseapp.models.submission import (
    Correspondence,
    CorrespondenceKind,
    Direction,
    InformationRequest,
    PackageKind,
    Review,
    ReviewOutcome,
    SubmissionPackage,
)
from caseapp.models.token import ApiToken
from caseapp.models.user import Role, SignIn, User
from caseapp.models.view import SavedView

__all__ = [
    "ApiToken",
    "Applicant",
    "AuditEntry",
    "Base",
    "CalendarFeed",
    "Case",
    "CaseNote",
    "CheckRun",
    "ContactChannel",
    "Correspondence",
    "CorrespondenceKind",
    "Deadline",
    "DeadlineKind",
    "Dependant",
    "DepositEvidence",
    "DigestMessage",
    "DigestStatus",
    "Direction",
    "Document",
    "DocumentKind",
    "ExchangeRate",
    "InformationRequest",
    "PackageKind",
    "ReferenceCounter",
    "Review",
    "ReviewOutcome",
    "Role",
    "SavedView",
    "SignIn",
    "StatusChange",
    "StoredRuleSet",
    "SubmissionPackage",
    "User",
    "utcnow",
]
