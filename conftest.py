"""Project-wide fixtures: factories, service markers that skip locally but never in CI."""

import os

import pytest

from core import sms
from core.testing import running_in_ci


def pytest_collection_modifyitems(config, items):
    db_url = os.environ.get("DATABASE_URL", "")
    redis_url = os.environ.get("REDIS_URL", "")
    missing = {
        "postgres": None if db_url.startswith(("postgres", "postgresql")) else
        "needs PostgreSQL: set DATABASE_URL=postgres://... to run it",
        "redis": None if redis_url else "needs Redis and a Celery worker: set REDIS_URL=redis://... to run it",
    }
    for item in items:
        for marker, reason in missing.items():
            if reason and marker in item.keywords:
                if running_in_ci():
                    # In CI a skipped service test would hide a broken setup: fail loudly instead.
                    raise pytest.UsageError(f"CI=true but {item.nodeid} {reason}")
                item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(autouse=True)
def _isolate(settings, tmp_path):
    """Empty SMS outbox, a fresh cache (rate limits) and a private folder per test."""
    from django.core.cache import cache

    sms.outbox.clear()
    cache.clear()
    settings.MEDIA_ROOT = tmp_path / "media"
    yield
    sms.outbox.clear()


@pytest.fixture
def sms_outbox():
    return sms.outbox


@pytest.fixture
def user(db):
    from accounts.tests.factories import UserFactory

    return UserFactory()


@pytest.fixture
def level1_user(db):
    from accounts.tests.factories import Level1UserFactory

    return Level1UserFactory()


@pytest.fixture
def level2_user(db):
    from accounts.tests.factories import Level2UserFactory

    return Level2UserFactory()


def mfa_login(client, user):
    """Log `user` in as if they had passed password + TOTP in this session."""
    import time

    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP

    if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
        TOTP.activate(user, "JBSWY3DPEHPK3PXP")
    client.force_login(user)
    session = client.session
    session["account_authentication_methods_user"] = str(user.pk)
    session["account_authentication_methods"] = [
        {"method": "password", "at": time.time(), "email": user.email},
        {"method": "mfa", "at": time.time(), "type": "totp"},
    ]
    session.save()
    return client


@pytest.fixture
def staff_client(client, db):
    """A superuser who passed MFA in this session."""
    from accounts.tests.factories import Level2UserFactory

    admin = Level2UserFactory(is_staff=True, is_superuser=True)
    return mfa_login(client, admin)


_DATA_MIGRATIONS = [
    ("accounts.migrations.0002_groups_and_first_agreement", "forwards"),
    ("verification.migrations.0002_seed_document_kinds", "forwards"),
    ("publicaccounts.migrations.0002_seed_reserved_terms", "forwards"),
]


@pytest.fixture(autouse=True)
def _data_migrations_present(request):
    """Re-seed what data migrations created (groups, the agreement, document kinds, reserved terms).

    A transactional test (PostgreSQL races, the Celery worker, the browser) ends with a flush
    that empties every table, data migrations included; later tests must still find them.
    """
    if request.node.get_closest_marker("django_db") is None and not {"db", "transactional_db"} & set(
            request.fixturenames):
        return
    import importlib

    from django.apps import apps
    from django.contrib.auth.models import Group

    request.getfixturevalue("_django_db_helper")
    if Group.objects.filter(name="moderator").exists():
        return
    for module, function in _DATA_MIGRATIONS:
        getattr(importlib.import_module(module), function)(apps, None)
