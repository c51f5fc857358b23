"""Review, submission to ImmD, further-information requests and the correspondence log."""

from caseapp.web.submission.routes import bp

__all__ = ["bp"]
