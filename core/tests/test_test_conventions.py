"""The test suite keeps its own rules: browser tests wait with expect(), query counts compare two sizes,
and no test replaces the policy it claims to test."""

import re

import pytest

from core.testing import REPO

SKIP_DIRS = {".venv", "node_modules", ".git", "__pycache__"}
THIS_FILE = REPO / "core" / "tests" / "test_test_conventions.py"

# Reading the page once right after an action races the browser; expect(...) retries until it holds.
ONE_SHOT_READ = re.compile(r"\.(is_visible|is_hidden|is_disabled|is_enabled|is_checked|inner_text|text_content)\(\)"
                           r"|\.count\(\)\s*[=<>!]")
# A fixed number proves nothing about growth: measure at two sizes (core.testing.assert_constant_queries).
FIXED_COUNT = re.compile(r"(django_assert_(max_)?num_queries|assertNumQueries)\(\s*\d+")
# Replacing the policy (or its rules) instead of creating a real penalty or state.
PATCHED_POLICY = re.compile(r"setattr\(\s*(policy|restrictions|vouch_selectors|selectors)\s*,\s*"
                            r"[\"'](check|require|user_rule|voucher_eligibility|penalties_in_force)[\"']")


def _tests():
    for path in REPO.rglob("test_*.py"):
        if path != THIS_FILE and not SKIP_DIRS & set(path.relative_to(REPO).parts):
            yield path


def _hits(pattern, paths):
    return [f"{path.relative_to(REPO)}:{number}: {line.strip()}"
            for path in paths for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
            if pattern.search(line)]


@pytest.mark.parametrize(("pattern", "line"), [
    (ONE_SHOT_READ, 'assert page.locator("text=Done").is_visible()'),
    (ONE_SHOT_READ, 'assert "x" in page.locator(".a").inner_text()'),
    (ONE_SHOT_READ, 'assert page.locator("li").count() == 7'),
    (FIXED_COUNT, "with django_assert_num_queries(3):"),
    (FIXED_COUNT, "with django_assert_max_num_queries(12):"),
    (FIXED_COUNT, "with self.assertNumQueries(4):"),
    (PATCHED_POLICY, 'monkeypatch.setattr(policy, "check", deny)'),
])
def test_the_scans_recognise_what_they_forbid(pattern, line):
    assert pattern.search(line)


@pytest.mark.parametrize(("pattern", "line"), [
    (ONE_SHOT_READ, 'expect(page.get_by_text("Done")).to_be_visible()'),
    (ONE_SHOT_READ, 'expect(page.locator("li")).to_have_count(7)'),
    (FIXED_COUNT, "with django_assert_num_queries(len(small)):"),
    (PATCHED_POLICY, 'monkeypatch.setattr(services, "WAIT_LIMIT_SECONDS", 0.2)'),
])
def test_the_scans_let_the_right_way_through(pattern, line):
    assert not pattern.search(line)


def test_browser_tests_wait_with_expect():
    e2e = [p for p in (REPO / "e2e").glob("*.py")]
    assert e2e
    assert _hits(ONE_SHOT_READ, e2e) == []


def test_query_count_tests_compare_two_sizes():
    assert _hits(FIXED_COUNT, _tests()) == []


def test_no_test_replaces_the_policy_it_tests():
    assert _hits(PATCHED_POLICY, _tests()) == []
