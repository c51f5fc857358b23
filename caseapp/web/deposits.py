"""Deposit evidence pages (record, edit, verify, reject)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("deposits", __name__)
