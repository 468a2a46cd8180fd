import re
from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from accounts import services
from accounts.models import Level, LevelSource, Notification, PhoneNumber
from accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _code(outbox) -> str:
    return re.search(r"\b(\d{6})\b", outbox[-1]["text"]).group(1)


def _send(client, number="13800138000"):
    return client.post(reverse("accounts:phone"), {"step": "send", "number": number}, HTTP_ACCEPT_LANGUAGE="en")


def _confirm(client, code):
    return client.post(reverse("accounts:phone"), {"step": "confirm", "code": code}, HTTP_ACCEPT_LANGUAGE="en")


def test_code_by_sms_then_confirm_raises_level_to_1(client, user, sms_outbox, django_capture_on_commit_callbacks):
    client.force_login(user)
    with django_capture_on_commit_callbacks(execute=True):
        assert _send(client).status_code == 302
    assert sms_outbox[-1]["to"] == "+8613800138000"
    with django_capture_on_commit_callbacks(execute=True):
        response = _confirm(client, _code(sms_outbox))
    assert response.status_code == 302
    user.refresh_from_db()
    assert (user.level, user.level_source) == (Level.INDIRECT, LevelSource.PHONE)
    assert PhoneNumber.objects.get(user=user).confirmed_at is not None
    assert Notification.objects.filter(user=user, kind="phone.confirmed").exists()
    shown = client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Your phone number is confirmed. You are now at level 1." in shown


def test_only_a_hash_of_the_code_is_stored(client, user, sms_outbox, django_capture_on_commit_callbacks):
    client.force_login(user)
    with django_capture_on_commit_callbacks(execute=True):
        _send(client)
    challenge = user.phone_challenges.get()
    assert _code(sms_outbox) not in challenge.code_hash


def test_wrong_code_counts_tries_and_locks_after_the_limit(client, user, sms_outbox, settings,
                                                          django_capture_on_commit_callbacks):
    settings.PHONE_CODE_MAX_TRIES = 3
    client.force_login(user)
    with django_capture_on_commit_callbacks(execute=True):
        _send(client)
    good = _code(sms_outbox)
    bad = "000000" if good != "000000" else "111111"
    assert "2 tries left" in _confirm(client, bad).content.decode()
    assert "1 tries left" in _confirm(client, bad).content.decode()
    assert "Too many wrong codes" in _confirm(client, bad).content.decode()
    # Even the right code is refused now: a new one must be requested.
    assert "Too many wrong codes" in _confirm(client, good).content.decode()
    user.refresh_from_db()
    assert user.level == Level.REGISTERED


def test_code_expires_after_ten_minutes(client, user, sms_outbox, django_capture_on_commit_callbacks):
    client.force_login(user)
    with django_capture_on_commit_callbacks(execute=True):
        _send(client)
    code = _code(sms_outbox)
    with time_machine.travel(timezone.now() + timedelta(minutes=10, seconds=1)):
        assert "expired" in _confirm(client, code).content.decode()
    user.refresh_from_db()
    assert user.level == Level.REGISTERED


def test_sending_is_rate_limited(client, user, sms_outbox, django_capture_on_commit_callbacks):
    client.force_login(user)
    with django_capture_on_commit_callbacks(execute=True):
        _send(client)
        response = _send(client)
    assert "Too many codes were sent" in response.content.decode()
    assert len(sms_outbox) == 1


def test_number_confirmed_on_another_account_is_refused(client, user, sms_outbox):
    other = UserFactory()
    PhoneNumber.objects.create(user=other, number="+8613800138000", confirmed_at=timezone.now())
    client.force_login(user)
    response = _send(client)
    assert "already confirmed on another account" in response.content.decode()
    assert 'value="138 0013 8000"' in response.content.decode() or "13800138000" in response.content.decode()
    assert sms_outbox == []


def test_accounts_per_number_is_a_setting(user, settings, sms_outbox, django_capture_on_commit_callbacks):
    settings.PHONE_MAX_ACCOUNTS_PER_NUMBER = 2
    other = UserFactory()
    PhoneNumber.objects.create(user=other, number="+8613800138000", confirmed_at=timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        services.phone_send_code(user=user, number="+8613800138000")
    services.phone_confirm(user=user, code=_code(sms_outbox))
    user.refresh_from_db()
    assert user.level == Level.INDIRECT


def test_number_taken_between_send_and_confirm_is_refused(user, sms_outbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.phone_send_code(user=user, number="+8613800138000")
    PhoneNumber.objects.create(user=UserFactory(), number="+8613800138000", confirmed_at=timezone.now())
    with pytest.raises(services.PhoneError):
        services.phone_confirm(user=user, code=_code(sms_outbox))


@pytest.mark.parametrize("number", ["+14155552671", "01012345678", "12345", "abc"])
def test_only_mainland_mobile_numbers(client, user, number, sms_outbox):
    client.force_login(user)
    response = _send(client, number)
    assert response.status_code == 200
    assert "mobile number" in response.content.decode()
    assert sms_outbox == []


def test_phone_page_needs_login(client):
    assert client.get(reverse("accounts:phone"))["Location"].startswith(reverse("account_login"))
