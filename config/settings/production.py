"""Production: every secret comes from the environment; missing ones stop the start."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import (
    AUDIT_LOG_OLD_KEYS,
    DEV_AUDIT_LOG_KEY,
    DEV_FIELD_ENCRYPTION_KEY,
    DEV_IDENTITY_HMAC_KEY,
    DEV_SECRET_KEY,
    STORAGES,
    env,
)


def _required(name: str, *, dev_value: str | None = None) -> str:
    value = env.str(name, default="")
    if not value or value == dev_value:
        raise ImproperlyConfigured(f"Set the {name} environment variable: production refuses to start without it.")
    return value


DEBUG = False
DEMO_DATA_ALLOWED = False
SECRET_KEY = _required("SECRET_KEY", dev_value=DEV_SECRET_KEY)
_required("DATABASE_URL")
_keys = _required("FIELD_ENCRYPTION_KEYS", dev_value=DEV_FIELD_ENCRYPTION_KEY)
FIELD_ENCRYPTION_KEYS = [k.strip() for k in _keys.split(",") if k.strip()]
if DEV_FIELD_ENCRYPTION_KEY in FIELD_ENCRYPTION_KEYS:
    raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS still holds the local development key.")
IDENTITY_HMAC_KEY = _required("IDENTITY_HMAC_KEY", dev_value=DEV_IDENTITY_HMAC_KEY)
# The audit log's chain key: never in the database, so a database writer cannot re-sign a rewritten log.
AUDIT_LOG_KEY = _required("AUDIT_LOG_KEY", dev_value=DEV_AUDIT_LOG_KEY)
if len(AUDIT_LOG_KEY) < 32:
    raise ImproperlyConfigured("AUDIT_LOG_KEY is too short: use at least 32 random characters.")
if DEV_AUDIT_LOG_KEY in AUDIT_LOG_OLD_KEYS:
    raise ImproperlyConfigured("AUDIT_LOG_OLD_KEYS still holds the local development key.")
DATABASES = {"default": env.db("DATABASE_URL")}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True

EMAIL_CONFIG = env.email_url("EMAIL_URL", default="smtp://localhost:25")
vars().update(EMAIL_CONFIG)
SMS_BACKEND = env.str("SMS_BACKEND", default="core.sms.ConsoleSMSBackend")

# Files: S3-compatible buckets. Public media (avatars) and private files (documents,
# friends-only images) live in separate buckets; the private one is never public.
if env.str("AWS_STORAGE_BUCKET_NAME", default=""):
    _s3 = {
        "access_key": env.str("AWS_ACCESS_KEY_ID", default=None),
        "secret_key": env.str("AWS_SECRET_ACCESS_KEY", default=None),
        "endpoint_url": env.str("AWS_S3_ENDPOINT_URL", default=None),
        "region_name": env.str("AWS_S3_REGION_NAME", default=None),
    }
    STORAGES = {
        **STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {**_s3, "bucket_name": env.str("AWS_STORAGE_BUCKET_NAME"), "querystring_auth": False},
        },
        "private": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                **_s3,
                "bucket_name": _required("AWS_PRIVATE_BUCKET_NAME"),
                "default_acl": "private",
                "querystring_auth": True,
                "querystring_expire": 60,
            },
        },
    }
STORAGES["staticfiles"] = {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"}

CELERY_TASK_ALWAYS_EAGER = False
if not env.str("REDIS_URL", default=""):
    raise ImproperlyConfigured("Set the REDIS_URL environment variable: production needs Redis for Celery and the cache.")
