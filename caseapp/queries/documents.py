"""Documents for the case page: the current ones with their earlier versions, and the checklist."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from caseapp.extensions import db
from caseapp.models import Case, Document, DocumentKind
from caseapp.services.documents import REQUIRED_DOCUMENT_KINDS


@dataclass
class CurrentDocument:
    """A document nobody has replaced, with the versions it replaced, newest first."""

    document: Document
    history: list[Document] = field(default_factory=list)


@dataclass
class ChecklistItem:
    kind: DocumentKind
    # Every current document of the kind (two passports, several degree certificates).
    documents: list[Document] = field(default_factory=list)

    @property
    def present(self) -> bool:
        return bool(self.documents)


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
            .options(selectinload(Document.uploaded_by))
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
        if not document.is_current:
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
KIND_ORDER = {
    kind: position
    for position, kind in enumerate(
        [*REQUIRED_DOCUMENT_KINDS, *(k for k in DocumentKind if k not in REQUIRED_DOCUMENT_KINDS)]
    )
}


def document_panel_context(case: Case) -> dict[str, Any]:
    documents = case_documents(case)
    # sorted() is stable, so within a kind the newest stays first.
    current = sorted(_with_history(documents), key=lambda e: KIND_ORDER[e.document.kind])
    checklist = [
        ChecklistItem(kind, [e.document for e in current if e.document.kind is kind])
        for kind in REQUIRED_DOCUMENT_KINDS
    ]
    return {
        "documents": current,
        "document_checklist": checklist,
        "document_kinds": list(DocumentKind),
    }
