"""Test settings: fast hashing, in-memory email and SMS; real services when their URLs are set."""

import tempfile
from pathlib import Path

from .base import *  # noqa: F403
from .base import STORAGES, env

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
SMS_BACKEND = "core.sms.LocmemSMSBackend"
_tmp = Path(tempfile.mkdtemp(prefix="realname-test-"))
MEDIA_ROOT = _tmp / "media"
PRIVATE_ROOT = _tmp / "private"
STORAGES = {**STORAGES, "private": {**STORAGES["private"], "OPTIONS": {"location": str(PRIVATE_ROOT), "base_url": "/no-public-url/"}}}
# Tests that need a worker start one themselves; everything else runs inline.
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=True)
FIELD_ENCRYPTION_KEYS = ["2bGSDJrtQWYg5ImD6vlQk0bG2FIvPT7d5rbh0c_ZE3A="]
IDENTITY_HMAC_KEY = "test-hmac-key"
