"""(Being built: the checks endpoints.)"""

from __future__ import annotations

from caseapp.api.base import ApiBlueprint

blp = ApiBlueprint("api_checks", __name__, url_prefix="/api/v1",
                   description="checks")
