"""Document pages (upload, replace, download)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("documents", __name__)
