"""The rules package stays framework-free and clock-free: a scan of its source, and an import
with Flask and SQLAlchemy made unimportable."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "caseapp" / "rules"
SOURCES = sorted(PACKAGE.rglob("*.py"))
CLOCK_CALLS = {"today", "now", "utcnow", "time", "monotonic", "perf_counter", "localtime"}


def _imports(tree: ast.AST) -> list[str]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append(node.module)
    return found


def test_sources_were_found() -> None:
    names = {path.name for path in SOURCES}
    assert {"evaluate.py", "facts.py", "ruleset.py", "vocab.py"} <= names


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.name)
def test_imports_only_the_standard_library(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for module in _imports(tree):
        top = module.split(".")[0]
        assert top in sys.stdlib_module_names or top == "__future__", f"{path.name}: {module}"


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.name)
def test_never_reads_the_clock(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            assert node.func.attr not in CLOCK_CALLS, f"{path.name}:{node.lineno}"
        if isinstance(node, ast.ImportFrom) and node.module in ("time", "datetime"):
            names = {alias.name for alias in node.names}
            assert not names & CLOCK_CALLS, f"{path.name}:{node.lineno}"


def test_the_scan_would_catch_a_clock_read() -> None:
    tree = ast.parse("from datetime import date\nx = date.today()\n")
    calls = [n.func.attr for n in ast.walk(tree) if isinstance(n, ast.Call)]
    assert calls == ["today"] and "today" in CLOCK_CALLS


def test_runs_with_flask_and_sqlalchemy_unimportable() -> None:
    """Import and run the rules in a fresh interpreter where the frameworks cannot load.

    ``caseapp/__init__.py`` builds the Flask app, so the parent package is replaced by a bare
    namespace pointing at the same folder; only ``caseapp.rules`` itself is imported.
    """
    script = f"""
import sys, types, importlib.abc
from datetime import date
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name.split(".")[0] in ("flask", "sqlalchemy", "flask_sqlalchemy"):
            raise ImportError("blocked " + name)
sys.meta_path.insert(0, Block())
parent = types.ModuleType("caseapp")
parent.__path__ = [{str(PACKAGE.parent)!r}]
sys.modules["caseapp"] = parent
from caseapp.rules import ApplicantFacts, CaseFacts, evaluate
result = evaluate(CaseFacts(applicant=ApplicantFacts(), check_date=date(2026, 3, 2)))
assert result.verdict.value == "incomplete"
bad = sorted(m for m in sys.modules if m.split(".")[0] in ("flask", "sqlalchemy"))
assert not bad, bad
print("ok")
"""
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"
