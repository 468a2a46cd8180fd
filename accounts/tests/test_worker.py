"""Celery through a real worker on Redis (CI runs these; locally they skip without REDIS_URL)."""

import time

import pytest
from django.core import mail

from accounts.models import Notification
from accounts.notifications import notify

pytestmark = [pytest.mark.redis, pytest.mark.postgres]


@pytest.fixture
def celery_worker_on_redis():
    from celery.contrib.testing.worker import start_worker

    from config.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = False
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
            yield app
    finally:
        app.conf.task_always_eager = previous


def _wait_for(predicate, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


@pytest.mark.django_db(transaction=True)
def test_notification_email_is_sent_by_a_real_worker_after_commit(celery_worker_on_redis, settings):
    from accounts.tests.factories import UserFactory

    user = UserFactory(email="worker@example.com")
    notification = notify(user=user, kind="test", title="Hello from the worker", body="Body")
    assert _wait_for(lambda: Notification.objects.get(pk=notification.pk).emailed_at is not None)
    assert [m.subject for m in mail.outbox] == ["Hello from the worker"]


@pytest.mark.django_db(transaction=True)
def test_email_task_is_idempotent(celery_worker_on_redis):
    from accounts.tasks import send_notification_email
    from accounts.tests.factories import UserFactory

    user = UserFactory()
    notification = notify(user=user, kind="test", title="Once", body="")
    assert _wait_for(lambda: Notification.objects.get(pk=notification.pk).emailed_at is not None)
    send_notification_email.apply(kwargs={"notification_id": notification.pk})
    send_notification_email.apply(kwargs={"notification_id": 999_999})  # gone: returns quietly
    assert len([m for m in mail.outbox if m.subject == "Once"]) == 1
