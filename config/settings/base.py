"""Settings shared by every environment; each value can come from the environment.

Every variable has a local default that works on SQLite with eager Celery;
production.py removes the defaults for secrets and refuses to start without them.
"""

from pathlib import Path

import environ
from csp.constants import NONE, SELF
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(environ.Env().str("VAR_DIR", default=str(BASE_DIR / "var")))

env = environ.Env()

# Local-only defaults: production.py refuses to start with these.
DEV_SECRET_KEY = "local-dev-only-not-a-secret-0123456789abcdefghijklmnopqrstuvwxyz"
DEV_FIELD_ENCRYPTION_KEY = "2bGSDJrtQWYg5ImD6vlQk0bG2FIvPT7d5rbh0c_ZE3A="  # Fernet key, local only
DEV_IDENTITY_HMAC_KEY = "local-dev-only-hmac-key"
DEV_AUDIT_LOG_KEY = "local-dev-only-audit-log-key-not-a-secret-0123456789"

SECRET_KEY = env.str("SECRET_KEY", default=DEV_SECRET_KEY)
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "phonenumber_field",
    "core",
    "accounts",
    "social",
    "moderation",
    "verification",
    "idcheck",
    "publicaccounts",
    # Last: demo data and the wiring listing sit above every app (docs/wiring.md).
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "accounts.middleware.StaffMFAMiddleware",
    "accounts.middleware.AgreementMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "accounts.context_processors.header",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]

# --- Languages -------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- Files -----------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = VAR_DIR / "media"
# "default" holds public files (avatars); "private" holds everything that must never
# have a public URL (moment images for friends only, documents). Private files are
# served only by permission-checked views.
PRIVATE_ROOT = VAR_DIR / "private"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "private": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(PRIVATE_ROOT), "base_url": "/no-public-url/"},
    },
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# --- Images (the one safe path every upload goes through) ------------------
IMAGE_MAX_BYTES = env.int("IMAGE_MAX_BYTES", default=10 * 1024 * 1024)
IMAGE_MAX_PIXELS = env.int("IMAGE_MAX_PIXELS", default=50_000_000)
IMAGE_MIN_SIDE = env.int("IMAGE_MIN_SIDE", default=64)
IMAGE_MAX_SIDE_STORED = env.int("IMAGE_MAX_SIDE_STORED", default=4096)
DATA_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440

# --- Real identity ---------------------------------------------------------
# Comma-separated Fernet keys, newest first. Add a new key in front, deploy, then run
# `manage.py reencrypt_identities` (identities and phone numbers), then drop the old key.
FIELD_ENCRYPTION_KEYS = env.list("FIELD_ENCRYPTION_KEYS", default=[DEV_FIELD_ENCRYPTION_KEY])
IDENTITY_HMAC_KEY = env.str("IDENTITY_HMAC_KEY", default=DEV_IDENTITY_HMAC_KEY)
# How long the result page of one recorded identity reveal shows the identity (to its actor only).
IDENTITY_REVEAL_MINUTES = env.int("IDENTITY_REVEAL_MINUTES", default=5)

# --- Phone (indirect real name) --------------------------------------------
PHONENUMBER_DEFAULT_REGION = "CN"
SMS_BACKEND = env.str("SMS_BACKEND", default="core.sms.ConsoleSMSBackend")
PHONE_CODE_TTL_SECONDS = env.int("PHONE_CODE_TTL_SECONDS", default=10 * 60)
PHONE_CODE_MAX_TRIES = env.int("PHONE_CODE_MAX_TRIES", default=5)
PHONE_MAX_ACCOUNTS_PER_NUMBER = env.int("PHONE_MAX_ACCOUNTS_PER_NUMBER", default=1)

# --- Leaving the network ---------------------------------------------------
# Days between asking to delete an account and its erasure; the user may cancel until then.
ACCOUNT_DELETION_COOLING_DAYS = env.int("ACCOUNT_DELETION_COOLING_DAYS", default=60)

# --- Social ----------------------------------------------------------------
MOMENT_MAX_CHARS = 2000
MOMENT_MAX_IMAGES = 9
FEED_PAGE_SIZE = 20

