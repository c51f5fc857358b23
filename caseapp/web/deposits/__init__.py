"""Deposit evidence pages (record, edit, verify, reject) and the reference-rate look-up."""

from caseapp.web.deposits.routes import bp

__all__ = ["bp"]
