"""Test settings: fast hashing, in-memory email and SMS; real services when their URLs are set."""

import tempfile
from pathlib import Path

from .base import *  # noqa: F403
from .base import STORAGES, env

DEBUG = False
# Tests assert English wording unless they ask for Chinese with Accept-Language.
LANGUAGE_CODE = "en"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
SMS_BACKEND = "core.sms.LocmemSMSBackend"
_tmp = Path(tempfile.mkdtemp(prefix="realname-test-"))
MEDIA_ROOT = _tmp / "media"
PRIVATE_ROOT = _tmp / "private"
STORAGES = {
    **STORAGES,
    "private": {**STORAGES["private"], "OPTIONS": {"location": str(PRIVATE_ROOT), "base_url": "/no-public-url/"}},
}
# Tests that need a worker start one themselves; everything else runs inline.
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=True)
FIELD_ENCRYPTION_KEYS = ["2bGSDJrtQWYg5ImD6vlQk0bG2FIvPT7d5rbh0c_ZE3A="]
IDENTITY_HMAC_KEY = "test-hmac-key"
AUDIT_LOG_KEY = "test-audit-log-key-0123456789abcdefghijklmnopqrstuvwxyz"
AUDIT_LOG_OLD_KEYS: list[str] = []
# Tests read the chain right after a commit: chain after every one.
AUDIT_CHAIN_INTERVAL_SECONDS = 0.0
STATIC_ROOT = _tmp / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)

# With Redis, each xdist worker (of each run) keeps its cache keys under its own prefix and clears only
# those (tests clear the cache): runs sharing one Redis server no longer flush each other's caches.
_redis = env.str("REDIS_URL", default="")
if _redis:
    import os

    _worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    CACHES = {"default": {"BACKEND": "core.testcache.RunScopedRedisCache", "LOCATION": _redis,
                          "KEY_PREFIX": f"test-{os.getpid()}-{_worker}"}}
