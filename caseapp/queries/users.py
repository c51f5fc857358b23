"""Users as the pages list them."""

from __future__ import annotations

from sqlalchemy import select

from caseapp.extensions import db
from caseapp.models import Role, User


def consultants_for_filter() -> list[User]:
    """Every consultant, active first then by name: deactivated ones still own cases."""
    return list(db.session.scalars(
        select(User).where(User.role == Role.CONSULTANT)
        .order_by(User.active.desc(), User.name, User.id)))


def active_consultants() -> list[User]:
    """Who cases can be assigned to."""
    return list(db.session.scalars(
        select(User).where(User.role == Role.CONSULTANT, User.active.is_(True))
        .order_by(User.name, User.id)))
