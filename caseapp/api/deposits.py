"""(Being built: the deposits endpoints.)"""

from __future__ import annotations

from caseapp.api.base import ApiBlueprint

blp = ApiBlueprint("api_deposits", __name__, url_prefix="/api/v1",
                   description="deposits")
