"""One helper reads the CI variable (core.testing.running_in_ci); no conftest or test reads it on its own."""

import re
from pathlib import Path

import pytest

from core.testing import REPO, running_in_ci

# os.environ.get("CI"...), os.environ["CI"], os.getenv("CI"...), environ.setdefault("CI"...), "CI" in os.environ
CI_READ = re.compile(r"""(environ\s*(\.\s*(get|setdefault|pop)\s*\(|\[)\s*|getenv\s*\(\s*)["']CI["']"""
                     r"""|["']CI["']\s+(not\s+)?in\s+(os\.)?environ""")
SKIP_DIRS = {".venv", "node_modules", ".git", "staticfiles", "media", "__pycache__"}
THE_HELPER = REPO / "core" / "testing.py"
THIS_FILE = Path(__file__).resolve()  # its examples below are not reads


def _python_sources():
    for path in REPO.rglob("*.py"):
        if not SKIP_DIRS & set(path.relative_to(REPO).parts):
            yield path


@pytest.mark.parametrize("line", [
    'os.environ.get("CI", "")', "os.environ['CI']", 'os.getenv("CI")', "environ.get( 'CI' , 'false')",
    '"CI" in os.environ', 'os.environ.setdefault("CI", "true")',
])
def test_the_scan_recognises_a_read_of_the_variable(line):
    assert CI_READ.search(line)


@pytest.mark.parametrize("line", ['os.environ.get("CIRCLE")', 'os.environ.get("DATABASE_URL")', "# CI=true"])
def test_the_scan_ignores_other_variables(line):
    assert not CI_READ.search(line)


def test_only_core_testing_reads_the_ci_variable():
    sources = list(_python_sources())
    assert THE_HELPER in sources and any(p.name == "conftest.py" for p in sources)
    assert CI_READ.search(THE_HELPER.read_text()), "the helper itself reads CI"
    offenders = [f"{path.relative_to(REPO)}:{number}: {line.strip()}"
                 for path in sources if path not in (THE_HELPER, THIS_FILE)
                 for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
                 if CI_READ.search(line)]
    assert offenders == [], "read CI through core.testing.running_in_ci():\n" + "\n".join(offenders)


def test_every_conftest_that_mentions_ci_uses_the_helper():
    for conftest in REPO.rglob("conftest.py"):
        if SKIP_DIRS & set(conftest.relative_to(REPO).parts):
            continue
        text = conftest.read_text(encoding="utf-8")
        if re.search(r"\bCI\b", text):
            assert "running_in_ci" in text, f"{conftest.relative_to(REPO)} mentions CI without running_in_ci()"


@pytest.mark.parametrize(("value", "expected"), [
    ("true", True), ("TRUE", True), ("1", True), ("yes", True), (" true ", True),
    ("", False), ("false", False), ("0", False), ("no", False),
])
def test_running_in_ci_reads_the_usual_spellings(monkeypatch, value, expected):
    monkeypatch.setenv("CI", value)
    assert running_in_ci() is expected


def test_running_in_ci_is_false_without_the_variable(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    assert running_in_ci() is False
