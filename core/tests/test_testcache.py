"""Test runs sharing one Redis server: clearing one run's cache leaves the other run's keys alone."""

import os

import pytest

pytestmark = pytest.mark.redis


def _cache(prefix):
    from core.testcache import RunScopedRedisCache

    return RunScopedRedisCache(os.environ["REDIS_URL"], {"KEY_PREFIX": prefix})


def test_clear_removes_only_this_runs_keys():
    mine, theirs = _cache("test-mine-gw0"), _cache("test-theirs-gw0")
    try:
        mine.set("agreement", 28)
        mine.set("rate", 3, version=2)
        theirs.set("agreement", 41)
        mine.clear()
        assert mine.get("agreement") is None and mine.get("rate", version=2) is None
        assert theirs.get("agreement") == 41
    finally:
        theirs.clear()
        mine.clear()
