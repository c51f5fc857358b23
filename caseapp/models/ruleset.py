"""Rule sets an admin stored: versions made from another one, kept as the JSON the rules read.

The packaged rule sets live in ``caseapp/rules/rulesets/``; these live here. ``content`` is
exactly ``RuleSet.to_dict()`` as canonical JSON (sorted keys, money as strings), so the loader
(``caseapp.queries.rulesets``) validates a stored version the same way as a packaged file.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from caseapp.models.base import Base, utcnow

if TYPE_CHECKING:
    from caseapp.models.user import User


class StoredRuleSet(Base):
    __tablename__ = "stored_rule_sets"

    id: Mapped[int] = mapped_column(primary_key=True)
    # As check runs record it (check_runs.rule_set_version is 40 characters too).
    version: Mapped[str] = mapped_column(String(40), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    # Two versions taking effect on one day would leave the choice arbitrary (and every
    # check of a case lodged then refused): the database holds one per day.
    effective_date: Mapped[date] = mapped_column(unique=True)
    # The version it was made from, for the reader; the content stands on its own.
    based_on: Mapped[str] = mapped_column(String(40))
    content: Mapped[str] = mapped_column(Text)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    # Also the loader's cache key: a parsed version is reused while this has not moved.
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id])
    updated_by: Mapped[User] = relationship(foreign_keys=[updated_by_id])

    def __repr__(self) -> str:
        return f"<StoredRuleSet {self.version} from {self.effective_date.isoformat()}>"