# --- django-allauth (65.x settings) ----------------------------------------
ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_SIGNUP_FORM_CLASS = "accounts.forms.SignupExtraForm"
# Same answer, same work for a registered and a new email (accounts.signup, accounts.adapter.send_mail).
ACCOUNT_FORMS = {"signup": "accounts.signup.SignupForm"}
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_EMAIL_SUBJECT_PREFIX = ""
ACCOUNT_PRESERVE_USERNAME_CASING = False
ACCOUNT_RATE_LIMITS = {
    # Our own actions, counted by allauth's limiter (same cache, same 429 page).
    "phone_send_code": env.str("RATE_PHONE_SEND", default="1/m/user,5/h/user,10/d/user,30/h/ip"),
    "phone_check_code": env.str("RATE_PHONE_CHECK", default="10/m/user"),
    "idcheck_query": env.str("RATE_IDCHECK", default="3/h/user,10/d/user"),
    "document_submit": env.str("RATE_DOCUMENT_SUBMIT", default="10/h/ip"),
}
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "/"
ACCOUNT_LOGOUT_REDIRECT_URL = "/"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Realname"
# Groups whose members must pass MFA before any staff page (plus is_staff users).
MFA_REQUIRED_GROUPS = ["moderator", "senior moderator", "compliance"]
STAFF_PATH_PREFIXES = ["/admin/", "/review/", "/staff/"]

# --- The audit log (docs/audit.md) -------------------------------------------
# Entries are chained with HMAC-SHA256 under AUDIT_LOG_KEY, which never lives in the database. To rotate,
# set the new secret as AUDIT_LOG_KEY and keep the old one in AUDIT_LOG_OLD_KEYS (comma-separated secrets):
# each entry and checkpoint names the id of its key, derived from the secret.
AUDIT_LOG_KEY = env.str("AUDIT_LOG_KEY", default=DEV_AUDIT_LOG_KEY)
AUDIT_LOG_OLD_KEYS = env.list("AUDIT_LOG_OLD_KEYS", default=[])
# Each process chains the log after a commit at most this often; the beat chains the rest (see moderation/audit.py).
AUDIT_CHAIN_INTERVAL_SECONDS = env.float("AUDIT_CHAIN_INTERVAL_SECONDS", default=1.0)
# Signed checkpoints go to this storage (the private one: S3 in production) under this prefix.
AUDIT_CHECKPOINT_STORAGE = "private"
AUDIT_CHECKPOINT_PREFIX = "audit/checkpoints/"

# --- Email -----------------------------------------------------------------
EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="noreply@realname.local")

# --- Celery ----------------------------------------------------------------
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE: dict = {
    "purge-decided-documents": {"task": "verification.tasks.purge_decided_documents", "schedule": 60 * 60},
    "process-stuck-submissions": {"task": "verification.tasks.process_stuck_submissions", "schedule": 10 * 60},
    "penalties-notify-ended": {"task": "moderation.tasks.penalties_notify_ended", "schedule": 10 * 60},
    "vouch-cases-tick": {"task": "verification.tasks.vouch_cases_tick", "schedule": 5 * 60},
    "qualifications-remind": {"task": "publicaccounts.tasks.qualifications_remind", "schedule": 60 * 60 * 6},
    "erase-deleted-accounts": {"task": "accounts.tasks.erase_deleted_accounts", "schedule": 60 * 60},
    "purge-phone-challenges": {"task": "accounts.tasks.purge_phone_challenges", "schedule": 60 * 60},
    # The audit log: chain what after-commit sequencing missed, then anchor the chain outside the database.
    "audit-log-chain": {"task": "moderation.tasks.audit_log_chain", "schedule": 15},
    "audit-log-checkpoint": {"task": "moderation.tasks.audit_log_checkpoint",
                             "schedule": env.int("AUDIT_CHECKPOINT_SECONDS", default=5 * 60)},
}

# --- Security headers ------------------------------------------------------
# No inline script anywhere; styles and scripts come from our own static files.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "object-src": [NONE],
        "base-uri": [SELF],
    },
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}

