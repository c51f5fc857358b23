"""Managers' pages: the dashboard, exports and reassignment (managers and admins only)."""

from caseapp.web.manage.routes import bp

__all__ = ["bp"]
