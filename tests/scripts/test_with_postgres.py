"""scripts/with-postgres: a throwaway PostgreSQL cluster around a command.

These start real clusters (a second or two each), so they are skipped where no
PostgreSQL server binaries are installed. They never install anything.
"""

from __future__ import annotations

import glob
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "with-postgres"

pytestmark = pytest.mark.skipif(
    not glob.glob("/usr/lib/postgresql/*/bin/initdb"),
    reason="no PostgreSQL server binaries in /usr/lib/postgresql/*/bin",
)

# Prints the URLs, then waits until killed (or for stdin to close).
PRINT_AND_WAIT = 'echo "$CASEAPP_TEST_DATABASE_URL"; echo "$CASEAPP_PG_ADMIN_URL"; exec sleep 60'


def script_env(**extra: str) -> dict[str, str]:
    ours = {"CASEAPP_TEST_DATABASE_URL", "CASEAPP_PG_ADMIN_URL"}
    env = {k: v for k, v in os.environ.items() if k not in ours}
    env["WITH_POSTGRES_NO_INSTALL"] = "1"
    env.update(extra)
    return env


def libpq(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def data_directory(url: str) -> Path:
    with psycopg.connect(libpq(url)) as conn:
        row = conn.execute("SHOW data_directory").fetchone()
    assert row is not None
    return Path(row[0])


def postmaster_pid(data_dir: Path) -> int:
    return int((data_dir / "postmaster.pid").read_text().split()[0])


def pid_alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state not in {"Z", "X"}


class Running:
    """with-postgres running `sh -c PRINT_AND_WAIT` in its own session."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [str(SCRIPT), "sh", "-c", PRINT_AND_WAIT],
            env=script_env(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            text=True,
            start_new_session=True,  # like a terminal's foreground job
        )
        assert self.proc.stdout is not None
        self.url = self.proc.stdout.readline().strip()
        self.admin_url = self.proc.stdout.readline().strip()
        assert self.url, "with-postgres printed no URL"
        self.data_dir = data_directory(self.url)
        self.workdir = self.data_dir.parent
        self.postmaster = postmaster_pid(self.data_dir)

    def wait(self, timeout: float = 30) -> int:
        return self.proc.wait(timeout=timeout)

    def kill(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()


@pytest.fixture
def running() -> Iterator[Running]:
    run = Running()
    try:
        yield run
    finally:
        run.kill()


def assert_cleaned_up(run: Running) -> None:
    deadline = time.monotonic() + 5
    while pid_alive(run.postmaster) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not pid_alive(run.postmaster), "postmaster still running"
    assert not run.workdir.exists(), f"{run.workdir} left behind"


def test_runs_command_against_a_fresh_database() -> None:
    code = (
        "import os, psycopg\n"
        "for var in ('CASEAPP_TEST_DATABASE_URL', 'CASEAPP_PG_ADMIN_URL'):\n"
        "    url = os.environ[var]\n"
        "    with psycopg.connect(url.replace('+psycopg', '')) as c:\n"
        '        db, enc = c.execute("SELECT current_database(), pg_encoding_to_char(encoding)'
        ' FROM pg_database WHERE datname = current_database()").fetchone()\n'
        "        ddir = c.execute('SHOW data_directory').fetchone()[0]\n"
        "        print(var, url.rsplit(':', 1)[0], db, enc, ddir)\n"
    )
    out = subprocess.run(
        [str(SCRIPT), sys.executable, "-c", code],
        env=script_env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    lines = [line.split() for line in out.stdout.splitlines()]
    assert [line[:2] for line in lines] == [
        ["CASEAPP_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1"],
        ["CASEAPP_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1"],
    ]
    assert [line[2:4] for line in lines] == [["caseapp_test", "UTF8"], ["postgres", "UTF8"]]
    assert out.stderr == ""
    assert not Path(lines[0][4]).exists(), "cluster directory left behind"


def test_propagates_exit_code() -> None:
    result = subprocess.run([str(SCRIPT), "sh", "-c", "exit 42"], env=script_env(), timeout=120)
    assert result.returncode == 42


def test_existing_url_is_used_as_is() -> None:
    result = subprocess.run(
        [str(SCRIPT), "sh", "-c", 'echo "$CASEAPP_TEST_DATABASE_URL"; exit 3'],
        env=script_env(CASEAPP_TEST_DATABASE_URL="postgresql+psycopg://me@db.example/x"),
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert (result.returncode, result.stdout) == (3, "postgresql+psycopg://me@db.example/x\n")


def test_sigterm_stops_command_and_cluster(running: Running) -> None:
    os.kill(running.proc.pid, signal.SIGTERM)  # the script only: it passes it on
    assert running.wait() == -signal.SIGTERM
    assert_cleaned_up(running)


def test_ctrl_c_stops_command_and_cluster(running: Running) -> None:
    os.killpg(running.proc.pid, signal.SIGINT)  # what a terminal does
    assert running.wait() == -signal.SIGINT
    assert_cleaned_up(running)


def test_parallel_runs_get_separate_clusters() -> None:
    runs = [Running(), Running()]
    try:
        assert runs[0].url != runs[1].url
        assert runs[0].workdir != runs[1].workdir
        for run in runs:
            with psycopg.connect(libpq(run.url)) as conn:
                assert conn.execute("SELECT 1").fetchone() == (1,)
    finally:
        for run in runs:
            os.killpg(run.proc.pid, signal.SIGTERM)
        for run in runs:
            run.wait()
            assert_cleaned_up(run)
