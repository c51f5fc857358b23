"""The managers' blueprint; each area adds its routes in its own module."""

from __future__ import annotations

from flask import Blueprint

from caseapp.models import Role

bp = Blueprint("manage", __name__, url_prefix="/manage")
MANAGERS = (Role.MANAGER, Role.ADMIN)


def _load_areas() -> None:
    # Imported for their routes on ``bp``.
    from caseapp.web.manage import audit, dashboard, exports, reassign  # noqa: F401


_load_areas()
