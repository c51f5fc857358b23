"""(Being built: the exports endpoints.)"""

from __future__ import annotations

from caseapp.api.base import ApiBlueprint

blp = ApiBlueprint("api_exports", __name__, url_prefix="/api/v1",
                   description="exports")
