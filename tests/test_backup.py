"""``flask backup create`` / ``backup restore``: a backup restored elsewhere holds every row of
every table and every uploaded file byte for byte, on SQLite and on PostgreSQL; a restore
refuses a non-empty target, a corrupt archive and a database of the other kind."""

from __future__ import annotations

import hashlib
import io
import json
import os
import sqlite3
import stat
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from caseapp import create_app
from caseapp.backup import MANIFEST, PG_MEMBER, SQLITE_MEMBER, create_backup
from caseapp.extensions import db as _db
from caseapp.models import Base, DocumentKind, Role, User
from caseapp.services import cases as case_service
from caseapp.services import checks
from caseapp.services import users as user_service
from caseapp.services.cases import VersionCheck
from caseapp.services.documents import upload_document
from tests import factories
from tests.dbutil import migrate, postgres_url, scratch_postgres_database

PASSPORT = "K98765432"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


@pytest.fixture
def target_url(database_url: str, tmp_path: Path) -> Iterator[str]:
    """An empty database of the same kind as the app's, to restore into."""
    if is_sqlite(database_url):
        (tmp_path / "restored").mkdir()
        yield f"sqlite:///{tmp_path / 'restored' / 'caseapp.sqlite3'}"
    else:
        with scratch_postgres_database(database_url) as url:
            yield url


@pytest.fixture
def restored_app(target_url: str, tmp_path: Path) -> Iterator[Flask]:
    """A second app on the empty target database and its own empty upload folder. Its own
    app, not the suite's shared one, so no setting or hook leaks into other tests."""
    app = create_app({"CASEAPP_ENV": "testing", "SQLALCHEMY_DATABASE_URI": target_url,
                      "UPLOAD_DIR": str(tmp_path / "restored-uploads")})
    yield app
    with app.app_context():
        _db.session.remove()
        _db.engine.dispose()


@pytest.fixture
def client_data(app: Flask, make_user: Any) -> dict[str, Any]:
    """A realistic client file made through the services: applicant, dependant, documents of
    both, verified deposit evidence with its statement, a check run, the audit trail."""
    consultant = make_user(Role.CONSULTANT)
    manager = make_user(Role.MANAGER)
    case = factories.open_case(consultant, passport_number=PASSPORT)
    dependant = case_service.add_dependant(consultant, case, factories.dependant_values(),
                                           VersionCheck.SKIP)
    upload_document(consultant, case, DocumentKind.PASSPORT, "護照 passport.pdf",
                    io.BytesIO(factories.pdf_statement("passport")), VersionCheck.SKIP)
    upload_document(consultant, case, DocumentKind.PHOTO, "photo.png", io.BytesIO(PNG),
                    VersionCheck.SKIP, dependant=dependant)
    factories.verified_deposit(consultant, manager, case)
    checks.run_checks(consultant, case)
    return {"consultant": consultant, "case": case}


def cli(app: Flask, *args: str) -> Any:
    """Run a command on ``app``: in its own context, since a command runs in the current app
    context when there is one (the fixture keeps the suite's app's open)."""
    with app.app_context():
        return app.test_cli_runner().invoke(args=list(args))


