"""Use cases that change state: one transaction each, the audit trail written here."""
