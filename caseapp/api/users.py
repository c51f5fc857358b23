"""(Being built: the users endpoints.)"""

from __future__ import annotations

from caseapp.api.base import ApiBlueprint

blp = ApiBlueprint("api_users", __name__, url_prefix="/api/v1",
                   description="users")
