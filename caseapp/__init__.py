"""caseapp: the back-office for preparing Hong Kong QMAS applications."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine

ROOT = Path(__file__).resolve().parent.parent


def create_app(config: dict[str, Any] | str | None = None) -> Flask:
    """Build the app. ``config`` is a config name ("testing") or a dict of overrides."""
    from config import load_config

    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        instance_path=str(ROOT / "instance"),
    )
    if isinstance(config, str):
        app.config.from_mapping(load_config(config))
    else:
        overrides = dict(config or {})
        app.config.from_mapping(load_config(overrides.pop("CASEAPP_ENV", None)))
        app.config.from_mapping(overrides)

    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    from caseapp.web.security import register_request_guards

    register_request_guards(app)
    _register_extensions(app)
    _register_blueprints(app)
    _register_cli(app)
    _register_template_helpers(app)
    _register_error_handlers(app)
    logging.getLogger("caseapp").setLevel(logging.INFO)
    return app


def _register_extensions(app: Flask) -> None:
    from caseapp.extensions import csrf, db, limiter, login_manager
    from caseapp.models import User

    db.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please sign in to continue."
    login_manager.login_message_category = "info"

    @login_manager.user_loader
    def load_user(session_id: str) -> User | None:
        # "<user id>:<session epoch>" (User.get_id): a password change, a reset or a
        # deactivation moved the user's epoch on, and every older session loads no one.
        user_id, _, epoch = session_id.partition(":")
        if not (user_id.isascii() and user_id.isdigit() and epoch.isascii() and epoch.isdigit()):
            return None
        if int(user_id) > 2**31 - 1:
            return None
        user = db.session.get(User, int(user_id))
        # A deactivated user is logged out on their next request.
        if user is None or not user.active or user.session_epoch != int(epoch):
            return None
        return user


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection: Any, connection_record: Any) -> None:
    """SQLite enforces foreign keys only when asked to, per connection. WAL lets readers go on
    while a consultant saves, and with synchronous=NORMAL a commit no longer waits on fsync
    (a power cut may lose the last commits, never corrupt the file)."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.close()


def _register_blueprints(app: Flask) -> None:
    from caseapp.web import (
        admin,
        auth,
        calendar_feed,
        cases,
        checks,
        deadlines,
        deposits,
        documents,
        manage,
        notes,
        profile,
        submission,
        workflow,
    )

    for module in (auth, cases, checks, deposits, documents, workflow, submission, manage,
                   admin, profile, calendar_feed, deadlines, notes):
        app.register_blueprint(module.bp)

    from caseapp.api import init_api

    init_api(app)


def _register_cli(app: Flask) -> None:
    from caseapp.cli import register

    register(app)


def _register_template_helpers(app: Flask) -> None:
    from caseapp.web.helpers import register_template_helpers

    register_template_helpers(app)


def _register_error_handlers(app: Flask) -> None:
    from caseapp.web.errors import register_error_handlers

    register_error_handlers(app)
