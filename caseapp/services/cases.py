"""Client files: open a case, edit the applicant, add, edit and remove dependants."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from enum import Enum
from typing import Any, Literal, TypeVar

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm.exc import StaleDataError

from caseapp import clock
from caseapp.extensions import db
from caseapp.models import (
    Applicant,
    Case,
    Dependant,
    Document,
    ReferenceCounter,
    Role,
    StatusChange,
    User,
    utcnow,
)
from caseapp.services import audit, people
from caseapp.services.checks import case_facts, rule_set_for_facts
from caseapp.services.deadlines import refresh_deadlines
from caseapp.services.derived import (
    attention_values,
    case_note_texts,
    reply_due_reasons,
    row_values,
)
from caseapp.services.errors import ConflictError, NotAllowed, ValidationFailed

T = TypeVar("T")

APPLICANT_FIELDS = [
    "given_name",
    "family_name",
    "chinese_name",
    "date_of_birth",
    "nationality",
    "passport_number",
    "passport_expiry",
    "email",
    "phone",
    "criminal_record",
    "adverse_immigration_record",
    "english_written",
    "english_spoken",
    "chinese_written",
    "putonghua_spoken",
    "cantonese_spoken",
    "highest_qualification",
    "qualification_recognised",
    "doctorate_count",
    "master_count",
    "bachelor_count",
    "professional_qualification",
    "graduate_work_years",
    "senior_work_years",
    "other_foreign_language",
    "hk_permanent_resident_family",
    "degree_eligible_university",
    "degree_stem",
    "two_languages",
    "multinational_work_years",
    "sector_work_years",
    "international_work_years",
    "income_amount",
    "income_currency",
    "income_rate_to_hkd",
    "profit_amount",
    "profit_currency",
    "profit_rate_to_hkd",
    "owns_listed_company",
    "achievement_claim",
    "achievement_description",
]
DEPENDANT_FIELDS = [
    "relation",
    "given_name",
    "family_name",
    "date_of_birth",
    "marital_status",
    "nationality",
    "passport_expiry",
    "spouse_has_degree",
]


def next_reference(year: int) -> str:
    """``QM-<year>-<number>``: numbers count up per year and are never handed out twice.

    The counter row is updated in the caller's transaction, so on PostgreSQL concurrent
    openings queue on its row lock and on SQLite on the write lock.
    """
    insert = postgresql_insert if db.session.get_bind().dialect.name == "postgresql" else (
        sqlite_insert)
    # One atomic statement: the first case of a year cannot race another into a duplicate key.
    statement = insert(ReferenceCounter).values(year=year, last_number=1)
    statement = statement.on_conflict_do_update(
        index_elements=[ReferenceCounter.year],
        set_={"last_number": ReferenceCounter.last_number + 1},
    ).returning(ReferenceCounter.last_number)
    number = db.session.execute(statement).scalar_one()
    return f"QM-{year}-{number:06d}"


def _only_known_fields(values: dict[str, Any], allowed: list[str]) -> dict[str, Any]:
    unknown = set(values) - set(allowed)
    if unknown:
        raise ValidationFailed({f: ["Unknown field."] for f in sorted(unknown)})
    return values


def _ensure_assignable(consultant: User) -> None:
    if consultant.role is not Role.CONSULTANT or not consultant.active:
        raise ValidationFailed({"consultant": ["Cases are assigned to active consultants."]})


def open_case(
    actor: User,
    applicant: dict[str, Any],
    consultant: User | None = None,
    planned_submission_date: date | None = None,
) -> Case:
    """Open a client file for ``applicant``, assigned to ``consultant`` (default: the actor)."""
    consultant = consultant or actor
    _ensure_assignable(consultant)
    values = _only_known_fields(applicant, APPLICANT_FIELDS)
    values = people.check_applicant(values)
    now = utcnow()
    case = Case(
        reference=next_reference(clock.today().year),  # the consultancy's year, not UTC's
        consultant=consultant,
        planned_submission_date=planned_submission_date,
        opened_at=now,
        updated_at=now,
        updated_by=actor,
    )
    case.applicant = Applicant(**values)
    db.session.add(case)
    try:
        refresh_derived(case)
        db.session.flush()
        audit.record(actor, "case_opened", "case", {"reference": [None, case.reference],
                     "consultant": [None, consultant.name]}, case=case)
        audit.record(actor, "created", "applicant",
                     audit.snapshot(case.applicant, list(values)), case=case)
        db.session.add(StatusChange(case_id=case.id, from_status=None, to_status=case.status,
                                    changed_by_id=actor.id, changed_at=now))
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return case


def refresh_derived(case: Case) -> None:
    """Recompute what the lists read from the case row (search text, attention date) after a
    change to the case or its parts, in the same transaction. No autoflush while the parts
    load: the case row must be written once, so its version moves by one."""
    with db.session.no_autoflush:
        facts = case_facts(case, clock.today())
    rule_set = rule_set_for_facts(facts)
    values = {**row_values(case, case_note_texts(case)),
              **attention_values(facts, rule_set, reply_due_reasons(case))}
    for name, value in values.items():
        if getattr(case, name) != value:
            setattr(case, name, value)
    refresh_deadlines(case, facts, rule_set)


class VersionCheck(Enum):
    """An internal caller (the CLI, the demo, a test) that means to skip the version check
    passes ``VersionCheck.SKIP``, explicitly. A web form's version is never skipped."""

    SKIP = "skip"


