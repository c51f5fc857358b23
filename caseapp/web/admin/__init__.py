"""Admins' pages: the reference exchange rates and the rule sets (admins only)."""

from caseapp.web.admin import rule_sets as _rule_sets  # noqa: F401  (routes on bp)
from caseapp.web.admin.routes import bp

__all__ = ["bp"]
