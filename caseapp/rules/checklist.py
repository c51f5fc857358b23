"""The documents an application needs before it goes to ImmD, person by person.

Consultancy practice, kept as data: one list of (who, document kind). Changing what is required
means editing ``CHECKLIST`` and nothing else; the case page, the submission gate and the frozen
package all read it through ``required_documents``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from .vocab import Relationship

__all__ = ["CHECKLIST", "ChecklistPerson", "PersonChecklist", "Requirement", "Who",
           "required_documents"]


class Who(StrEnum):
    APPLICANT = "applicant"
    SPOUSE = "spouse"  # every dependant recorded as spouse
    CHILD = "child"  # every dependant recorded as child
    ACCOMPANYING = "accompanying"  # every dependant who may accompany (P7), or may yet


@dataclass(frozen=True)
class Requirement:
    who: Who
    kind: str  # a document kind's value, e.g. "passport"


CHECKLIST: tuple[Requirement, ...] = (
    Requirement(Who.APPLICANT, "passport"),
    Requirement(Who.APPLICANT, "photo"),
    Requirement(Who.APPLICANT, "degree_certificate"),
    Requirement(Who.APPLICANT, "bank_statement"),
    Requirement(Who.APPLICANT, "police_certificate"),
    Requirement(Who.SPOUSE, "marriage_certificate"),
    Requirement(Who.CHILD, "birth_certificate"),
    Requirement(Who.ACCOMPANYING, "passport"),
)


@dataclass(frozen=True)
class ChecklistPerson:
    """A dependant as the checklist sees them. ``accompanies`` is False only when P7 has
    decided they cannot accompany; a dependant P7 cannot decide yet still needs a passport."""

    id: int
    name: str
    relationship: Relationship
    accompanies: bool


@dataclass(frozen=True)
class PersonChecklist:
    """The kinds one person needs, in checklist order; ``dependant_id`` None is the applicant."""

    dependant_id: int | None
    name: str
    role: str  # "principal applicant", "spouse", "child", ...
    kinds: tuple[str, ...]


def _applies(requirement: Requirement, person: ChecklistPerson) -> bool:
    if requirement.who is Who.SPOUSE:
        return person.relationship is Relationship.SPOUSE
    if requirement.who is Who.CHILD:
        return person.relationship is Relationship.CHILD
    if requirement.who is Who.ACCOMPANYING:
        return person.accompanies
    return False


def _unique(kinds: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(kinds))


def required_documents(
    applicant_name: str,
    dependants: Sequence[ChecklistPerson],
    checklist: Sequence[Requirement] = CHECKLIST,
) -> tuple[PersonChecklist, ...]:
    """Per person (the applicant first, then each dependant in order), the kinds required.

    A dependant who needs nothing (a parent who cannot accompany) is still listed, with no
    kinds, so the page can say so.
    """
    people = [PersonChecklist(
        None, applicant_name, "principal applicant",
        _unique([r.kind for r in checklist if r.who is Who.APPLICANT]))]
    for person in dependants:
        kinds = _unique([r.kind for r in checklist if _applies(r, person)])
        people.append(PersonChecklist(person.id, person.name, person.relationship.value, kinds))
    return tuple(people)
