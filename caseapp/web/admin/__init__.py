"""Admins' pages: the reference exchange rates (admins only)."""

from caseapp.web.admin.routes import bp

__all__ = ["bp"]
