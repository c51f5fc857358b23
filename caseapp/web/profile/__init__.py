"""Every signed-in user's profile: their personal API tokens (list, create, revoke)."""

from caseapp.web.profile.routes import bp

__all__ = ["bp"]
