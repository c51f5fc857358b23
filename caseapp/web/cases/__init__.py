"""Client files: the case list, a case page, the applicant and dependants."""

from caseapp.web.cases import listing, saved_views  # noqa: F401  (routes on bp)
from caseapp.web.cases.routes import bp

__all__ = ["bp"]
