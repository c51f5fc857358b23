"""Fixtures: an app and an isolated database per test, on SQLite always and on PostgreSQL
when CASEAPP_TEST_DATABASE_URL is set; users and logged-in clients per role."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask, g
from flask.testing import FlaskClient
from sqlalchemy import event

from caseapp import create_app
from caseapp.extensions import db as _db
from caseapp.extensions import limiter
from caseapp.models import Base, Role, User
from caseapp.services import users as user_service
from tests.dbutil import PG_SKIP_REASON, empty_all_tables, migrate, postgres_url

BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A database migrated to head, once per test run and backend."""
    if request.param == "postgresql":
        url = postgres_url()
        if url is None:
            pytest.skip(PG_SKIP_REASON)
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'caseapp-test.sqlite3'}"
    migrate(url)
    return url


_APPS: dict[str, tuple[Flask, dict[str, Any]]] = {}


def _app_for(database_url: str) -> tuple[Flask, dict[str, Any]]:
    """One app per database for the whole run, and its settings as made. Building an app
    compiles every URL rule (about 75 ms with the API's): once per test was minutes a run."""
    if database_url not in _APPS:
        app = create_app({"CASEAPP_ENV": "testing", "SQLALCHEMY_DATABASE_URI": database_url})

        def _load_the_user_of_this_request() -> None:
            # The fixture keeps one app context open for the whole test, and Flask-Login
            # caches the signed-in user in its ``g``: forget it, as a real request's own
            # context would, so that two clients of two users in one test are each themselves.
            # First of all the hooks: the app's own (web.auth's session rules) read the user.
            g.pop("_login_user", None)

        app.before_request_funcs.setdefault(None, []).insert(0, _load_the_user_of_this_request)

        _APPS[database_url] = (app, copy.deepcopy(dict(app.config)))
    return _APPS[database_url]


@pytest.fixture
def app(database_url: str, tmp_path: Any) -> Iterator[Flask]:
    """The app on an empty database, with the settings it was made with (a test may change
    them; the next test starts from them again) and uploads under this test's own folder."""
    app, settings = _app_for(database_url)
    app.config.clear()
    app.config.update(copy.deepcopy(settings))
    app.config["UPLOAD_DIR"] = str(tmp_path / "uploads")
    # The limiter is one object for the process: an app a test made with limits on (the rate
    # limit tests) leaves it enabled and counting. Back to this app's setting, no hits.
    limiter.enabled = bool(app.config["RATELIMIT_ENABLED"])
    with app.app_context():
        if limiter.enabled:
            limiter.reset()
        yield app
        _db.session.remove()
        empty_all_tables(_db.engine, Base.metadata)
        _db.engine.dispose()


@pytest.fixture
def db(app: Flask) -> Any:
    return _db


@pytest.fixture
def make_user(app: Flask) -> Callable[..., User]:
    counter = iter(range(1, 10_000))

    def make(role: Role = Role.CONSULTANT, name: str | None = None, password: str = "password-123",
             email: str | None = None) -> User:
        n = next(counter)
        return user_service.create_user(
            email or f"{role.value}{n}@example.test",
            name or f"{role.value.capitalize()} {n}",
            role,
            password,
        )

    return make


@pytest.fixture
def consultant(make_user: Callable[..., User]) -> User:
    return make_user(Role.CONSULTANT, name="Connie Consultant")


@pytest.fixture
def other_consultant(make_user: Callable[..., User]) -> User:
    return make_user(Role.CONSULTANT, name="Carl Consultant")


@pytest.fixture
def manager(make_user: Callable[..., User]) -> User:
    return make_user(Role.MANAGER, name="Mona Manager")


@pytest.fixture
def admin(make_user: Callable[..., User]) -> User:
    return make_user(Role.ADMIN, name="Ada Admin")


def login_client(app: Flask, user: User) -> FlaskClient:
    """A test client with ``user`` signed in through Flask-Login's session keys."""
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True
    return client


@pytest.fixture
def client_for(app: Flask) -> Callable[[User], FlaskClient]:
    return lambda user: login_client(app, user)


@pytest.fixture
def consultant_client(app: Flask, consultant: User) -> FlaskClient:
    return login_client(app, consultant)


@pytest.fixture
def manager_client(app: Flask, manager: User) -> FlaskClient:
    return login_client(app, manager)


class StatementCounter:
    def __init__(self) -> None:
        self.statements: list[str] = []

    @property
    def count(self) -> int:
        return len(self.statements)

    def reset(self) -> None:
        self.statements.clear()


@pytest.fixture
def count_statements(app: Flask) -> Iterator[StatementCounter]:
    """Counts the SQL statements the app sends while the test runs."""
    counter = StatementCounter()

    def before_cursor_execute(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        counter.statements.append(statement)

    engine = _db.engine
    event.listen(engine, "before_cursor_execute", before_cursor_execute)
    yield counter
    event.remove(engine, "before_cursor_execute", before_cursor_execute)