# What a change expects the case's version to be: the number the form was rendered from, or
# None when the form carried none that reads as a number (refused like a stale one).
ExpectedVersion = int | None | Literal[VersionCheck.SKIP]


def _check_version(case: Case, expected_version: ExpectedVersion) -> None:
    """A missing, unreadable or stale version is a conflict: the form may overwrite a
    colleague's edit it never saw. Nothing is written then."""
    if expected_version is VersionCheck.SKIP:
        return
    if expected_version != case.version:
        raise ConflictError(
            case.version, case.updated_by.name if case.updated_by else None, case.updated_at
        )


def check_version(case: Case, expected_version: ExpectedVersion) -> None:
    """Refuse (ConflictError) a change from a missing, unreadable or stale version."""
    _check_version(case, expected_version)


def ensure_editable(case: Case) -> None:
    if case.is_closed:
        raise NotAllowed(f"This case is {case.status.label.lower()} and can no longer be changed.")


def locked_message(case: Case) -> str:
    sent = f" on {case.submitted_on.isoformat()}" if case.submitted_on else ""
    return (f"This case was submitted to ImmD{sent}: the applicant, dependants, deposit "
            "evidence and documents stay as they were sent and can no longer be changed.")


def ensure_file_editable(case: Case) -> None:
    """The client file (applicant, dependants, deposits, documents) may change: the case is
    open and not yet submitted. What ImmD received is never edited afterwards."""
    ensure_editable(case)
    if case.file_is_locked:
        raise NotAllowed(locked_message(case))


def change_case(
    actor: User, case: Case, expected_version: ExpectedVersion, change: Callable[[], T],
    allow_closed: bool = False,
) -> T:
    """Run ``change`` against ``case`` as one attributable, version-checked transaction.

    The case row is touched (updated_at, updated_by) so its version moves on; a concurrent
    save from the same version then fails at flush, and the caller gets a ConflictError
    with nothing written. ``allow_closed``: the change only adds to the record (ImmD's
    decision letter logged on a refused case), so a closed case takes it.
    """
    if not allow_closed:
        ensure_editable(case)
    _check_version(case, expected_version)
    try:
        outcome = change()
        case.updated_at = utcnow()
        case.updated_by = actor
        refresh_derived(case)
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        db.session.refresh(case)
        raise ConflictError(
            case.version, case.updated_by.name if case.updated_by else None, case.updated_at
        ) from None
    except Exception:
        db.session.rollback()
        raise
    return outcome


