"""Schemathesis fuzzes every operation of the API from its own OpenAPI document, in-process.

The run is the one ``schemathesis run`` makes (its engine, every phase but the stateful one,
every check on), against the app through WSGI, bounded in examples so the suite stays fast.
It works as an admin (no role check refuses one, though opening a case is a consultant's)
with a real token, against a case that exists, so it reaches past the 404 of a random
reference. Around every request the whole database is digested: a rejected
request (4xx) must have changed nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

import pytest
import schemathesis
from flask import Flask
from schemathesis.engine import Status, events, from_schema
from schemathesis.hooks import GLOBAL_HOOK_DISPATCHER
from schemathesis.specs.openapi import _auth_retry
from sqlalchemy import select, text

from caseapp.extensions import db
from caseapp.models import Base, Role, User
from tests.factories import open_case

MAX_EXAMPLES = 8
# Written by a successful authentication, not by the request's own work.
IGNORED_COLUMNS = {("api_tokens", "last_used_at")}


def _row_digest_sql(app: Flask) -> str | None:
    """On PostgreSQL one statement digests every table: a round trip per table, twice per
    request, more than doubled the run there. SQLite, in-process, reads the rows."""
    if _db_dialect(app) != "postgresql":
        return None
    parts = []
    for table in Base.metadata.sorted_tables:
        columns = ", ".join(f't."{c.name}"' for c in table.columns
                            if (table.name, c.name) not in IGNORED_COLUMNS)
        parts.append(f"(SELECT md5(coalesce(string_agg(row({columns})::text, '|' "
                     f"ORDER BY row({columns})::text), '')) FROM \"{table.name}\" t)")
    return "SELECT " + " || ".join(parts)


def _db_dialect(app: Flask) -> str:
    with app.app_context():
        return db.engine.dialect.name


def database_state(app: Flask, digest_sql: str | None) -> str:
    """A digest of every row of every table (but the columns authentication touches)."""
    with app.app_context():
        if digest_sql is not None:
            state = str(db.session.execute(text(digest_sql)).scalar_one())
            db.session.remove()
            return state
        digest = hashlib.sha256()
        for table in Base.metadata.sorted_tables:
            columns = [c for c in table.columns if (table.name, c.name) not in IGNORED_COLUMNS]
            order = list(table.primary_key.columns) or columns
            for row in db.session.execute(select(*columns).order_by(*order)):
                digest.update(repr((table.name, tuple(row))).encode())
        db.session.remove()
    return digest.hexdigest()


@pytest.fixture
def fuzzed(app: Flask, make_user: Callable[..., User],
           make_token: Callable[..., str]) -> dict[str, Any]:
    consultant = make_user(Role.CONSULTANT, name="Fuzz Consultant")
    admin = make_user(Role.ADMIN, name="Fuzz Admin")
    case = open_case(consultant)
    return {"secret": make_token(admin, name="Fuzzer"), "reference": case.reference}


def describe(label: str, check: Any) -> str:
    """A failed check as a reader can act on it: what was sent, what came back."""
    info = check.failure_info
    return (f"{label}: {check.name}: {info.failure.title}\n  {info.failure.message.strip()}\n"
            f"  {info.code_sample}")


@pytest.fixture
def in_process_probes(monkeypatch: pytest.MonkeyPatch) -> None:
    """schemathesis 4.32's ``ignored_auth`` check re-sends a request without credentials and
    hands the WSGI client the socket-level ``max_redirects`` it only strips for a network
    session (a TypeError in werkzeug). Strip it here, so that check runs in-process too."""
    original = _auth_retry.build_retry_transport_kwargs

    def without_socket_settings(*args: Any, **kwargs: Any) -> dict[str, Any]:
        sent = original(*args, **kwargs)
        for name in ("max_redirects", "verify", "cert", "proxies"):
            sent.pop(name, None)
        return sent

    monkeypatch.setattr(_auth_retry, "build_retry_transport_kwargs", without_socket_settings)


@pytest.mark.usefixtures("in_process_probes")
def test_the_api_holds_to_its_own_document(app: Flask, fuzzed: dict[str, Any]) -> None:
    config = schemathesis.config.SchemathesisConfig.from_dict({
        "headers": {"Authorization": f"Bearer {fuzzed['secret']}"},
        "parameters": {"reference": fuzzed["reference"]},
        # The same cases every run, and nothing learnt from an earlier run (no cache, no
        # example database): a failure here reproduces, and the tree stays clean.
        "generation": {"max-examples": MAX_EXAMPLES, "deterministic": True,
                       "database": "none"},
        "cache": {"enabled": False},
        "phases": {"stateful": {"enabled": False}},
        "checks": {
            # A request can match the document and still break a rule no JSON Schema states
            # (a range whose end is before its start, a consultant id nobody has, a version
            # someone else moved on): the API answers 422 with per-field messages, or 412.
            "positive_data_acceptance": {"expected-statuses": [
                "2xx", "401", "403", "404", "409", "412", "422", "429"]},
            # 428 Precondition Required (RFC 6585) is the status for a missing If-Match.
            "missing_required_header": {"expected-statuses": [
                "400", "401", "403", "406", "415", "422", "428"]},
        },
    })
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app, config=config)
    digest_sql = _row_digest_sql(app)
    states: dict[str, str] = {}
    changed: list[str] = []

    def before_call(context: Any, case: Any, kwargs: Any) -> None:
        states[case.id] = database_state(app, digest_sql)

    def after_call(context: Any, case: Any, response: Any) -> None:
        if response.status_code >= 400 and database_state(app, digest_sql) != states.pop(case.id):
            changed.append(f"{case.method} {case.formatted_path} -> {response.status_code}")

    failures: list[str] = []
    operations = 0
    for hook in (before_call, after_call):
        GLOBAL_HOOK_DISPATCHER.hook(hook)
    try:
        run = list(from_schema(schema).execute())
    finally:
        for hook in (before_call, after_call):
            GLOBAL_HOOK_DISPATCHER.unregister(hook)
    for event in run:
        if isinstance(event, events.ScenarioFinished):
            operations += 1
            if event.status in (Status.FAILURE, Status.ERROR):
                for checks in event.recorder.checks.values():
                    failures += [describe(event.label, c) for c in checks
                                 if c.failure_info is not None]
        elif isinstance(event, events.NonFatalError | events.FatalError):
            failures.append(f"error: {event.info.format() if hasattr(event, 'info') else event}")
    assert operations > 0
    assert not failures, "\n".join(sorted(set(failures)))
    assert not changed, "rejected requests changed the database:\n" + "\n".join(changed)


def test_the_database_digest_sees_any_change_of_a_row(app: Flask, consultant: User) -> None:
    """The comparison above is only as good as its digest: one changed value must show."""
    from caseapp.models import Applicant

    digest_sql = _row_digest_sql(app)
    case = open_case(consultant)
    before = database_state(app, digest_sql)
    assert database_state(app, digest_sql) == before
    applicant = db.session.get(Applicant, case.applicant.id)
    applicant.chinese_name = "陳"
    db.session.commit()
    assert database_state(app, digest_sql) != before
