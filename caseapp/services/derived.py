"""What the lists read from a case row instead of its parts: the search text, whether any
deposit evidence is verified, and the date the case needs attention. Recomputed in the
transaction of every change (``cases.change_case``) and of every check run, so a list never
evaluates rules or joins the parts per row."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select

from caseapp.extensions import db
from caseapp.rules import CaseFacts, RuleSet
from caseapp.rules.attention import attention
from caseapp.rules.vocab import EvidenceStatus
from caseapp.textsearch import search_document

# The managers' search finds a case by its newest notes, within bounds: a case with years of
# contact log keeps a search text (and an index entry) of a sensible size.
SEARCHED_NOTES = 50
SEARCHED_NOTE_CHARS = 20_000


def search_parts(case: Any, note_texts: Iterable[str] = ()) -> list[str | None]:
    """What the search box finds a case by: reference, names, Chinese names, e-mail, and the
    text of its newest notes (``note_texts``, newest first; bounded here)."""
    applicant = case.applicant
    parts: list[str | None] = [case.reference, applicant.given_name, applicant.family_name,
                               applicant.chinese_name, applicant.email]
    for dependant in case.dependants:
        parts += [dependant.given_name, dependant.family_name]
    room = SEARCHED_NOTE_CHARS
    for text in list(note_texts)[:SEARCHED_NOTES]:
        if room <= 0:
            break
        parts.append(text[:room])
        room -= len(text)
    return parts


def case_note_texts(case: Any) -> list[str]:
    """The texts of the newest notes of ``case`` (an ORM Case), newest first, those added or
    corrected in the current transaction included. Read without autoflush: the case row must
    be written once per change."""
    from caseapp.models import CaseNote

    added = [o for o in db.session.new if isinstance(o, CaseNote) and o.case_id == case.id]
    if case.id is None:
        return []
    with db.session.no_autoflush:
        # Whole notes, not their text column: a note corrected in this transaction is the
        # object in the session, with its new text.
        stored = list(db.session.scalars(
            select(CaseNote).where(CaseNote.case_id == case.id)
            .order_by(CaseNote.created_at.desc(), CaseNote.id.desc()).limit(SEARCHED_NOTES)))
    return [note.text for note in [*added, *stored] if note.text]


def row_values(case: Any, note_texts: Iterable[str] = ()) -> dict[str, Any]:
    """``search_text`` and ``has_verified_deposit`` for ``case`` (a Case, or plain rows with
    the same attributes) and the texts of its newest notes."""
    return {
        "search_text": search_document(search_parts(case, note_texts)),
        "has_verified_deposit": any(
            EvidenceStatus(e.status) is EvidenceStatus.VERIFIED for e in case.deposits),
    }


# An open request from ImmD needs attention this many days before its reply is due.
REPLY_NOTICE_DAYS = 7


def reply_due_reasons(case: Any) -> list[tuple[date, str]]:
    """ImmD's open requests for further information on ``case`` (those added in the current
    transaction too), as attention reasons from a week before each reply is due. Read
    without autoflush: the case row must be written once per change."""
    from caseapp.models import InformationRequest

    with db.session.no_autoflush:
        stored = list(db.session.scalars(select(InformationRequest).where(
            InformationRequest.case_id == case.id, InformationRequest.answered_at.is_(None))))
    added = [o for o in db.session.new
             if isinstance(o, InformationRequest) and o.case_id == case.id]
    return [(r.due_on - timedelta(days=REPLY_NOTICE_DAYS),
             f"ImmD's request of {r.requested_on.isoformat()} needs its reply by "
             f"{r.due_on.isoformat()}.")
            for r in [*stored, *added] if r.answered_at is None]


def attention_values(facts: CaseFacts, rule_set: RuleSet,
                     also: list[tuple[date, str]] | None = None) -> dict[str, Any]:
    """``attention_on`` and ``attention_reasons`` (JSON-ready) for a case's facts, with
    ``also`` (reasons that are not facts the rules read, such as a reply due to ImmD)."""
    reasons = sorted([*attention(facts, rule_set).reasons, *(also or [])])
    return {
        "attention_on": min((since for since, _ in reasons), default=None),
        "attention_reasons": [[since.isoformat(), text] for since, text in reasons],
    }


def due_reasons(stored: list[Any], today: date) -> list[str]:
    """The stored attention reasons whose date has come."""
    return [text for since, text in stored if date.fromisoformat(since) <= today]
