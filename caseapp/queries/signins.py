"""A user's sign-in history for the admins: newest first, a page at a time by keyset on
(at, id), which the index ix_sign_ins_user_id_at serves. Attempts accumulate for as long as
the account exists, so never an offset and never an unbounded count."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from caseapp.extensions import db
from caseapp.models import User
from caseapp.models.user import SignIn
from caseapp.queries import cursors
from caseapp.queries.case_list import keyset_condition

SIGN_INS_PER_PAGE = 25
MAX_SIGN_INS_PER_PAGE = 100

SignInKey = tuple[datetime, int]

REASON_LABELS = {
    "password": "wrong password",
    "inactive": "account deactivated",
    "unknown": "no such user",
    "throttled": "too many attempts",
    "password_change": "wrong current password when changing it",
}


def reason_label(sign_in: SignIn) -> str:
    """Why an attempt failed, in words ("" for a success)."""
    if sign_in.succeeded:
        return ""
    return REASON_LABELS.get(sign_in.reason, sign_in.reason or "refused")


@dataclass(frozen=True)
class SignInPage:
    items: list[SignIn]
    has_next: bool
    is_first: bool

    @property
    def next_cursor(self) -> str | None:
        if not (self.has_next and self.items):
            return None
        last = self.items[-1]
        return cursors.encode_cursor([last.at, last.id])


def decode_sign_in_cursor(token: str | None) -> SignInKey | None:
    """The (at, id) a cursor carries, or None when there is none or it is not one of ours."""
    values = cursors.decode_cursor(token, (datetime, int))
    return None if values is None else (values[0], values[1])


def sign_in_page(user: User, after: SignInKey | None,
                 per_page: int = SIGN_INS_PER_PAGE) -> SignInPage:
    """``user``'s attempts newest first, those older than ``after`` (the last of the page
    before): one statement whatever the page or the length of the history."""
    per_page = max(1, min(per_page, MAX_SIGN_INS_PER_PAGE))
    columns = [SignIn.at, SignIn.id]
    query = (select(SignIn).where(SignIn.user_id == user.id)
             .order_by(SignIn.at.desc(), SignIn.id.desc()).limit(per_page + 1))
    if after is not None:
        query = query.where(keyset_condition(columns, list(after), [c.type for c in columns],
                                             forward=False))
    rows = list(db.session.scalars(query))
    return SignInPage(items=rows[:per_page], has_next=len(rows) > per_page,
                      is_first=after is None)
