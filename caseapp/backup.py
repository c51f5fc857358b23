"""Backup and restore: the database and the uploaded documents in one archive.

``create_backup`` writes a gzipped tar holding

* ``database/caseapp.sqlite3`` (a copy made with SQLite's online backup API) or
  ``database/caseapp.pgdump`` (``pg_dump --format=custom --no-owner --no-privileges``);
* ``uploads/<case id>/<stored name>``: every file under the upload directory;
* ``manifest.json``: format version, database kind, Alembic revision, creation time (UTC), row
  counts per table, and every other member with its size and SHA-256.

Why the pair is consistent: the documents service gives an upload its final name *before* the
transaction that adds its row commits, and the app never deletes a document's file. So the
database is dumped first (one snapshot: SQLite's backup API, or pg_dump inside a transaction
whose snapshot the check below shares), and the upload folder is copied afterwards: every row in
the snapshot had its file on disk before the snapshot was taken. A file without a row (an upload
committed after the snapshot, or one whose transaction failed) is harmless and is kept. A row
without its file is not: every document the dumped database lists must be in the archive with
the size and SHA-256 its row records, or the backup fails and no archive is left behind.

``restore_backup`` checks the archive against its manifest before touching anything, then
refuses a target database that has any table (SQLite: any table in the file; PostgreSQL: any
table in the ``public`` schema), a non-empty upload folder, or a database of the other kind.

Nothing here prints or returns personal data: counts, sizes, ids and stored (random) names only.
This module knows no Flask; the CLI (``caseapp.cli``) passes the URL and folders in.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import IO, Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.pool import NullPool

FORMAT = "caseapp-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
SQLITE_MEMBER = "database/caseapp.sqlite3"
PG_MEMBER = "database/caseapp.pgdump"
UPLOADS = "uploads"
CHUNK = 1024 * 1024
# The documents service writes an upload as ".upload-*.part" beside its final name first.
IN_FLIGHT_UPLOAD = re.compile(r"^\.upload-.*\.part$")
PG_BIN_ROOT = Path("/usr/lib/postgresql")


class BackupError(Exception):
    """An expected failure, with a one-line message fit for an operator (no personal data)."""


@dataclass
class BackupResult:
    path: Path
    kind: str
    alembic_revision: str | None
    tables: dict[str, int]
    files: int
    upload_bytes: int
    archive_bytes: int


@dataclass
class RestoreResult:
    kind: str
    alembic_revision: str | None
    tables: dict[str, int]
    files: int
    upload_bytes: int
    created_at: str
    notes: list[str] = field(default_factory=list)


# ------------------------------------------------------------------------ helpers --


def database_kind(database_url: str) -> str:
    """``sqlite`` or ``postgresql``; any other database is refused."""
    backend = make_url(database_url).get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise BackupError(f"Backups support SQLite and PostgreSQL, not {backend}.")
    return backend


def _sqlite_path(database_url: str) -> Path:
    database = make_url(database_url).database
    if not database or database == ":memory:" or database.startswith("file::memory:"):
        raise BackupError("The database is in memory: there is no file to back up or restore.")
    return Path(database)


def libpq_url(database_url: str) -> tuple[str, dict[str, str]]:
    """The SQLAlchemy URL ``postgresql+psycopg://...`` as a libpq connection URI, and the
    environment that carries its password (so the password never shows in a process list)."""
    url = make_url(database_url)
    env = {"PGPASSWORD": url.password} if url.password else {}
    plain: URL = url.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _describe(database_url: str) -> str:
    """Where a database is, for messages: never its password."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        return f"SQLite file {url.database}"
    return f"PostgreSQL database {url.database} on {url.host or 'localhost'}"


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


class _HashingReader(io.RawIOBase):
    """Reads through a file, hashing the bytes that pass: one read per upload, not two."""

    def __init__(self, stream: IO[bytes]) -> None:
        self.stream = stream
        self.digest = hashlib.sha256()

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        chunk = self.stream.read(size)
        self.digest.update(chunk)
        return chunk