SITE_NAME = _("Realname")
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")
DEMO_DATA_ALLOWED = env.bool("DEMO_DATA_ALLOWED", default=True)

# --- Review queue (moderation) ---------------------------------------------
REVIEW_SLA_HOURS = env.int("REVIEW_SLA_HOURS", default=24)
REVIEW_CLAIM_TIMEOUT_MINUTES = env.int("REVIEW_CLAIM_TIMEOUT_MINUTES", default=30)

# --- Enforcement ladder, reports, appeals ----------------------------------
STRIKE_WINDOW_DAYS = env.int("STRIKE_WINDOW_DAYS", default=180)
REPORTS_PER_DAY = env.int("REPORTS_PER_DAY", default=20)
APPEAL_WINDOW_DAYS = env.int("APPEAL_WINDOW_DAYS", default=30)

# --- Document verification -------------------------------------------------
DOCUMENT_MAX_SUBMISSIONS = env.int("DOCUMENT_MAX_SUBMISSIONS", default=5)
DOCUMENT_SUBMISSION_WINDOW_HOURS = env.int("DOCUMENT_SUBMISSION_WINDOW_HOURS", default=6)
DOCUMENT_PURGE_DAYS = env.int("DOCUMENT_PURGE_DAYS", default=30)
DOCUMENT_MIN_AGE_YEARS = 14
IDENTITY_MAX_ACCOUNTS = env.int("IDENTITY_MAX_ACCOUNTS", default=1)

# --- Paid ID-number check (idcheck) ----------------------------------------
IDCHECK_BACKEND = env.str("IDCHECK_BACKEND", default="idcheck.backends.SandboxBackend")
IDCHECK_HTTP_URL = env.str("IDCHECK_HTTP_URL", default="")
IDCHECK_HTTP_TOKEN = env.str("IDCHECK_HTTP_TOKEN", default="")
IDCHECK_HTTP_TIMEOUT_SECONDS = env.float("IDCHECK_HTTP_TIMEOUT_SECONDS", default=10.0)
IDCHECK_COST_FEN = env.int("IDCHECK_COST_FEN", default=500)  # 5 yuan a query
IDCHECK_MONTHLY_BUDGET_FEN = env.int("IDCHECK_MONTHLY_BUDGET_FEN", default=500_000)  # 5,000 yuan

# --- Three-friend vouching -------------------------------------------------
VOUCH_REQUIRED = env.int("VOUCH_REQUIRED", default=3)
VOUCHER_MIN_VERIFIED_DAYS = env.int("VOUCHER_MIN_VERIFIED_DAYS", default=30)
VOUCHER_MIN_FRIEND_DAYS = env.int("VOUCHER_MIN_FRIEND_DAYS", default=7)
VOUCHER_MAX_OPEN = env.int("VOUCHER_MAX_OPEN", default=2)
VOUCHER_MAX_PER_PERIOD = env.int("VOUCHER_MAX_PER_PERIOD", default=5)
VOUCHER_PERIOD_DAYS = env.int("VOUCHER_PERIOD_DAYS", default=90)
VOUCH_CHALLENGE_HOURS = env.int("VOUCH_CHALLENGE_HOURS", default=72)
VOUCH_REQUEST_EXPIRY_DAYS = env.int("VOUCH_REQUEST_EXPIRY_DAYS", default=14)
VOUCH_MAX_CASES_PER_PERIOD = env.int("VOUCH_MAX_CASES_PER_PERIOD", default=3)
VOUCH_YOUNG_ACCOUNT_DAYS = env.int("VOUCH_YOUNG_ACCOUNT_DAYS", default=30)
VOUCH_RECHECK_DAYS = env.int("VOUCH_RECHECK_DAYS", default=180)

# --- Public accounts ---------------------------------------------------------
PUBLIC_ACCOUNTS_PER_IDENTITY = env.int("PUBLIC_ACCOUNTS_PER_IDENTITY", default=2)
QUALIFICATION_REMINDER_DAYS = env.int("QUALIFICATION_REMINDER_DAYS", default=30)
ARTICLE_PAGE_SIZE = env.int("ARTICLE_PAGE_SIZE", default=20)
