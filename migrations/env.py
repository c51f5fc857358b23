"""Alembic environment: the URL and metadata come from the app, never from alembic.ini."""

from __future__ import annotations

from logging.config import fileConfig
from pathlib import Path

from alembic import context
from sqlalchemy import Connection, create_engine, pool
from sqlalchemy.engine import make_url

from caseapp.models import Base
from caseapp.models.base import UTCDateTime, include_object

config = context.config
if config.config_file_name is not None and not config.attributes.get("skip_logging"):
    fileConfig(config.config_file_name, disable_existing_loggers=False)

target_metadata = Base.metadata


def database_url() -> str:
    """An explicit ``sqlalchemy.url`` (tests) wins; otherwise the app's configuration."""
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        from config import load_config

        url = str(load_config()["SQLALCHEMY_DATABASE_URI"])
    _ensure_sqlite_directory(url)
    return url


def _ensure_sqlite_directory(url: str) -> None:
    """A fresh checkout has no instance/ folder yet; SQLite creates the file, not the folder."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)


def render_item(type_: str, obj: object, autogen_context: object) -> str | bool:
    """Write app column types as plain SQLAlchemy ones, so revisions never import the app."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _configure(**kwargs: object) -> None:
    context.configure(
        target_metadata=target_metadata,
        compare_type=True,
        render_item=render_item,
        include_object=include_object,
        render_as_batch=True,  # SQLite alters tables by copying them
        **kwargs,
    )


def run_migrations_offline() -> None:
    _configure(url=database_url(), literal_binds=True, dialect_opts={"paramstyle": "named"})
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection=connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_engine(database_url(), poolclass=pool.NullPool)
    with engine.connect() as connection:
        _without_sqlite_foreign_keys(connection)
        _configure(connection=connection)
        with context.begin_transaction():
            context.run_migrations()


def _without_sqlite_foreign_keys(connection: Connection) -> None:
    """SQLite alters a table by copying it and dropping the old one, and with foreign keys on
    that DROP deletes, by ON DELETE CASCADE, every row that points at the table: rebuilding
    ``cases`` would empty applicants, dependants, deposits and history. The app turns the
    checks on for every connection; a migration runs without them (the pragma only works
    outside a transaction), as SQLite's documentation for schema changes asks."""
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
        connection.commit()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
