"""Saved case-list views: a user names a filter and finds it again in the side bar."""

from __future__ import annotations

import unicodedata

from sqlalchemy import func, select

from caseapp.extensions import db
from caseapp.models import SavedView, User, utcnow
from caseapp.queries.views import MAX_SAVED_VIEWS
from caseapp.services import audit
from caseapp.services.errors import ValidationFailed

MAX_NAME_LENGTH = 80
MAX_QUERY_LENGTH = 2000


def _checked_name(user: User, name: str, keep: SavedView | None = None) -> str:
    name = " ".join(name.split())
    if not name:
        raise ValidationFailed({"name": ["Give the view a name."]})
    if len(name) > MAX_NAME_LENGTH:
        raise ValidationFailed({"name": [f"Keep the name under {MAX_NAME_LENGTH} characters."]})
    if any(unicodedata.category(c).startswith("C") for c in name):
        raise ValidationFailed({"name": ["The name has characters that cannot be shown."]})
    taken = select(SavedView.id).where(SavedView.user_id == user.id, SavedView.name == name)
    if keep is not None:
        taken = taken.where(SavedView.id != keep.id)
    if db.session.scalar(taken) is not None:
        raise ValidationFailed({"name": [f"You already have a view called “{name}”."]})
    return name


def _commit() -> None:
    try:
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise


def save_view(actor: User, name: str, query: str) -> SavedView:
    """Save ``query`` (the list's filters and sort, already normalised) as ``name``."""
    name = _checked_name(actor, name)
    if len(query) > MAX_QUERY_LENGTH:
        raise ValidationFailed({"name": ["This filter is too long to save; narrow it down."]})
    count = db.session.scalar(select(func.count(SavedView.id))
                              .where(SavedView.user_id == actor.id)) or 0
    if count >= MAX_SAVED_VIEWS:
        raise ValidationFailed({"name": [f"You have {MAX_SAVED_VIEWS} saved views already: "
                                         "delete one first."]})
    now = utcnow()
    view = SavedView(user_id=actor.id, name=name, query=query, created_at=now, updated_at=now)
    db.session.add(view)
    db.session.flush()
    audit.record(actor, "created", f"saved_view:{view.id}",
                 {"name": [None, name], "filter": [None, query]})
    _commit()
    return view


def rename_view(actor: User, view: SavedView, name: str) -> SavedView:
    name = _checked_name(actor, name, keep=view)
    if name != view.name:
        audit.record(actor, "updated", f"saved_view:{view.id}", {"name": [view.name, name]})
        view.name = name
        view.updated_at = utcnow()
        _commit()
    return view


def delete_view(actor: User, view: SavedView) -> None:
    audit.record(actor, "removed", f"saved_view:{view.id}",
                 {"name": [view.name, None], "filter": [view.query, None]})
    db.session.delete(view)
    _commit()
