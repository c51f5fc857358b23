"""Users as the pages list them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, and_, func, or_, select

from caseapp.extensions import db
from caseapp.models import Role, User
from caseapp.queries import cursors
from caseapp.queries.case_list import COUNT_LIMIT
from caseapp.services.errors import ValidationFailed


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


# ---- every user, keyset-paged on (name, id): the index ix_users_name_id ---------------------

def _encode_cursor(user: User) -> str:
    return cursors.encode_cursor([user.name, user.id])


def _decode_cursor(token: str, field: str) -> tuple[str, int]:
    values = cursors.decode_cursor(token, (str, int))
    if values is None:
        raise ValidationFailed({field: ["This cursor is not one this list gave: start again "
                                        "from the first page."]})
    return values[0], values[1]


@dataclass(frozen=True)
class UserPage:
    items: list[User]
    total: int
    total_is_exact: bool
    next_cursor: str | None
    prev_cursor: str | None
    has_next: bool
    has_prev: bool


def _matching(role: str | None, active: bool | None) -> Select[Any]:
    query = select(User)
    if role is not None:
        query = query.where(User.role == Role(role))
    if active is not None:
        query = query.where(User.active.is_(active))
    return query


def user_page(role: str | None, active: bool | None, after: str | None, before: str | None,
              per_page: int) -> UserPage:
    """One page of users by name then id, and how many match (counted up to 10,000)."""
    query = _matching(role, active)
    counted = db.session.scalar(select(func.count()).select_from(
        query.with_only_columns(User.id).limit(COUNT_LIMIT + 1).subquery())) or 0
    backwards = after is None and before is not None
    if after is not None:
        name, user_id = _decode_cursor(after, "after")
        query = query.where(User.name >= name, or_(User.name > name,
                                                   and_(User.name == name, User.id > user_id)))
    elif before is not None:
        name, user_id = _decode_cursor(before, "before")
        query = query.where(User.name <= name, or_(User.name < name,
                                                   and_(User.name == name, User.id < user_id)))
    order = [User.name.desc(), User.id.desc()] if backwards else [User.name, User.id]
    rows = list(db.session.scalars(query.order_by(*order).limit(per_page + 1)))
    more = len(rows) > per_page
    rows = rows[:per_page]
    if backwards:
        rows.reverse()
        has_prev, has_next = more, True
    else:
        has_prev, has_next = after is not None, more
    return UserPage(
        items=rows, total=min(counted, COUNT_LIMIT), total_is_exact=counted <= COUNT_LIMIT,
        next_cursor=_encode_cursor(rows[-1]) if rows and has_next else None,
        prev_cursor=_encode_cursor(rows[0]) if rows and has_prev else None,
        has_next=has_next and bool(rows), has_prev=has_prev and bool(rows))
