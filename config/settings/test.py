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
STATIC_ROOT = _tmp / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)

# With Redis, each xdist worker gets its own cache database (tests flush it), and
# database 0 stays the Celery broker's.
_redis = env.str("REDIS_URL", default="")
if _redis:
    import os

    _worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    _db = 1 + int(_worker.removeprefix("gw") or 0)
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                          "LOCATION": f"{_redis.rsplit('/', 1)[0]}/{_db}"}}
