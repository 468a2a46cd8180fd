"""Two accounts confirming the same number at once: the cap still holds (PostgreSQL)."""

import threading

import pytest
from django.db import connection

from accounts import services
from accounts.models import Level, PhoneNumber
from accounts.tests.factories import UserFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_accounts_racing_for_one_number_get_one_confirmation(sms_outbox, django_capture_on_commit_callbacks):
    import re

    users, codes = [UserFactory(), UserFactory()], []
    for user in users:
        with django_capture_on_commit_callbacks(execute=True):
            services.phone_send_code(user=user, number="+8613800138000")
        codes.append(re.search(r"\b(\d{6})\b", sms_outbox[-1]["text"]).group(1))
    barrier, outcomes = threading.Barrier(2), []

    def confirm(user, code):
        try:
            barrier.wait()
            services.phone_confirm(user=user, code=code)
            outcomes.append("ok")
        except services.PhoneError:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=confirm, args=pair) for pair in zip(users, codes, strict=True)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(outcomes) == ["ok", "refused"]
    assert PhoneNumber.objects.with_number("138 0013 8000").filter(confirmed_at__isnull=False).count() == 1
    assert sorted(u.level for u in type(users[0]).objects.filter(pk__in=[u.pk for u in users])) == [Level.REGISTERED,
                                                                                                  Level.INDIRECT]
