"""Migrations build the schema from empty, match the models, and go down again, on both
databases."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect

from caseapp.models import Base
from caseapp.models.base import include_object, is_search_table
from tests.dbutil import (
    PG_SKIP_REASON,
    alembic_config,
    downgrade,
    migrate,
    postgres_url,
    scratch_postgres_database,
)


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.sqlite3'}"
        return
    base = postgres_url()
    if base is None:
        pytest.skip(PG_SKIP_REASON)
    with scratch_postgres_database(base) as url:
        yield url


def _tables(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        names = set(inspect(engine).get_table_names()) - {"alembic_version"}
        return {name for name in names if not is_search_table(name)}
    finally:
        engine.dispose()


def _drift(url: str) -> list[object]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True,
                                                          "include_object": include_object})
            return compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()


def test_upgrade_from_empty_builds_every_table_of_the_models(empty_database: str) -> None:
    migrate(empty_database)
    assert _tables(empty_database) == set(Base.metadata.tables)


def test_models_and_migrations_agree(empty_database: str) -> None:
    migrate(empty_database)
    assert _drift(empty_database) == []


def test_every_revision_goes_down_and_up_again(empty_database: str) -> None:
    script = ScriptDirectory.from_config(alembic_config(empty_database))
    revisions = [r.revision for r in script.walk_revisions("base", "heads")]
    migrate(empty_database)
    for revision in revisions:  # newest first: down one step at a time
        downgrade(empty_database, "-1")
        migrate(empty_database, revision)
        downgrade(empty_database, "-1")
    assert _tables(empty_database) == set()
    migrate(empty_database)
    assert _tables(empty_database) == set(Base.metadata.tables)
