"""Documents for the case page: the current ones with their earlier versions, and the checklist."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from caseapp import clock
from caseapp.extensions import db
from caseapp.models import Case, Document, DocumentKind
from caseapp.rules.checklist import (
    CHECKLIST,
    ChecklistPerson,
    PersonChecklist,
    required_documents,
)
from caseapp.rules.dependants import DependantStatus, assess_dependants
from caseapp.services.checks import case_facts, rule_set_for_facts


@dataclass
class CurrentDocument:
    """A document nobody has replaced, with the versions it replaced, newest first."""

    document: Document
    history: list[Document] = field(default_factory=list)


@dataclass
class ChecklistItem:
    kind: DocumentKind
    # Every current document of the kind for the person (several degree certificates).
    documents: list[Document] = field(default_factory=list)

    @property
    def present(self) -> bool:
        return bool(self.documents)


@dataclass
class PersonItems:
    """One person's part of the checklist: the applicant or a dependant."""

    person: PersonChecklist
    items: list[ChecklistItem]

    @property
    def label(self) -> str:
        return f"{self.person.name} ({self.person.role})"

    @property
    def missing(self) -> list[ChecklistItem]:
        return [item for item in self.items if not item.present]


def get_document(case: Case, document_id: int) -> Document | None:
    """The document with ``document_id`` if it belongs to ``case``, current or replaced."""
    return db.session.scalars(
        select(Document).where(Document.id == document_id, Document.case_id == case.id)
    ).one_or_none()


def case_documents(case: Case) -> list[Document]:
    """Every document of the case, replaced ones too, with their uploaders: two statements."""
    return list(
        db.session.scalars(
            select(Document)
            .where(Document.case_id == case.id)
            .options(selectinload(Document.uploaded_by), selectinload(Document.dependant))
            .order_by(Document.uploaded_at.desc(), Document.id.desc())
        )
    )


def _with_history(documents: list[Document]) -> list[CurrentDocument]:
    """Follow the replaced_by links backwards from each current document, in memory."""
    replaced: dict[int, list[Document]] = defaultdict(list)
    for document in documents:
        if document.replaced_by_id is not None:
            replaced[document.replaced_by_id].append(document)
    entries = []
    for document in documents:
        if not document.is_current:  # replaced, or of a removed dependant
            continue
        history: list[Document] = []
        pending = list(replaced[document.id])
        seen = {document.id}
        while pending:
            earlier = pending.pop(0)
            if earlier.id in seen:  # a cycle would be a data error; do not loop on it
                continue
            seen.add(earlier.id)
            history.append(earlier)
            pending.extend(replaced[earlier.id])
        entries.append(CurrentDocument(document, history))
    return entries


# The panel lists documents in checklist order, anything not required after.
_REQUIRED_ORDER = list(dict.fromkeys(DocumentKind(r.kind) for r in CHECKLIST))
KIND_ORDER = {
    kind: position
    for position, kind in enumerate(
        [*_REQUIRED_ORDER, *(k for k in DocumentKind if k not in _REQUIRED_ORDER)]
    )
}


def checklist_people(case: Case) -> tuple[PersonChecklist, ...]:
    """Who needs which documents (rules.checklist), with P7 deciding who accompanies as of
    today: a dependant who cannot accompany needs no passport."""
    facts = case_facts(case, clock.today())
    decisions = assess_dependants(facts, rule_set_for_facts(facts)).decisions
    ineligible = {d.dependant.id for d in decisions if d.status is DependantStatus.INELIGIBLE}
    people = [ChecklistPerson(d.id, d.full_name, d.relation, d.id not in ineligible)
              for d in case.dependants]
    return required_documents(case.applicant.full_name, people)


def document_checklist(case: Case, current: list[Document]) -> list[PersonItems]:
    """The checklist person by person, each required kind with the current documents that
    meet it (a document counts for the person it is attached to)."""
    return [
        PersonItems(person, [
            ChecklistItem(DocumentKind(kind), [
                d for d in current
                if d.kind.value == kind and d.dependant_id == person.dependant_id])
            for kind in person.kinds])
        for person in checklist_people(case)
    ]


def missing_documents(case: Case) -> list[str]:
    """Each required document that is missing, named with its person: "Passport of Ann Lee
    (child)". Empty when the checklist is complete."""
    current = [d for d in case_documents(case) if d.is_current]
    return [f"{item.kind.label} of {entry.label}"
            for entry in document_checklist(case, current) for item in entry.missing]


def document_panel_context(case: Case) -> dict[str, Any]:
    documents = case_documents(case)
    # sorted() is stable, so within a kind the newest stays first.
    current = sorted(_with_history(documents), key=lambda e: KIND_ORDER[e.document.kind])
    detached = [d for d in documents if d.detached_note and d.replaced_by_id is None]
    answering = None
    if case.file_is_locked and not case.is_closed:
        from caseapp.services.documents import pending_information_request

        answering = pending_information_request(case)
    return {
        # Before submission the file is open; afterwards only an open ImmD request lets
        # documents in (and nothing sent is ever replaced).
        "uploads_open": case.file_is_editable or answering is not None,
        "replace_allowed": case.file_is_editable,
        "answering_request": answering,
        "documents": current,
        "detached_documents": detached,
        "document_checklist": document_checklist(case, [e.document for e in current]),
        "document_kinds": list(DocumentKind),
    }
