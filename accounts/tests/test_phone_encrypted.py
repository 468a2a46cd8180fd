"""Phone numbers like identities: encrypted at rest, found by fingerprint, masked everywhere, never logged."""

import logging
import re
from datetime import timedelta

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from accounts import delivery, services
from accounts.models import Level, PhoneChallenge, PhoneNumber
from accounts.phones import mask_phone, phone_fingerprint
from accounts.tasks import send_sms_code
from accounts.tests.factories import UserFactory
from core import crypto

pytestmark = pytest.mark.django_db

E164 = "+8613912345678"
NATIONAL = "13912345678"
SPELLINGS = ["13912345678", "139 1234 5678", "+86 139-1234-5678", "008613912345678"]


def _code(outbox) -> str:
    return re.search(r"\b(\d{6})\b", outbox[-1]["text"]).group(1)


def _raw(table: str, columns: str, pk: int) -> tuple:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {columns} FROM {table} WHERE id = %s", [pk])  # noqa: S608 - fixed names
        return cursor.fetchone()


def _confirm_number(user, number, outbox, capture) -> PhoneNumber:
    with capture(execute=True):
        services.phone_send_code(user=user, number=number)
    return services.phone_confirm(user=user, code=_code(outbox))


def test_number_is_stored_encrypted_with_a_fingerprint(user, sms_outbox, django_capture_on_commit_callbacks):
    phone = _confirm_number(user, "139 1234 5678", sms_outbox, django_capture_on_commit_callbacks)
    raw_number, raw_fingerprint = _raw("accounts_phonenumber", "number, fingerprint", phone.pk)
    assert NATIONAL not in raw_number and "5678" not in raw_number
    assert crypto.decrypt_str(raw_number) == E164
    assert raw_fingerprint == crypto.fingerprint(E164, purpose="phone") == phone_fingerprint(E164)
    # The same key, a different purpose: a phone fingerprint never equals an identity fingerprint of the digits.
    assert raw_fingerprint != services.identity_fingerprint(document_type="resident_id", normalised_number=E164)
    challenge = user.phone_challenges.get()
    raw_number, raw_code = _raw("accounts_phonechallenge", "number, code_token", challenge.pk)
    assert NATIONAL not in raw_number and crypto.decrypt_str(raw_number) == E164
    assert raw_code == ""  # sent and used: only the keyed hash of the code is left
    assert PhoneNumber.objects.get(pk=phone.pk).number == E164


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_every_spelling_finds_the_number(user, spelling):
    PhoneNumber.objects.create(user=user, number=E164, confirmed_at=timezone.now())
    assert list(PhoneNumber.objects.with_number(spelling)) == [user.phone]


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_cap_holds_whatever_the_spelling(client, user, sms_outbox, spelling):
    PhoneNumber.objects.create(user=UserFactory(), number="+86 139 1234 5678", confirmed_at=timezone.now())
    with pytest.raises(services.PhoneError, match="already confirmed on another account"):
        services.phone_send_code(user=user, number=spelling)
    assert sms_outbox == []


