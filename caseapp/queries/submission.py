"""The review and submission panel of the case page, and the package pages."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from caseapp.extensions import db
from caseapp.models import (
    Case,
    Correspondence,
    InformationRequest,
    Review,
    StatusChange,
    SubmissionPackage,
    User,
)
from caseapp.rules.workflow import CaseStatus

# The panel shows the latest of each; a case rarely has more than a handful.
PANEL_LIMIT = 50


def get_package(case: Case, package_id: int) -> SubmissionPackage | None:
    return db.session.scalars(
        select(SubmissionPackage).where(SubmissionPackage.id == package_id,
                                        SubmissionPackage.case_id == case.id)
    ).one_or_none()


def get_information_request(case: Case, request_id: int) -> InformationRequest | None:
    return db.session.scalars(
        select(InformationRequest).where(InformationRequest.id == request_id,
                                         InformationRequest.case_id == case.id)
    ).one_or_none()


def get_correspondence(case: Case, entry_id: int) -> Correspondence | None:
    return db.session.scalars(
        select(Correspondence).where(Correspondence.id == entry_id,
                                     Correspondence.case_id == case.id)
        .options(selectinload(Correspondence.recorded_by))
    ).one_or_none()


# The API's lists: newest first, at most this many (a case has one submission and a letter or
# a request now and then; no case comes near it).
LIST_LIMIT = 200


def case_packages(case: Case, limit: int = LIST_LIMIT) -> list[SubmissionPackage]:
    return _latest(SubmissionPackage, case, SubmissionPackage.created_at,
                   selectinload(SubmissionPackage.created_by), limit=limit)


def case_information_requests(case: Case, limit: int = LIST_LIMIT) -> list[InformationRequest]:
    return _latest(InformationRequest, case, InformationRequest.opened_at,
                   selectinload(InformationRequest.opened_by),
                   selectinload(InformationRequest.answered_by), limit=limit)


def case_correspondence(case: Case, limit: int = LIST_LIMIT) -> list[Correspondence]:
    return _latest(Correspondence, case, Correspondence.dated,
                   selectinload(Correspondence.recorded_by), limit=limit)


def package_content(package: SubmissionPackage) -> dict[str, Any]:
    return json.loads(package.content)


def _latest(model: Any, case: Case, order: Any, *options: Any,
            limit: int = PANEL_LIMIT) -> list[Any]:
    return list(db.session.scalars(
        select(model).where(model.case_id == case.id).options(*options)
        .order_by(order.desc(), model.id.desc()).limit(limit)))


def submission_panel_context(user: User, case: Case) -> dict[str, Any]:
    from caseapp.services.submission import submission_gates
    from caseapp.services.workflow import may_override

    gates = submission_gates(case) if case.status is CaseStatus.READY_FOR_REVIEW else []
    packages = _latest(SubmissionPackage, case, SubmissionPackage.created_at,
                       selectinload(SubmissionPackage.created_by))
    first = next((p for p in reversed(packages) if p.kind.value == "submission"), None)
    reviewer = may_override(user) and user.id != case.consultant_id
    return {
        "gates": gates,
        "gates_blocking": [g for g in gates if not g.passed and not g.overridable],
        "gates_overridable": [g for g in gates if not g.passed and g.overridable],
        "reviews": _latest(Review, case, Review.reviewed_at, selectinload(Review.reviewed_by)),
        "may_review": reviewer and case.status is CaseStatus.READY_FOR_REVIEW,
        "may_open_request": may_override(user) and case.file_is_locked and not case.is_closed,
        "packages": packages,
        "submission_package": first,
        "submission_content": package_content(first) if first else None,
        "information_requests": _latest(
            InformationRequest, case, InformationRequest.opened_at,
            selectinload(InformationRequest.opened_by),
            selectinload(InformationRequest.answered_by)),
        "correspondence": _latest(Correspondence, case, Correspondence.dated,
                                  selectinload(Correspondence.recorded_by)),
        "overrides": list(db.session.scalars(
            select(StatusChange).where(StatusChange.case_id == case.id,
                                       StatusChange.override.is_(True))
            .options(selectinload(StatusChange.changed_by))
            .order_by(StatusChange.changed_at.desc()).limit(PANEL_LIMIT))),
    }