def _stderr_summary(stderr: str) -> str:
    """The tool's own error lines, without the CONTEXT/DETAIL lines that can quote row data
    (a COPY error quotes the row it failed on)."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    kept = [line[:200] for line in lines
            if not re.match(r"^(CONTEXT|DETAIL|LINE \d+|HINT):", line)
            and not line.startswith(("Command was:", "COPY "))]
    return "; ".join(kept[-3:]) or "no message"


# ------------------------------------------------------------ pg_dump, pg_restore --


def _major(version_text: str) -> int:
    match = re.search(r"(\d+)(?:\.\d+)?", version_text)
    if match is None:
        raise BackupError(f"Cannot read a PostgreSQL version from {version_text!r}.")
    return int(match.group(1))


def _tool_version(binary: Path) -> str:
    try:
        out = subprocess.run([str(binary), "--version"], capture_output=True, text=True,
                             check=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError) as error:
        raise BackupError(f"{binary} --version failed: {error}") from None
    # "pg_dump (PostgreSQL) 15.5 (Debian 15.5-0+deb12u1)"
    match = re.search(r"\)\s*(\d+(?:\.\d+)*)", out)
    if match is None:
        raise BackupError(f"Cannot read the version of {binary} from {out.strip()!r}.")
    return match.group(1)


def _candidates(tool: str, bindir: str | None) -> list[Path]:
    if bindir:
        return [Path(bindir) / tool]
    found: list[Path] = []
    on_path = shutil.which(tool)
    if on_path:
        found.append(Path(on_path))
    versions = []
    for directory in PG_BIN_ROOT.glob("*/bin"):
        if directory.parent.name.isdigit() and (directory / tool).is_file():
            versions.append((int(directory.parent.name), directory / tool))
    found.extend(path for _, path in sorted(versions, reverse=True))
    return found


def find_pg_tool(tool: str, bindir: str | None, at_least: int) -> tuple[Path, str]:
    """``tool`` (pg_dump, pg_restore) of major version ``at_least`` or newer, and its version.

    Looks in ``bindir`` (the PG_BINDIR setting, ``CASEAPP_PG_BINDIR``) only when it is set;
    otherwise on PATH, then in /usr/lib/postgresql/<version>/bin, highest version first."""
    seen = []
    for binary in _candidates(tool, bindir):
        if not os.access(binary, os.X_OK):
            seen.append(f"{binary} (not executable)")
            continue
        version = _tool_version(binary)
        if _major(version) >= at_least:
            return binary, version
        seen.append(f"{binary} ({version})")
    where = f"in CASEAPP_PG_BINDIR={bindir}" if bindir else \
        f"on PATH or in {PG_BIN_ROOT}/*/bin"
    tried = f"; found {', '.join(seen)}" if seen else ""
    raise BackupError(f"No {tool} of PostgreSQL {at_least} or newer {where}{tried}. Install "
                      f"the PostgreSQL {at_least} client or set CASEAPP_PG_BINDIR.")


def _run_tool(command: list[str], env: dict[str, str], what: str) -> None:
    try:
        done = subprocess.run(command, capture_output=True, text=True,
                              env={**os.environ, **env}, check=False)
    except OSError as error:
        raise BackupError(f"{what} could not start {command[0]}: {error}") from None
    if done.returncode != 0:
        raise BackupError(f"{what} failed ({command[0]} exit status {done.returncode}): "
                          f"{_stderr_summary(done.stderr)}")


# --------------------------------------------------------------------- snapshots --


@dataclass
class _Snapshot:
    """What the dumped database holds, read from the same snapshot as the dump."""

    alembic_revision: str | None
    tables: dict[str, int]
    # (document id, upload path relative to the upload folder, size, sha256)
    documents: list[tuple[int, str, int, str]]
    extra: dict[str, str] = field(default_factory=dict)


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _read_snapshot(conn: Connection | sqlite3.Connection, table_names: list[str]) -> _Snapshot:
    def rows(sql: str) -> list[Any]:
        if isinstance(conn, sqlite3.Connection):
            return conn.execute(sql).fetchall()
        return list(conn.execute(text(sql)).all())

    tables = {name: int(rows(f"SELECT count(*) FROM {_quote(name)}")[0][0])
              for name in sorted(table_names)}
    revision = None
    if "alembic_version" in tables:
        found = rows("SELECT version_num FROM alembic_version")
        revision = ",".join(sorted(str(row[0]) for row in found)) or None
    documents = []
    if "documents" in tables:
        documents = [(int(doc_id), f"{int(case_id)}/{stored_name}", int(size), str(sha))
                     for doc_id, case_id, stored_name, size, sha in rows(
                         "SELECT id, case_id, stored_name, size_bytes, sha256 FROM documents "
                         "ORDER BY id")]
    return _Snapshot(revision, tables, documents)


def _sqlite_tables(conn: sqlite3.Connection) -> list[str]:
    # FTS5 shadow tables are tables too; sqlite_* are SQLite's own.
    return [row[0] for row in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' "
        "ESCAPE '\\'")]


def _dump_sqlite(database_url: str, target: Path) -> _Snapshot:
    source_path = _sqlite_path(database_url)
    if not source_path.is_file():
        raise BackupError(f"{_describe(database_url)} does not exist.")
    source = sqlite3.connect(source_path)
    copy = sqlite3.connect(target)
    try:
        # One consistent snapshot, even while the app writes (it restarts if a writer
        # changes the database mid-copy).
        source.backup(copy)
        # A self-contained file: no -wal beside it.
        copy.execute("PRAGMA journal_mode=DELETE")
        return _read_snapshot(copy, _sqlite_tables(copy))
    except sqlite3.Error as error:
        raise BackupError(f"Copying the SQLite database failed: {error}") from None
    finally:
        copy.close()
        source.close()


def _server_major(conn: Connection) -> int:
    return int(conn.execute(text("SHOW server_version_num")).scalar_one()) // 10000


def _pg_tables(conn: Connection) -> list[str]:
    return list(conn.execute(text(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")).scalars())


def _dump_postgres(database_url: str, target: Path, bindir: str | None) -> _Snapshot:
    engine = create_engine(database_url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            # pg_dump runs in this transaction's snapshot (--snapshot), so the documents and
            # counts read here are exactly those in the dump.
            conn.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"))
            snapshot_id = conn.execute(text("SELECT pg_export_snapshot()")).scalar_one()
            server = _server_major(conn)
            pg_dump, version = find_pg_tool("pg_dump", bindir, server)
            url, env = libpq_url(database_url)
            _run_tool([str(pg_dump), "--format=custom", "--no-owner", "--no-privileges",
                       f"--snapshot={snapshot_id}", f"--file={target}", f"--dbname={url}"],
                      env, "pg_dump")
            snapshot = _read_snapshot(conn, _pg_tables(conn))
            conn.rollback()
    except BackupError:
        raise
    except Exception as error:  # connection refused, authentication...: the driver's words
        raise BackupError(f"Reading {_describe(database_url)} failed: "
                          f"{type(error).__name__}: {str(error).splitlines()[0]}") from None
    finally:
        engine.dispose()
    snapshot.extra = {"pg_dump_version": version, "server_major": str(server)}
    return snapshot


# ------------------------------------------------------------------------ create --


def _upload_files(upload_dir: Path) -> Iterator[tuple[Path, str]]:
    """Every regular file under the upload folder and its archive name, in a stable order;
    uploads still being written are left out, symbolic links refused."""
    if not upload_dir.exists():
        return
    for directory, dirnames, filenames in os.walk(upload_dir):
        dirnames.sort()
        for name in sorted(filenames):
            path = Path(directory) / name
            if IN_FLIGHT_UPLOAD.match(name):
                continue
            if path.is_symlink() or not path.is_file():
                raise BackupError(f"{path} is not a regular file: the upload folder should "
                                  "hold only the app's files.")
            yield path, (PurePosixPath(UPLOADS) / path.relative_to(upload_dir).as_posix()
                         ).as_posix()


def _add_file(archive: tarfile.TarFile, path: Path, name: str) -> dict[str, Any]:
    with path.open("rb") as stream:
        info = archive.gettarinfo(fileobj=stream, arcname=name)
        info.uid = info.gid = 0
        info.uname = info.gname = ""
        info.mode = 0o600
        reader = _HashingReader(stream)
        archive.addfile(info, reader)  # type: ignore[arg-type]
    return {"path": name, "size": info.size, "sha256": reader.digest.hexdigest()}


def _add_bytes(archive: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = 0o600
    info.mtime = int(datetime.now(UTC).timestamp())
    archive.addfile(info, io.BytesIO(data))


def _check_documents(snapshot: _Snapshot, files: dict[str, dict[str, Any]]) -> None:
    """Every document row of the dump has its file in the archive, as its row describes it."""
    missing, different = [], []
    for doc_id, relative, size, sha in snapshot.documents:
        entry = files.get(f"{UPLOADS}/{relative}")
        if entry is None:
            missing.append(doc_id)
        elif entry["size"] != size or entry["sha256"] != sha:
            different.append(doc_id)
    problems = []
    if missing:
        problems.append(f"no file for document id(s) {_ids(missing)}")
    if different:
        problems.append(f"the file of document id(s) {_ids(different)} does not match the "
                        "size or SHA-256 recorded when it was uploaded")
    if problems:
        raise BackupError("Backup not written: " + "; ".join(problems)
                          + ". The upload folder has lost or changed documents; restore them "
                          "before backing up.")


def _ids(ids: list[int]) -> str:
    shown = ", ".join(str(i) for i in ids[:20])
    return shown + (f" and {len(ids) - 20} more" if len(ids) > 20 else "")


def create_backup(database_url: str, upload_dir: Path, path: Path, *, force: bool = False,
                  pg_bindir: str | None = None) -> BackupResult:
    """Write the archive to ``path`` (0600), atomically: a temporary file beside it, renamed
    into place when complete. An existing ``path`` is refused unless ``force``."""
    kind = database_kind(database_url)
    path = Path(path)
    if path.exists() and not force:
        raise BackupError(f"{path} exists: choose a new name, or --force to replace it.")
    if path.is_dir():
        raise BackupError(f"{path} is a directory: give the archive's file name.")
    if not path.parent.is_dir():
        raise BackupError(f"{path.parent} is not a directory.")
    if path.resolve().is_relative_to(Path(upload_dir).resolve()):
        raise BackupError("Write the archive outside the upload folder.")

    with tempfile.TemporaryDirectory(dir=path.parent, prefix=".caseapp-backup-") as staging:
        dump = Path(staging) / "dump"
        if kind == "sqlite":
            member = SQLITE_MEMBER
            snapshot = _dump_sqlite(database_url, dump)
        else:
            member = PG_MEMBER
            snapshot = _dump_postgres(database_url, dump, pg_bindir)
        os.chmod(dump, 0o600)

        # mkstemp: 0600 from the start, a name nobody can predict, beside the final one.
        fd, temp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.",
                                         suffix=".part")
        temp_path = Path(temp_name)
        try:
            with os.fdopen(fd, "wb") as out:
                with tarfile.open(fileobj=out, mode="w:gz") as archive:
                    entries = [_add_file(archive, dump, member)]
                    uploads: dict[str, dict[str, Any]] = {}
                    for upload, name in _upload_files(upload_dir):
                        uploads[name] = _add_file(archive, upload, name)
                    _check_documents(snapshot, uploads)
                    entries.extend(uploads.values())
                    manifest = {
                        "format": FORMAT,
                        "format_version": FORMAT_VERSION,
                        "created_at": datetime.now(UTC).isoformat(timespec="seconds")
                                      .replace("+00:00", "Z"),
                        "database": {"kind": kind, "file": member,
                                     "alembic_revision": snapshot.alembic_revision,
                                     "tables": snapshot.tables, **snapshot.extra},
                        "files": entries,
                    }
                    _add_bytes(archive, MANIFEST,
                               json.dumps(manifest, indent=2, sort_keys=True).encode())
                out.flush()
                os.fsync(out.fileno())
            if force:
                os.replace(temp_path, path)
            else:
                # A hard link never replaces: someone may have made ``path`` meanwhile.
                try:
                    os.link(temp_path, path)
                except FileExistsError:
                    raise BackupError(f"{path} exists: choose a new name, or --force to "
                                      "replace it.") from None
                temp_path.unlink()
        except BaseException:
            temp_path.unlink(missing_ok=True)
            raise
    _fsync_directory(path.parent)
    return BackupResult(path=path, kind=kind, alembic_revision=snapshot.alembic_revision,
                        tables=snapshot.tables, files=len(uploads),
                        upload_bytes=sum(e["size"] for e in uploads.values()),
                        archive_bytes=path.stat().st_size)


def _fsync_directory(directory: Path) -> None:
    with contextlib.suppress(OSError):  # not every filesystem lets a directory be fsynced
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


# ----------------------------------------------------------------------- restore --


def _safe_member_name(name: str) -> bool:
    pure = PurePosixPath(name)
    return (not pure.is_absolute() and ".." not in pure.parts and name == pure.as_posix()
            and (name == MANIFEST or name in (SQLITE_MEMBER, PG_MEMBER)
                 or (pure.parts[0] == UPLOADS and len(pure.parts) >= 2)))


def _unpack(path: Path, staging: Path) -> dict[str, Any]:
    """Extract the archive into ``staging`` and check every member against the manifest:
    the same set of files, each with its size and SHA-256. Returns the manifest."""
    corrupt = f"{path} is not a usable caseapp backup"
    found: dict[str, tuple[int, str]] = {}
    manifest_bytes = None
    try:
        with tarfile.open(path, mode="r:*") as archive:
            for info in archive:
                if info.isdir():
                    continue
                if not info.isfile() or not _safe_member_name(info.name):
                    raise BackupError(f"{corrupt}: unexpected member {info.name!r}.")
                if info.name in found or (info.name == MANIFEST and manifest_bytes):
                    raise BackupError(f"{corrupt}: {info.name!r} appears twice.")
                stream = archive.extractfile(info)
                assert stream is not None
                if info.name == MANIFEST:
                    manifest_bytes = stream.read()
                    continue
                target = staging / info.name
                target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
                digest = hashlib.sha256()
                with target.open("xb") as out:
                    os.chmod(target, 0o600)
                    while chunk := stream.read(CHUNK):
                        digest.update(chunk)
                        out.write(chunk)
                found[info.name] = (info.size, digest.hexdigest())
    except (tarfile.TarError, EOFError, OSError, ValueError) as error:
        if isinstance(error, FileNotFoundError) and not path.exists():
            raise BackupError(f"{path} does not exist.") from None
        raise BackupError(f"{corrupt}: {type(error).__name__}: {error}") from None

    if manifest_bytes is None:
        raise BackupError(f"{corrupt}: it has no {MANIFEST}.")
    try:
        manifest = json.loads(manifest_bytes)
        if manifest.get("format") != FORMAT:
            raise BackupError(f"{corrupt}: its manifest is not a caseapp backup's.")
        if manifest.get("format_version") != FORMAT_VERSION:
            raise BackupError(f"{path} is backup format version {manifest.get('format_version')}"
                              f"; this caseapp reads version {FORMAT_VERSION}.")
        listed = {entry["path"]: (int(entry["size"]), str(entry["sha256"]))
                  for entry in manifest["files"]}
        kind = manifest["database"]["kind"]
        member = manifest["database"]["file"]
    except (ValueError, KeyError, TypeError, AttributeError):
        raise BackupError(f"{corrupt}: its manifest cannot be read.") from None

    bad = sorted(name for name in listed.keys() & found.keys() if listed[name] != found[name])
    missing = sorted(listed.keys() - found.keys())
    extra = sorted(found.keys() - listed.keys())
    if bad or missing or extra:
        parts = []
        if bad:
            parts.append(f"checksum or size mismatch in {_names(bad)}")
        if missing:
            parts.append(f"missing {_names(missing)}")
        if extra:
            parts.append(f"not in the manifest: {_names(extra)}")
        raise BackupError(f"{path} is corrupt or was altered ({'; '.join(parts)}): nothing "
                          "was restored.")
    expected_member = {"sqlite": SQLITE_MEMBER, "postgresql": PG_MEMBER}.get(kind)
    if expected_member is None or member != expected_member or member not in found:
        raise BackupError(f"{corrupt}: its manifest names no database dump it holds.")
    return dict(manifest)


def _names(names: list[str]) -> str:
    return ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")


def _upload_dir_is_empty(upload_dir: Path) -> bool:
    if not upload_dir.exists():
        return True
    if not upload_dir.is_dir():
        raise BackupError(f"The upload folder {upload_dir} is not a directory.")
    return next(upload_dir.iterdir(), None) is None


def _sqlite_target_tables(target: Path) -> list[str]:
    if not target.exists():
        return []
    conn = sqlite3.connect(f"{target.resolve().as_uri()}?mode=ro", uri=True)
    try:
        return _sqlite_tables(conn)
    except sqlite3.DatabaseError as error:
        raise BackupError(f"{target} is not an SQLite database: {error}") from None
    finally:
        conn.close()


def _restore_sqlite(dump: Path, database_url: str) -> _Snapshot:
    target = _sqlite_path(database_url)
    created = not target.exists()
    target.parent.mkdir(parents=True, exist_ok=True)
    source = sqlite3.connect(f"{dump.resolve().as_uri()}?mode=ro", uri=True)
    destination = sqlite3.connect(target)
    try:
        source.backup(destination)
        if created:
            os.chmod(target, 0o600)
        return _read_snapshot(destination, _sqlite_tables(destination))
    except sqlite3.Error as error:
        if created:
            destination.close()
            target.unlink(missing_ok=True)
        raise BackupError(f"Restoring into {_describe(database_url)} failed: {error}") from None
    finally:
        destination.close()
        source.close()


def _restore_postgres(dump: Path, database_url: str, archived_major: int,
                      bindir: str | None) -> _Snapshot:
    engine = create_engine(database_url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            server = _server_major(conn)
        pg_restore, _ = find_pg_tool("pg_restore", bindir, max(server, archived_major))
        url, env = libpq_url(database_url)
        _run_tool([str(pg_restore), "--no-owner", "--no-privileges", "--single-transaction",
                   "--exit-on-error", f"--dbname={url}", str(dump)], env, "pg_restore")
        with engine.connect() as conn:
            return _read_snapshot(conn, _pg_tables(conn))
    finally:
        engine.dispose()


def _target_problems(kind: str, database_url: str, upload_dir: Path) -> list[str]:
    problems = []
    if kind == "sqlite":
        tables = _sqlite_target_tables(_sqlite_path(database_url))
    else:
        engine = create_engine(database_url, poolclass=NullPool)
        try:
            with engine.connect() as conn:
                tables = _pg_tables(conn)
        except Exception as error:
            raise BackupError(f"Connecting to {_describe(database_url)} failed: "
                              f"{type(error).__name__}: {str(error).splitlines()[0]}") from None
        finally:
            engine.dispose()
    if tables:
        problems.append(f"{_describe(database_url)} is not empty ({len(tables)} tables)")
    if not _upload_dir_is_empty(upload_dir):
        problems.append(f"the upload folder {upload_dir} is not empty")
    return problems


def _move_uploads(extracted: Path, upload_dir: Path) -> None:
    upload_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    if not extracted.is_dir():
        return
    for child in sorted(extracted.iterdir()):
        shutil.move(str(child), str(upload_dir / child.name))


def restore_backup(path: Path, database_url: str, upload_dir: Path, *,
                   known_revisions: set[str] | None = None,
                   pg_bindir: str | None = None) -> RestoreResult:
    """Restore the archive at ``path`` into an empty database and an empty upload folder.

    Order: the archive is unpacked beside the upload folder and checked against its manifest;
    then the targets are checked (kind, emptiness); only then is the database restored (in one
    transaction on PostgreSQL) and the files moved into the upload folder. ``known_revisions``
    are the Alembic revisions this code knows: a backup made by newer code is refused."""
    kind = database_kind(database_url)
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"{path} does not exist or is not a file.")
    upload_dir = Path(upload_dir)
    upload_dir.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=upload_dir.parent,
                                     prefix=".caseapp-restore-") as staging_name:
        staging = Path(staging_name)
        manifest = _unpack(path, staging)
        database = manifest["database"]
        if database["kind"] != kind:
            raise BackupError(f"{path} holds a {database['kind']} database; the target is "
                              f"{kind}. Restore it into a {database['kind']} database.")
        revision = database.get("alembic_revision")
        if known_revisions is not None and revision and not set(
                str(revision).split(",")) <= known_revisions:
            raise BackupError(f"{path} is at Alembic revision {revision}, which this version "
                              "of caseapp does not know: restore it with the caseapp version "
                              "that made it, or a newer one.")
        problems = _target_problems(kind, database_url, upload_dir)
        if problems:
            raise BackupError("Refusing to restore: " + "; ".join(problems)
                              + ". Restore only into an empty database and upload folder.")

        dump = staging / database["file"]
        if kind == "sqlite":
            restored = _restore_sqlite(dump, database_url)
        else:
            restored = _restore_postgres(dump, database_url,
                                         _major(str(database.get("pg_dump_version", "0"))),
                                         pg_bindir)
        try:
            _move_uploads(staging / UPLOADS, upload_dir)
        except OSError as error:
            raise BackupError(f"The database was restored but moving the documents into "
                              f"{upload_dir} failed: {error}. Empty both and restore again."
                              ) from None
    files = [entry for entry in manifest["files"] if entry["path"].startswith(UPLOADS + "/")]
    notes = []
    if restored.tables != database.get("tables", restored.tables):
        notes.append("The restored row counts differ from the manifest's.")
    return RestoreResult(kind=kind, alembic_revision=revision, tables=restored.tables,
                         files=len(files), upload_bytes=sum(int(e["size"]) for e in files),
                         created_at=str(manifest.get("created_at")), notes=notes)
