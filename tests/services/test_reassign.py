"""Reassigning cases: checks first with nothing changed, bounded batches, closed cases skipped,
one audit entry per case moved, the version moved on. Both databases."""

from __future__ import annotations

import pytest
from sqlalchemy import event, func, select

from caseapp.models import AuditEntry, Case, Role
from caseapp.queries.case_filters import CaseFilters
from caseapp.rules.workflow import CaseStatus
from caseapp.services import users as user_service
from caseapp.services.errors import NotAllowed, ValidationFailed
from caseapp.services.reassign import reassign, reassign_matching
from caseapp.services.workflow import move_status
from tests.factories import open_case


def consultant_ids(db, cases) -> list[int]:
    return list(db.session.scalars(
        select(Case.consultant_id).where(Case.id.in_([c.id for c in cases])).order_by(Case.id)))


def reassignments(db) -> list[AuditEntry]:
    return list(db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "reassigned").order_by(AuditEntry.id)))


@pytest.fixture
def commits(db):
    """How many transactions were committed while the test ran."""
    counter = {"n": 0}

    def count(session):
        counter["n"] += 1

    event.listen(db.session, "after_commit", count)
    yield counter
    event.remove(db.session, "after_commit", count)


def test_cases_move_with_version_stamp_and_one_audit_entry_each(db, consultant, other_consultant,
                                                                manager):
    cases = [open_case(consultant), open_case(consultant)]
    versions = [c.version for c in cases]
    result = reassign(manager, [c.id for c in cases], other_consultant, "  Connie is on leave ")
    assert (result.moved, result.unchanged, result.closed, result.missing) == (2, 0, 0, 0)
    assert result.consultant == "Carl Consultant"
    for case, version in zip(cases, versions, strict=True):
        # The session's own copy is brought up to date, not left showing the old consultant.
        assert case.consultant_id == other_consultant.id
        assert case.consultant.name == "Carl Consultant"
        assert case.version == version + 1
        assert case.updated_by_id == manager.id
    entries = reassignments(db)
    assert sorted(e.case_id for e in entries) == sorted(c.id for c in cases)
    for entry in entries:
        assert entry.user_id == manager.id
        assert entry.entity == "case"
        assert entry.changes == {"consultant": ["Connie Consultant", "Carl Consultant"],
                                 "reason": [None, "Connie is on leave"]}


def test_admins_reassign_too(db, consultant, other_consultant, admin):
    case = open_case(consultant)
    assert reassign(admin, [case.id], other_consultant, "Rebalancing").moved == 1


def test_seven_cases_in_batches_of_three_all_move_in_three_transactions(
        db, consultant, other_consultant, manager, commits):
    cases = [open_case(consultant) for _ in range(7)]
    commits["n"] = 0
    result = reassign(manager, [c.id for c in cases], other_consultant, "Team change",
                      batch_size=3)
    assert result.moved == 7
    assert commits["n"] == 3
    assert consultant_ids(db, cases) == [other_consultant.id] * 7
    assert len(reassignments(db)) == 7


def test_every_case_matching_a_filter_moves_in_batches(db, consultant, other_consultant,
                                                        make_user, manager, commits):
    third = make_user(Role.CONSULTANT, name="Tess Third")
    connies = [open_case(consultant) for _ in range(7)]
    others = [open_case(third) for _ in range(2)]
    commits["n"] = 0
    # Filtered on the old consultant: each batch moved stops matching, the walk goes on by id.
    result = reassign_matching(manager, CaseFilters(consultant_ids=(consultant.id,)),
                               other_consultant, "Connie leaves", batch_size=3)
    assert result.moved == 7
    assert commits["n"] == 3
    assert consultant_ids(db, connies) == [other_consultant.id] * 7
    assert consultant_ids(db, others) == [third.id] * 2


def test_closed_cases_are_skipped_and_counted(db, consultant, other_consultant, manager):
    open_one = open_case(consultant)
    withdrawn = open_case(consultant)
    move_status(consultant, withdrawn, CaseStatus.WITHDRAWN, "Client withdrew",
                withdrawn.version)
    version = withdrawn.version
    result = reassign(manager, [open_one.id, withdrawn.id], other_consultant, "Leaving")
    assert (result.moved, result.closed) == (1, 1)
    assert consultant_ids(db, [open_one, withdrawn]) == [other_consultant.id, consultant.id]
    assert db.session.get(Case, withdrawn.id).version == version
    assert [e.case_id for e in reassignments(db)] == [open_one.id]


def test_cases_already_with_the_consultant_and_unknown_ids_are_counted_not_touched(
        db, consultant, other_consultant, manager):
    theirs = open_case(other_consultant)
    mine = open_case(consultant)
    version = theirs.version
    result = reassign(manager, [theirs.id, mine.id, mine.id, 999_999], other_consultant, "x")
    assert (result.moved, result.unchanged, result.missing) == (1, 1, 1)
    assert db.session.get(Case, theirs.id).version == version
    assert len(reassignments(db)) == 1


@pytest.mark.parametrize("target,message", [
    ("inactive", "is deactivated"),
    ("manager", "is a manager, not a consultant"),
    ("admin", "is an admin, not a consultant"),
    ("nobody", "Choose the consultant"),
])
def test_only_an_active_consultant_takes_cases(db, consultant, other_consultant, manager, admin,
                                               target, message):
    case = open_case(consultant)
    if target == "inactive":
        user_service.set_active(other_consultant, False)
    to = {"inactive": other_consultant, "manager": manager, "admin": admin,
          "nobody": None}[target]
    with pytest.raises(ValidationFailed) as refused:
        reassign(manager, [case.id], to, "Leaving")
    assert message in " ".join(refused.value.errors["consultant"])
    assert consultant_ids(db, [case]) == [consultant.id]
    assert reassignments(db) == []


@pytest.mark.parametrize("reason,message", [
    ("", "Give the reason"), ("   ", "Give the reason"), ("x" * 2001, "2000 characters"),
])
def test_a_reason_is_required_and_bounded(db, consultant, other_consultant, manager, reason,
                                          message):
    case = open_case(consultant)
    with pytest.raises(ValidationFailed) as refused:
        reassign(manager, [case.id], other_consultant, reason)
    assert message in refused.value.errors["reason"][0]
    with pytest.raises(ValidationFailed):
        reassign_matching(manager, CaseFilters(), other_consultant, reason)
    assert consultant_ids(db, [case]) == [consultant.id]
    assert reassignments(db) == []


def test_both_refusals_are_reported_at_once(db, consultant, manager):
    case = open_case(consultant)
    with pytest.raises(ValidationFailed) as refused:
        reassign(manager, [case.id], manager, "")
    assert set(refused.value.errors) == {"consultant", "reason"}


def test_a_reason_of_exactly_2000_characters_is_fine(db, consultant, other_consultant, manager):
    case = open_case(consultant)
    assert reassign(manager, [case.id], other_consultant, "x" * 2000).moved == 1


def test_a_consultant_cannot_reassign(db, consultant, other_consultant):
    case = open_case(consultant)
    with pytest.raises(NotAllowed):
        reassign(consultant, [case.id], other_consultant, "Swap")
    with pytest.raises(NotAllowed):
        reassign_matching(consultant, CaseFilters(), other_consultant, "Swap")
    assert consultant_ids(db, [case]) == [consultant.id]
    assert db.session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "reassigned")) == 0
