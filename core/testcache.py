"""A Redis cache for test runs that share one Redis server (test settings only).

Django's RedisCache.clear() flushes the whole Redis database, so two test runs (or two xdist workers)
on the same server wipe each other's rate limits and cached agreement in the middle of a test. This
backend keeps every key under the run's KEY_PREFIX and clears only those.
"""

from django.core.cache.backends.redis import RedisCache


class RunScopedRedisCache(RedisCache):
    def clear(self) -> None:
        client = self._cache.get_client(write=True)  # type: ignore[attr-defined]  # RedisCache's client, untyped in the stubs
        keys = list(client.scan_iter(match=f"{self.key_prefix}:*", count=1000))
        for start in range(0, len(keys), 1000):
            client.delete(*keys[start:start + 1000])
