from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from flask_login import UserMixin
from sqlalchemy import ForeignKey, Index, Integer, String, false, func, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from caseapp.models.base import Base, utcnow
from caseapp.models.types import enum_type


class Role(StrEnum):
    CONSULTANT = "consultant"
    MANAGER = "manager"
    ADMIN = "admin"

    @property
    def label(self) -> str:
        return self.value.capitalize()


class User(UserMixin, Base):
    __tablename__ = "users"
    __table_args__ = (Index("ix_users_name_id", "name", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    role: Mapped[Role] = mapped_column(enum_type(Role, "role"), index=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(default=True, server_default=true())
    created_at: Mapped[datetime] = mapped_column(default=utcnow, server_default=func.now())
    # Every signed-in session carries the value it was signed in with; a password change or
    # reset, or a deactivation, adds one and so signs the user out everywhere.
    session_epoch: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Set by an admin's password reset: the user must choose a new password before anything else.
    must_change_password: Mapped[bool] = mapped_column(default=False, server_default=false())
    password_changed_at: Mapped[datetime | None]

    @property
    def is_active(self) -> bool:  # Flask-Login: an inactive user cannot log in and is logged out
        return self.active

    @property
    def sees_all_cases(self) -> bool:
        return self.role in (Role.MANAGER, Role.ADMIN)

    def get_id(self) -> str:
        # Flask-Login keeps this in the session: an id with a stale epoch loads no user.
        return f"{self.id}:{self.session_epoch}"

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role.value}>"


class SignIn(Base):
    """One attempt to sign in, kept for the admins' sign-in history and for throttling.

    ``email_digest`` is a keyed digest of the address typed (lower-cased), never the text: an
    attempt on an address that belongs to no user is throttled the same way, and whatever was
    typed there (people type passwords into the email field) is not kept. ``user_id`` is set
    when the address names a user.
    """

    __tablename__ = "sign_ins"
    __table_args__ = (
        Index("ix_sign_ins_user_id_at", "user_id", "at", "id"),
        Index("ix_sign_ins_email_digest_at", "email_digest", "at"),
        Index("ix_sign_ins_address_at", "address", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    email_digest: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    address: Mapped[str] = mapped_column(String(45))
    succeeded: Mapped[bool]
    # Why a failure failed, for the admins: "password", "inactive", "unknown", "throttled".
    reason: Mapped[str] = mapped_column(String(20), default="", server_default="")
    user_agent: Mapped[str] = mapped_column(String(200), default="", server_default="")

    user: Mapped[User | None] = relationship()
