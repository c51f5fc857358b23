"""(Being built: the workflow endpoints.)"""

from __future__ import annotations

from caseapp.api.base import ApiBlueprint

blp = ApiBlueprint("api_workflow", __name__, url_prefix="/api/v1",
                   description="workflow")
