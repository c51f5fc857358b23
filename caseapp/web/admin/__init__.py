"""Admins' pages: the reference exchange rates, the rule sets and the users (admins only)."""

from caseapp.web.admin import rule_sets as _rule_sets  # noqa: F401  (routes on bp)
from caseapp.web.admin import users as _users  # noqa: F401  (routes on bp)
from caseapp.web.admin.routes import bp

__all__ = ["bp"]
