"""A case's notes and contact log, newest first, a page at a time (keyset on created_at, id:
a deep page costs what the first does, and a note added meanwhile shifts nothing)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, tuple_
from sqlalchemy.orm import selectinload

from caseapp.extensions import db
from caseapp.models import Case, CaseNote
from caseapp.queries.cursors import decode_cursor, encode_cursor

NOTES_PER_PAGE = 20
_KEY = (datetime, int)


@dataclass
class NotesPage:
    """One page of notes; ``next_cursor`` reads the page after it (None: this is the last)."""

    items: list[CaseNote]
    next_cursor: str | None
    # The page was asked for after a cursor (not the newest notes).
    is_older: bool


def notes_page(case: Case, cursor: str | None = None,
               per_page: int = NOTES_PER_PAGE) -> NotesPage:
    """The notes of ``case`` after ``cursor`` (an unreadable one reads as none: the newest
    page), with their authors: two statements whatever the page holds."""
    after = decode_cursor(cursor, _KEY)
    query = (
        select(CaseNote)
        .where(CaseNote.case_id == case.id)
        .options(selectinload(CaseNote.author))
        .order_by(CaseNote.created_at.desc(), CaseNote.id.desc())
        .limit(per_page + 1)
    )
    if after is not None:
        # The first column alone as well, so that PostgreSQL walks the index to the bound.
        query = query.where(CaseNote.created_at <= after[0],
                            tuple_(CaseNote.created_at, CaseNote.id) < tuple_(*after))
    rows = list(db.session.scalars(query))
    items = rows[:per_page]
    next_cursor = (encode_cursor([items[-1].created_at, items[-1].id])
                   if len(rows) > per_page else None)
    return NotesPage(items=items, next_cursor=next_cursor, is_older=after is not None)


def get_note(case: Case, note_id: int) -> CaseNote | None:
    """The note ``note_id`` of ``case`` (None when it is another case's, or none)."""
    return db.session.scalars(
        select(CaseNote).where(CaseNote.id == note_id, CaseNote.case_id == case.id)
        .options(selectinload(CaseNote.author))).one_or_none()
