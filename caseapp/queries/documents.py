"""Documents for the case page."""

from __future__ import annotations

from typing import Any

from caseapp.models import Case


def document_panel_context(case: Case) -> dict[str, Any]:
    return {"documents": [], "document_checklist": []}