def update_fields(
    actor: User,
    case: Case,
    target: object,
    values: dict[str, Any],
    entity: str,
    expected_version: ExpectedVersion,
) -> dict[str, list[str | None]]:
    """Set ``values`` on ``target`` (the case or one of its parts) as one audited change.

    Returns the changed fields; when nothing differs nothing is written and the case keeps
    its version, so saving an unchanged form never makes someone else's page stale.
    """
    ensure_file_editable(case)
    _check_version(case, expected_version)
    if not any(getattr(target, k) != v for k, v in values.items()):
        return {}

    def change() -> dict[str, list[str | None]]:
        changes = audit.apply_changes(target, values)
        audit.record(actor, "updated", entity, changes, case=case)
        return changes

    return change_case(actor, case, expected_version, change)


def update_applicant(
    actor: User, case: Case, values: dict[str, Any], expected_version: ExpectedVersion
) -> dict[str, list[str | None]]:
    """Save the applicant's details; returns the changed fields (empty: nothing to save)."""
    values = _only_known_fields(values, APPLICANT_FIELDS)
    ensure_file_editable(case)  # a read-only file is refused before its input is checked
    values = people.check_applicant(values, case.applicant, case.dependants)
    return update_fields(actor, case, case.applicant, values, "applicant", expected_version)


def add_dependant(
    actor: User, case: Case, values: dict[str, Any], expected_version: ExpectedVersion
) -> Dependant:
    values = _only_known_fields(values, DEPENDANT_FIELDS)
    ensure_file_editable(case)
    values = people.check_dependant(values, None, case.applicant)

    def change() -> Dependant:
        dependant = Dependant(**values)
        case.dependants.append(dependant)
        db.session.flush()
        audit.record(actor, "created", f"dependant:{dependant.id}",
                     audit.snapshot(dependant, list(values)), case=case)
        return dependant

    return change_case(actor, case, expected_version, change)


def update_dependant(
    actor: User,
    case: Case,
    dependant: Dependant,
    values: dict[str, Any],
    expected_version: ExpectedVersion,
) -> dict[str, list[str | None]]:
    values = _only_known_fields(values, DEPENDANT_FIELDS)
    if dependant.case_id != case.id:
        raise NotAllowed("That dependant belongs to another case.")
    ensure_file_editable(case)  # a read-only file is refused before its input is checked
    values = people.check_dependant(values, dependant, case.applicant)

    return update_fields(actor, case, dependant, values, f"dependant:{dependant.id}",
                         expected_version)


def remove_dependant(
    actor: User, case: Case, dependant: Dependant, expected_version: ExpectedVersion
) -> None:
    if dependant.case_id != case.id:
        raise NotAllowed("That dependant belongs to another case.")
    ensure_file_editable(case)

    def change() -> None:
        audit.record(actor, "removed", f"dependant:{dependant.id}",
                     {f: [audit.display_value(getattr(dependant, f)), None]
                      for f in DEPENDANT_FIELDS}, case=case)
        _detach_documents(actor, case, dependant)
        case.dependants.remove(dependant)

    change_case(actor, case, expected_version, change)



def _detach_documents(actor: User, case: Case, dependant: Dependant) -> None:
    """The removed dependant's documents stay as history but no longer count for anyone."""
    person = f"{dependant.full_name} ({dependant.relation.value})"
    note = f"of {person}, removed {clock.today().isoformat()}"
    for document in db.session.scalars(
            select(Document).where(Document.dependant_id == dependant.id)):
        document.dependant_id = None
        document.detached_note = note
        audit.record(actor, "detached", f"document:{document.id}",
                     {"person": [person, None]},
                     case=case)


def update_case_details(
    actor: User, case: Case, planned_submission_date: date | None, expected_version: ExpectedVersion
) -> dict[str, list[str | None]]:
    """Set the planned submission date, which the checks use to warn about what goes stale."""
    return update_fields(actor, case, case, {"planned_submission_date": planned_submission_date},
                         "case", expected_version)