def all_rows(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table of the model, and alembic_version, ordered by primary key."""
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            rows = {table.name: [tuple(row) for row in conn.execute(
                        select(table).order_by(*table.primary_key.columns))]
                    for table in Base.metadata.sorted_tables}
            rows["alembic_version"] = [tuple(row) for row in conn.execute(
                text("SELECT version_num FROM alembic_version ORDER BY version_num"))]
            return rows
    finally:
        engine.dispose()


def table_names(url: str) -> set[str]:
    """Every table in the database, the search index's too."""
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            if is_sqlite(url):
                sql = "SELECT name FROM sqlite_master WHERE type = 'table'"
            else:
                sql = "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
            return set(conn.execute(text(sql)).scalars())
    finally:
        engine.dispose()


def file_hashes(folder: Path) -> dict[str, str]:
    return {path.relative_to(folder).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
            for path in sorted(folder.rglob("*")) if path.is_file()}


def rewrite_archive(archive: Path, change: Any) -> None:
    """Rewrite ``archive`` member by member, ``change(name, data)`` giving each one's bytes."""
    with tarfile.open(archive) as source:
        members = [(info, source.extractfile(info).read())  # type: ignore[union-attr]
                   for info in source if info.isfile()]
    with tarfile.open(archive, "w:gz") as out:
        for info, data in members:
            data = change(info.name, data)
            info.size = len(data)
            out.addfile(info, io.BytesIO(data))


def dump_member(database_url: str) -> str:
    return SQLITE_MEMBER if is_sqlite(database_url) else PG_MEMBER


def test_restore_elsewhere_holds_every_row_and_every_file(
        app: Flask, client_data: dict[str, Any], restored_app: Flask, target_url: str,
        tmp_path: Path) -> None:
    archive = tmp_path / "backups" / "caseapp.tar.gz"
    archive.parent.mkdir()
    upload_dir = Path(app.config["UPLOAD_DIR"])

    made = cli(app, "backup", "create", str(archive))

    assert made.exit_code == 0, made.output
    assert stat.S_IMODE(archive.stat().st_mode) == 0o600
    assert [p.name for p in archive.parent.iterdir()] == ["caseapp.tar.gz"]  # no temp left
    with tarfile.open(archive) as tar:
        manifest = json.loads(tar.extractfile(MANIFEST).read())  # type: ignore[union-attr]
    assert manifest["database"]["kind"] == make_url(app.config["SQLALCHEMY_DATABASE_URI"]
                                                    ).get_backend_name()
    assert manifest["database"]["alembic_revision"] == all_rows(
        app.config["SQLALCHEMY_DATABASE_URI"])["alembic_version"][0][0]
    listed = {entry["path"]: entry["sha256"] for entry in manifest["files"]}
    assert {f"uploads/{name}": sha for name, sha in file_hashes(upload_dir).items()} == {
        name: sha for name, sha in listed.items() if name.startswith("uploads/")}
    assert dump_member(app.config["SQLALCHEMY_DATABASE_URI"]) in listed

    restored = cli(restored_app, "backup", "restore", str(archive))

    assert restored.exit_code == 0, restored.output
    source_rows = all_rows(app.config["SQLALCHEMY_DATABASE_URI"])
    assert all_rows(target_url) == source_rows
    assert table_names(target_url) == table_names(app.config["SQLALCHEMY_DATABASE_URI"])
    assert len(source_rows["documents"]) == 3  # passport, photo, the deposit's statement
    assert source_rows["audit_entries"] and source_rows["dependants"]
    assert source_rows["deposit_evidence"] and source_rows["check_runs"]
    restored_uploads = Path(restored_app.config["UPLOAD_DIR"])
    assert file_hashes(restored_uploads) == file_hashes(upload_dir)
    assert len(file_hashes(restored_uploads)) == 3
    assert "documents" in restored.output and "uploaded files" in restored.output
    for output in (made.output, restored.output):
        assert PASSPORT not in output
        assert "Mei Ling" not in output and "護照" not in output

    # The restored app works: a new row takes a fresh id (PostgreSQL's sequences came along).
    with restored_app.app_context():
        user = user_service.create_user("after.restore@example.test", "After Restore",
                                        Role.ADMIN, "password-123")
        assert user.id > max(row[0] for row in source_rows["users"])
        assert _db.session.scalar(select(User).where(User.id == user.id)) is not None


def test_restore_refuses_a_database_that_has_tables(
        app: Flask, client_data: dict[str, Any], restored_app: Flask, target_url: str,
        tmp_path: Path) -> None:
    archive = tmp_path / "b.tar.gz"
    assert cli(app, "backup", "create", str(archive)).exit_code == 0
    migrate(target_url)
    before = all_rows(target_url)

    result = cli(restored_app, "backup", "restore", str(archive))

    assert result.exit_code == 1
    assert "is not empty" in result.output and "Traceback" not in result.output
    assert all_rows(target_url) == before
    assert not Path(restored_app.config["UPLOAD_DIR"]).exists()


def test_restore_refuses_an_upload_folder_with_files(
        app: Flask, client_data: dict[str, Any], restored_app: Flask, target_url: str,
        tmp_path: Path) -> None:
    archive = tmp_path / "b.tar.gz"
    assert cli(app, "backup", "create", str(archive)).exit_code == 0
    upload_dir = Path(restored_app.config["UPLOAD_DIR"])
    upload_dir.mkdir()
    (upload_dir / "left-over.pdf").write_bytes(b"%PDF-1.4 not ours")

    result = cli(restored_app, "backup", "restore", str(archive))

    assert result.exit_code == 1
    assert "upload folder" in result.output and "is not empty" in result.output
    assert table_names(target_url) == set()
    assert [p.name for p in upload_dir.iterdir()] == ["left-over.pdf"]
    assert [p.name for p in upload_dir.parent.iterdir() if p.name.startswith(".caseapp")] == []


def test_restore_refuses_a_corrupted_dump_before_touching_anything(
        app: Flask, client_data: dict[str, Any], restored_app: Flask, target_url: str,
        tmp_path: Path) -> None:
    archive = tmp_path / "b.tar.gz"
    assert cli(app, "backup", "create", str(archive)).exit_code == 0
    member = dump_member(app.config["SQLALCHEMY_DATABASE_URI"])

    def flip_a_byte(name: str, data: bytes) -> bytes:
        if name != member:
            return data
        middle = len(data) // 2
        return data[:middle] + bytes([data[middle] ^ 0xFF]) + data[middle + 1:]

    rewrite_archive(archive, flip_a_byte)
    result = cli(restored_app, "backup", "restore", str(archive))

    assert result.exit_code == 1
    assert "checksum" in result.output and member in result.output
    assert "nothing was restored" in result.output and "Traceback" not in result.output
    assert table_names(target_url) == set()
    assert not Path(restored_app.config["UPLOAD_DIR"]).exists()


def test_restore_refuses_a_truncated_archive(
        app: Flask, client_data: dict[str, Any], restored_app: Flask, target_url: str,
        tmp_path: Path) -> None:
    archive = tmp_path / "b.tar.gz"
    assert cli(app, "backup", "create", str(archive)).exit_code == 0
    archive.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])

    result = cli(restored_app, "backup", "restore", str(archive))

    assert result.exit_code == 1
    assert "not a usable caseapp backup" in result.output
    assert table_names(target_url) == set()


