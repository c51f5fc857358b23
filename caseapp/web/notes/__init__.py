"""Case notes and the client contact log: add, correct within the edit window, page through."""

from caseapp.web.notes.routes import bp

__all__ = ["bp"]