def test_phone_page_shows_only_the_masked_number(client, user, sms_outbox, django_capture_on_commit_callbacks):
    client.force_login(user)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("accounts:phone"), {"step": "send", "number": NATIONAL})
    html = client.get(reverse("accounts:phone"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Code sent to 139****5678." in html
    assert NATIONAL not in html and "139 1234 5678" not in html and "12345678" not in html
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("accounts:phone"), {"step": "confirm", "code": _code(sms_outbox)})
    assert response.status_code == 302
    html = client.get(reverse("accounts:phone"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Confirmed number: 139****5678" in html
    assert NATIONAL not in html and "12345678" not in html


def test_admin_shows_only_the_masked_number(staff_client, user):
    phone = PhoneNumber.objects.create(user=user, number=E164, confirmed_at=timezone.now())
    for url in (reverse("admin:accounts_phonenumber_changelist"),
                reverse("admin:accounts_phonenumber_change", args=[phone.pk]),
                reverse("admin:accounts_user_change", args=[user.pk])):
        response = staff_client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        assert NATIONAL not in html and "12345678" not in html and phone.fingerprint not in html, url
    assert "139****5678" in staff_client.get(reverse("admin:accounts_phonenumber_changelist")).content.decode()


def test_mask():
    assert mask_phone(E164) == mask_phone("139 1234 5678") == "139****5678"
    assert mask_phone("not a number") == "****"


def test_send_task_is_idempotent_and_erases_the_code(user, sms_outbox):
    # Outside django_capture_on_commit_callbacks the after-commit send never runs: the test sends by hand.
    challenge = services.phone_send_code(user=user, number=NATIONAL)
    assert _raw("accounts_phonechallenge", "code_token", challenge.pk)[0] != ""  # waiting, encrypted
    assert send_sms_code.apply(kwargs={"challenge_id": challenge.pk}).get() is True
    assert send_sms_code.apply(kwargs={"challenge_id": challenge.pk}).get() is False  # redelivered
    assert send_sms_code.apply(kwargs={"challenge_id": 999_999}).get() is False  # gone
    assert [m["to"] for m in sms_outbox] == [E164]
    challenge.refresh_from_db()
    assert challenge.sent_at is not None and challenge.code_token == ""
    services.phone_confirm(user=user, code=_code(sms_outbox))
    user.refresh_from_db()
    assert user.level == Level.INDIRECT


def test_a_replaced_or_expired_code_is_never_sent(user, sms_outbox):
    first = services.phone_send_code(user=user, number=NATIONAL)
    second = services.phone_send_code(user=user, number=NATIONAL)
    assert send_sms_code.apply(kwargs={"challenge_id": first.pk}).get() is False
    PhoneChallenge.objects.filter(pk=second.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert send_sms_code.apply(kwargs={"challenge_id": second.pk}).get() is False
    assert sms_outbox == []
    assert [_raw("accounts_phonechallenge", "code_token", c.pk)[0] for c in (first, second)] == ["", ""]


class FailingOnceSMSBackend:
    calls = 0

    def send(self, *, to, text):
        type(self).calls += 1
        if type(self).calls == 1:
            raise OSError("provider down")
        from core.sms import outbox

        outbox.append({"to": to, "text": text})


def test_a_failed_send_is_retried_with_the_same_code(user, sms_outbox, settings):
    settings.SMS_BACKEND = f"{__name__}.FailingOnceSMSBackend"
    FailingOnceSMSBackend.calls = 0
    challenge = services.phone_send_code(user=user, number=NATIONAL)
    with pytest.raises(OSError):
        delivery.phone_challenge_send(challenge_id=challenge.pk)
    challenge.refresh_from_db()
    assert challenge.sent_at is None and challenge.code_token  # nothing marked: the retry sends it
    assert delivery.phone_challenge_send(challenge_id=challenge.pk) is True
    services.phone_confirm(user=user, code=_code(sms_outbox))
    assert PhoneNumber.objects.with_number(NATIONAL).get().user == user


def test_purge_erases_unsent_codes_and_old_challenges(user):
    old = services.phone_send_code(user=user, number=NATIONAL)
    PhoneChallenge.objects.filter(pk=old.pk).update(expires_at=timezone.now() - timedelta(days=2))
    recent = services.phone_send_code(user=UserFactory(), number=NATIONAL)
    PhoneChallenge.objects.filter(pk=recent.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    live = services.phone_send_code(user=UserFactory(), number=NATIONAL)
    from accounts.tasks import purge_phone_challenges

    assert purge_phone_challenges.apply().get() == 1
    assert not PhoneChallenge.objects.filter(pk=old.pk).exists()
    assert _raw("accounts_phonechallenge", "code_token", recent.pk)[0] == ""
    assert _raw("accounts_phonechallenge", "code_token", live.pk)[0] != ""


def test_key_rotation_reencrypts_phone_numbers_and_pending_codes(user, settings):
    phone = PhoneNumber.objects.create(user=UserFactory(), number=E164, confirmed_at=timezone.now())
    challenge = services.phone_send_code(user=user, number="13900139000")
    old_key, new_key = settings.FIELD_ENCRYPTION_KEYS[0], Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [new_key, old_key]
    call_command("reencrypt_identities")
    settings.FIELD_ENCRYPTION_KEYS = [new_key]
    assert PhoneNumber.objects.get(pk=phone.pk).number == E164
    fresh = PhoneChallenge.objects.get(pk=challenge.pk)
    assert fresh.number == "+8613900139000" and len(fresh.code_token) == 6
    raw = _raw("accounts_phonenumber", "number", phone.pk)[0]
    assert Fernet(new_key.encode()).decrypt(raw.encode()).decode() == E164
    assert PhoneNumber.objects.with_number(E164).get() == phone  # the fingerprint does not depend on the key


@pytest.mark.parametrize("backend", ["core.sms.LocmemSMSBackend", "core.sms.ConsoleSMSBackend"])
def test_no_number_or_code_in_any_log_line(client, user, sms_outbox, settings, caplog, capsys, backend,
                                           django_capture_on_commit_callbacks):
    settings.SMS_BACKEND = backend
    caplog.set_level(logging.DEBUG)
    client.force_login(user)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("accounts:phone"), {"step": "send", "number": NATIONAL})
    printed = capsys.readouterr().out
    code = _code(sms_outbox) if sms_outbox else re.search(r"\b(\d{6})\b", printed).group(1)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("accounts:phone"), {"step": "confirm", "code": code})
    user.refresh_from_db()
    assert user.level == Level.INDIRECT
    logged = "\n".join(f"{r.getMessage()} {r.args!r}" for r in caplog.records)
    assert caplog.records  # the send itself is logged (without what it sent)
    for secret in (NATIONAL, E164, code):
        assert secret not in logged
    # Only the console backend (local development) prints the message, to the terminal.
    assert (code in printed) == (backend == "core.sms.ConsoleSMSBackend")