def test_create_refuses_to_overwrite_without_force(app: Flask, client_data: dict[str, Any],
                                                   tmp_path: Path) -> None:
    archive = tmp_path / "b.tar.gz"
    archive.write_bytes(b"an older backup")

    refused = cli(app, "backup", "create", str(archive))

    assert refused.exit_code == 1
    assert "exists" in refused.output and "--force" in refused.output
    assert archive.read_bytes() == b"an older backup"

    forced = cli(app, "backup", "create", "--force", str(archive))

    assert forced.exit_code == 0, forced.output
    assert tarfile.is_tarfile(archive)
    assert stat.S_IMODE(archive.stat().st_mode) == 0o600


def test_create_fails_when_a_documents_file_is_missing(app: Flask, client_data: dict[str, Any],
                                                       tmp_path: Path) -> None:
    upload_dir = Path(app.config["UPLOAD_DIR"])
    lost = sorted(path for path in upload_dir.rglob("*") if path.is_file())[0]
    lost.unlink()
    backups = tmp_path / "backups"
    backups.mkdir()

    result = cli(app, "backup", "create", str(backups / "b.tar.gz"))

    assert result.exit_code == 1
    assert "no file for document id(s)" in result.output
    assert list(backups.iterdir()) == []


def test_a_file_without_a_row_is_kept(app: Flask, client_data: dict[str, Any],
                                      restored_app: Flask, tmp_path: Path) -> None:
    upload_dir = Path(app.config["UPLOAD_DIR"])
    stray = upload_dir / "999" / "0123456789abcdef0123456789abcdef.pdf"
    stray.parent.mkdir()
    stray.write_bytes(b"%PDF-1.4 committed after the snapshot")
    (upload_dir / "999" / ".upload-x.part").write_bytes(b"still being written")
    archive = tmp_path / "b.tar.gz"

    assert cli(app, "backup", "create", str(archive)).exit_code == 0
    assert cli(restored_app, "backup", "restore", str(archive)).exit_code == 0

    restored = Path(restored_app.config["UPLOAD_DIR"])
    assert (restored / "999" / stray.name).read_bytes() == stray.read_bytes()
    assert not (restored / "999" / ".upload-x.part").exists()


def test_restore_refuses_a_database_of_the_other_kind(tmp_path: Path) -> None:
    url = postgres_url()
    if url is None:
        pytest.skip("needs PostgreSQL (scripts/with-postgres)")
    source = tmp_path / "source.sqlite3"
    with sqlite3.connect(source) as conn:
        conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY)")
    conn.close()
    archive = tmp_path / "sqlite.tar.gz"
    create_backup(f"sqlite:///{source}", tmp_path / "no-uploads", archive)
    with scratch_postgres_database(url) as target:
        app = create_app({"CASEAPP_ENV": "testing", "SQLALCHEMY_DATABASE_URI": target,
                          "UPLOAD_DIR": str(tmp_path / "uploads")})

        result = cli(app, "backup", "restore", str(archive))

        assert result.exit_code == 1
        assert "holds a sqlite database; the target is postgresql" in result.output
        assert table_names(target) == set()


def test_restore_checks_the_manifest_lists_exactly_the_archive(
        app: Flask, client_data: dict[str, Any], restored_app: Flask, tmp_path: Path) -> None:
    archive = tmp_path / "b.tar.gz"
    assert cli(app, "backup", "create", str(archive)).exit_code == 0

    def forget_a_file(name: str, data: bytes) -> bytes:
        if name != MANIFEST:
            return data
        manifest = json.loads(data)
        manifest["files"] = [e for e in manifest["files"] if not e["path"].startswith("uploads/")]
        return json.dumps(manifest).encode()

    rewrite_archive(archive, forget_a_file)
    result = cli(restored_app, "backup", "restore", str(archive))

    assert result.exit_code == 1
    assert "not in the manifest" in result.output
    assert not os.path.exists(restored_app.config["UPLOAD_DIR"])


def test_restore_refuses_a_backup_from_a_newer_schema(
        app: Flask, client_data: dict[str, Any], restored_app: Flask, target_url: str,
        tmp_path: Path) -> None:
    archive = tmp_path / "b.tar.gz"
    assert cli(app, "backup", "create", str(archive)).exit_code == 0

    def from_the_future(name: str, data: bytes) -> bytes:
        if name != MANIFEST:
            return data
        manifest = json.loads(data)
        manifest["database"]["alembic_revision"] = "9999"
        return json.dumps(manifest).encode()

    rewrite_archive(archive, from_the_future)
    result = cli(restored_app, "backup", "restore", str(archive))

    assert result.exit_code == 1
    assert "revision 9999, which this version of caseapp does not know" in result.output
    assert table_names(target_url) == set()
