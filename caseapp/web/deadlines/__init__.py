"""The "This week" page: open deadlines by day, and marking one done or snoozing it."""

from caseapp.web.deadlines.routes import bp

__all__ = ["bp"]
