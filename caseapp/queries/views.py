"""Saved case-list views."""

from __future__ import annotations

from sqlalchemy import select

from caseapp.extensions import db
from caseapp.models import SavedView, User

MAX_SAVED_VIEWS = 100


def saved_views_for(user: User) -> list[SavedView]:
    return list(db.session.scalars(
        select(SavedView).where(SavedView.user_id == user.id)
        .order_by(SavedView.name, SavedView.id).limit(MAX_SAVED_VIEWS)))


def saved_view_of(user: User, view_id: int) -> SavedView | None:
    """``user``'s own view, or None: nobody else's views are reachable."""
    return db.session.scalars(
        select(SavedView).where(SavedView.id == view_id, SavedView.user_id == user.id)
    ).one_or_none()
