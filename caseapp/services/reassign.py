"""Reassigning cases to another consultant: one case, a selection, or every case matching a
filter of the list.

The checks come first and refuse with nothing changed. The work is then done in bounded
transactions of at most ``batch_size`` cases each: the case rows are updated with one Core
UPDATE (consultant, updated_at, updated_by and version + 1, so a form opened on a case before
it moved conflicts when saved) and each case gets its audit entry, then the batch is committed.
A huge set never sits in memory or in one transaction, and a batch that fails leaves the
batches before it done; running the same reassignment again is harmless (cases already with
the consultant are counted, not touched).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import insert, select, update
from sqlalchemy.orm.util import identity_key

from caseapp.extensions import db
from caseapp.models import AuditEntry, Case, Role, User, utcnow
from caseapp.queries.case_filters import CaseFilters
from caseapp.queries.case_list import filtered_ids
from caseapp.rules.workflow import CLOSED_STATUSES
from caseapp.services import audit
from caseapp.services.errors import NotAllowed, ValidationFailed
from caseapp.services.people import UNSAFE_TEXT_MESSAGE, has_unsafe_characters

REASSIGN_BATCH_SIZE = 500
MAX_REASON_LENGTH = 2000
# The most cases one selection may name (the list's boxes, the API's references): more is
# not a selection, it is a filter (``reassign_matching``).
MAX_SELECTED = 1000


@dataclass
class ReassignResult:
    """What a reassignment did, for the message the manager reads."""

    consultant: str
    moved: int = 0
    unchanged: int = 0  # already with that consultant
    closed: int = 0  # closed cases are read-only: skipped
    missing: int = 0  # selected, but no longer there

    def add(self, other: ReassignResult) -> None:
        self.moved += other.moved
        self.unchanged += other.unchanged
        self.closed += other.closed
        self.missing += other.missing


ROLE_ARTICLES = {Role.MANAGER: "a manager", Role.ADMIN: "an admin"}


def _check(actor: User, to_consultant: User | None, reason: str) -> tuple[User, str]:
    """Every refusal before anything is written; returns the consultant and the reason as it
    is recorded."""
    if not actor.sees_all_cases:
        raise NotAllowed("Only managers and admins reassign cases.")
    errors: dict[str, list[str]] = {}
    if to_consultant is None:
        errors["consultant"] = ["Choose the consultant who takes the cases."]
    elif to_consultant.role is not Role.CONSULTANT:
        errors["consultant"] = [f"{to_consultant.name} is {ROLE_ARTICLES[to_consultant.role]}, "
                                "not a consultant: cases are assigned to consultants."]
    elif not to_consultant.active:
        errors["consultant"] = [f"{to_consultant.name} is deactivated: choose an active "
                                "consultant."]
    reason = reason.strip()
    if not reason:
        errors["reason"] = ["Give the reason for the reassignment: it goes on each case's "
                            "history."]
    elif len(reason) > MAX_REASON_LENGTH:
        errors["reason"] = [f"Keep the reason to {MAX_REASON_LENGTH} characters or fewer."]
    elif has_unsafe_characters(reason, multi_line=True):
        errors["reason"] = [UNSAFE_TEXT_MESSAGE]
    if errors or to_consultant is None:
        raise ValidationFailed(errors, "Nothing was reassigned: please correct the errors.")
    return to_consultant, reason


def _batch_size(batch_size: int) -> int:
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    return batch_size


def _reassign_batch(actor: User, case_ids: Sequence[int], to: User, reason: str) -> ReassignResult:
    """One transaction: move the open cases of ``case_ids`` that are not already with ``to``."""
    result = ReassignResult(to.name)
    moving_ids: list[int] = []
    try:
        # Locked on PostgreSQL until the commit, so the old consultant recorded is the one the
        # case had (SQLite takes its write lock for the whole database at the UPDATE).
        rows = db.session.execute(
            select(Case.id, Case.status, Case.consultant_id, User.name)
            .join(User, User.id == Case.consultant_id)
            .where(Case.id.in_(case_ids))
            .with_for_update(of=Case)
        ).all()
        result.missing = len(case_ids) - len(rows)
        moving: list[tuple[int, str]] = []
        for case_id, status, consultant_id, consultant_name in rows:
            if status in CLOSED_STATUSES:
                result.closed += 1
            elif consultant_id == to.id:
                result.unchanged += 1
            else:
                moving.append((case_id, consultant_name))
        if moving:
            now = utcnow()
            moving_ids = [case_id for case_id, _ in moving]
            db.session.execute(
                update(Case.__table__)
                .where(Case.__table__.c.id.in_(moving_ids))
                .values(consultant_id=to.id, updated_at=now, updated_by_id=actor.id,
                        version=Case.__table__.c.version + 1))
            # Written in bulk, not through audit.record: marked with the channel here (the API
            # and its token) as audit.record would.
            channel = audit.current_channel()
            db.session.execute(insert(AuditEntry), [
                {"case_id": case_id, "user_id": actor.id, "at": now, "action": "reassigned",
                 "entity": "case",
                 "changes": {"consultant": [old_name, to.name], "reason": [None, reason]},
                 "via": channel.via if channel else None,
                 "api_token_id": channel.api_token_id if channel else None}
                for case_id, old_name in moving])
            result.moved = len(moving)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    _forget(moving_ids)
    return result


def _forget(case_ids: Iterable[int]) -> None:
    """Cases this session holds are out of date after the Core UPDATE: reload them on use."""
    identities = db.session.identity_map
    for case_id in case_ids:
        case = identities.get(identity_key(Case, case_id))
        if case is not None:
            db.session.expire(case)


def reassign(actor: User, case_ids: Iterable[int], to_consultant: User | None, reason: str,
             batch_size: int = REASSIGN_BATCH_SIZE) -> ReassignResult:
    """Give the cases ``case_ids`` to ``to_consultant``, ``batch_size`` cases a transaction.

    Closed cases are skipped and counted, as are cases already with the consultant and ids
    that match no case.
    """
    to, reason = _check(actor, to_consultant, reason)
    size = _batch_size(batch_size)
    ids = sorted(set(case_ids))
    result = ReassignResult(to.name)
    for start in range(0, len(ids), size):
        result.add(_reassign_batch(actor, ids[start:start + size], to, reason))
    return result


def reassign_matching(actor: User, filters: CaseFilters, to_consultant: User | None,
                      reason: str, batch_size: int = REASSIGN_BATCH_SIZE) -> ReassignResult:
    """Give every case matching the list's ``filters`` to ``to_consultant``.

    The matching ids are walked in id order, one batch at a time (``id > last id of the
    previous batch``): a case that stops matching once moved (a filter on the old consultant)
    does not shift the walk, and no more than one batch of ids is held at once.
    """
    to, reason = _check(actor, to_consultant, reason)
    size = _batch_size(batch_size)
    matching = filtered_ids(actor, filters)
    result = ReassignResult(to.name)
    last_id = 0
    while True:
        ids = list(db.session.scalars(
            matching.where(Case.id > last_id).order_by(Case.id).limit(size)))
        if not ids:
            break
        result.add(_reassign_batch(actor, ids, to, reason))
        last_id = ids[-1]
        if len(ids) < size:
            break
    return result
