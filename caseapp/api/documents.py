"""(Being built: the documents endpoints.)"""

from __future__ import annotations

from caseapp.api.base import ApiBlueprint

blp = ApiBlueprint("api_documents", __name__, url_prefix="/api/v1",
                   description="documents")
