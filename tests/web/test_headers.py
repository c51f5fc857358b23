"""Response headers: the Content-Security-Policy, HSTS and Secure cookies in production, the
server's name without a version, and static files cached for long under digest addresses."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from caseapp import create_app
from caseapp.web.security import static_digest

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "templates"


def directives(policy: str) -> dict[str, str]:
    return {part.split()[0]: part.strip() for part in policy.split(";") if part.strip()}


def test_every_page_has_a_strict_content_security_policy(app, consultant_client):
    for client, path in ((app.test_client(), "/login"), (consultant_client, "/")):
        policy = directives(client.get(path).headers["Content-Security-Policy"])
        assert policy["default-src"] == "default-src 'self'"
        assert policy["script-src"] == "script-src 'self'"
        assert policy["style-src"] == "style-src 'self'"
        assert policy["frame-ancestors"] == "frame-ancestors 'none'"
        assert policy["form-action"] == "form-action 'self'"
        assert policy["base-uri"] == "base-uri 'none'"
        assert "unsafe-inline" not in " ".join(policy.values())
        assert "unsafe-eval" not in " ".join(policy.values())


INLINE = re.compile(
    r"<script(?![^>]*\bsrc=)[^>]*>"   # a script element without src
    r"|<style\b"                      # a style element
    r"|\sstyle\s*="                   # a style attribute
    r"|\son[a-z]+\s*=",               # an event handler attribute
    re.IGNORECASE)


def test_no_template_has_inline_script_or_style():
    """The policy refuses them: they would silently not run (or not style) in the browser."""
    found = []
    for template in sorted(TEMPLATES.rglob("*.html")):
        for number, line in enumerate(template.read_text().splitlines(), 1):
            if INLINE.search(line):
                found.append(f"{template.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not found, "inline script or style:\n" + "\n".join(found)


def test_no_hsts_or_secure_cookie_outside_production(app):
    response = app.test_client().get("/login")
    assert "Strict-Transport-Security" not in response.headers


@pytest.fixture
def production_app(database_url, monkeypatch, tmp_path):
    monkeypatch.setenv("CASEAPP_SECRET_KEY", "a-production-secret-of-more-than-32-characters")
    monkeypatch.setenv("CASEAPP_DATABASE_URL", database_url)
    monkeypatch.setenv("CASEAPP_UPLOAD_DIR", str(tmp_path))
    return create_app("production")


def test_production_sends_hsts_and_secure_session_cookies(production_app):
    client = production_app.test_client()
    response = client.get("/login", base_url="https://caseapp.example")
    assert response.headers["Strict-Transport-Security"] == (
        "max-age=31536000; includeSubDomains")
    cookie = response.headers["Set-Cookie"]  # the login form's CSRF token is in the session
    assert "; Secure" in cookie and "; HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_pages_link_static_files_by_the_digest_of_their_content(app, consultant_client):
    page = consultant_client.get("/").get_data(as_text=True)
    digest = static_digest("app.css")
    assert digest is not None and len(digest) == 16
    assert f'/static/app.css?v={digest}"' in page


def test_a_digest_address_is_cached_for_a_year_even_when_signed_in(app, consultant_client):
    digest = static_digest("app.css")
    response = consultant_client.get(f"/static/app.css?v={digest}")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"


@pytest.mark.parametrize("query", ["", "?v=0000000000000000"])
def test_a_static_address_without_the_current_digest_is_checked_every_time(app, query):
    response = app.test_client().get(f"/static/app.css{query}")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-cache"


def test_a_changed_static_file_gets_a_new_address(app, tmp_path):
    static = Path(app.static_folder)
    probe = static / "probe-for-test.css"
    try:
        probe.write_text("a {}")
        first = static_digest("probe-for-test.css")
        probe.write_text("a { color: black; }")
        assert static_digest("probe-for-test.css") != first
    finally:
        probe.unlink(missing_ok=True)
    assert static_digest("no-such-file.css") is None
    assert static_digest("../config.py") is None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_the_production_server_names_no_version_and_logs_no_query_string(tmp_path):
    """gunicorn (production and `make run`) sends "Server: gunicorn"; Werkzeug's development
    server would send its version and Python's. Its access log (gunicorn.conf.py) keeps the
    path and leaves out the query string, where a client's name typed into a search goes."""
    port = _free_port()
    env = {"PATH": str(Path(sys.executable).parent) + ":/usr/bin:/bin",
           "CASEAPP_DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
           "CASEAPP_UPLOAD_DIR": str(tmp_path / "uploads")}
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "--bind", f"127.0.0.1:{port}",
         "--workers", "1", "caseapp:create_app()"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        response = None
        for _ in range(100):
            try:
                response = urllib.request.urlopen(
                    f"http://127.0.0.1:{port}/login?q=Chan+Tai+Man", timeout=2)
                break
            except OSError:
                if server.poll() is not None:
                    pytest.fail(server.stderr.read().decode() if server.stderr else "gunicorn")
                time.sleep(0.1)
        assert response is not None, "gunicorn did not answer"
        assert response.headers.get_all("Server") == ["gunicorn"]
        assert "Content-Security-Policy" in response.headers
    finally:
        server.terminate()
        access_log, _ = server.communicate(timeout=10)
    assert '"GET /login" 200' in access_log.decode()
    assert "Chan" not in access_log.decode()
