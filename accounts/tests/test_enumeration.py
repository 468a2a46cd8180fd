"""Signup, login and password reset tell nothing about whether an email is registered: same answer, same time."""

import json
import re
import statistics
import time

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.contrib.messages import get_messages
from django.core import mail
from django.core.cache import cache
from django.urls import reverse

from accounts import tasks
from accounts.models import User
from accounts.tests.factories import PASSWORD
from core.crypto import decrypt_str

pytestmark = pytest.mark.django_db

ROUNDS = 9
# The medians may differ by noise, not by the work one path skips (a password hash is ~5-20x the rest).
LOW, HIGH = 0.5, 2.0


class TimingHasher(PBKDF2PasswordHasher):
    """A real key-derivation cost (the test settings use MD5, which would hide the difference)."""

    algorithm = "pbkdf2_sha256_timing_test"
    iterations = 100_000


@pytest.fixture
def real_hasher(settings):
    settings.PASSWORD_HASHERS = ["accounts.tests.test_enumeration.TimingHasher"]


@pytest.fixture
def registered(real_hasher, user):
    user.set_password(PASSWORD)
    user.save(update_fields=["password"])
    return user


def _signup_data(email):
    return {"email": email, "nickname": "Blue Sky", "password1": "Correct-horse-42",
            "password2": "Correct-horse-42", "accept_agreement": "on"}


def _timed(client, url, data):
    # A fresh rate-limit count and session each time: every request is a first try from a new browser.
    cache.clear()
    client.cookies.clear()
    started = time.perf_counter()
    response = client.post(url, data, HTTP_ACCEPT_LANGUAGE="en")
    return time.perf_counter() - started, response


def _compare(client, url, data_for):
    """Median time of ROUNDS posts for the registered email and for unknown ones, interleaved against drift."""
    times = {"registered": [], "unknown": []}
    for i in range(ROUNDS):
        for label in ("registered", "unknown") if i % 2 else ("unknown", "registered"):
            elapsed, _response = _timed(client, url, data_for(label, i))
            times[label].append(elapsed)
    registered, unknown = statistics.median(times["registered"]), statistics.median(times["unknown"])
    return registered / unknown, registered, unknown


def _answer(response, email):
    """What the browser is told, with the typed address taken out."""
    messages = [str(m).replace(email, "EMAIL") for m in get_messages(response.wsgi_request)]
    errors = response.context["form"].errors if response.context and "form" in response.context else None
    return response.status_code, response.get("Location"), messages, errors


# --- The same answer ---------------------------------------------------------------------------

def test_signup_answers_the_same_and_each_owner_gets_one_mail(client, user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        _elapsed, known = _timed(client, reverse("account_signup"), _signup_data(user.email))
    with django_capture_on_commit_callbacks(execute=True):
        _elapsed, new = _timed(client, reverse("account_signup"), _signup_data("brand-new@example.com"))
    assert _answer(known, user.email) == _answer(new, "brand-new@example.com")
    assert known.status_code == 302 and known["Location"] == reverse("account_email_verification_sent")
    # The owner of the registered address hears that someone tried; no second account exists.
    assert [m.to for m in mail.outbox] == [[user.email], ["brand-new@example.com"]]
    assert "already" in mail.outbox[0].body.lower() and "/accounts/confirm-email/" in mail.outbox[1].body
    assert User.objects.filter(email=user.email).count() == 1


def test_login_with_a_wrong_password_answers_the_same(client, user):
    _elapsed, known = _timed(client, reverse("account_login"), {"login": user.email, "password": "Wrong-pass-99"})
    _elapsed, unknown = _timed(client, reverse("account_login"), {"login": "nobody@example.com",
                                                                  "password": "Wrong-pass-99"})
    assert known.status_code == 200
    assert _answer(known, user.email) == _answer(unknown, "nobody@example.com")


def test_password_reset_answers_the_same(client, user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        _elapsed, known = _timed(client, reverse("account_reset_password"), {"email": user.email})
    with django_capture_on_commit_callbacks(execute=True):
        _elapsed, unknown = _timed(client, reverse("account_reset_password"), {"email": "nobody@example.com"})
    assert _answer(known, user.email) == _answer(unknown, "nobody@example.com")
    assert known["Location"] == reverse("account_reset_password_done")
    assert [m.to for m in mail.outbox] == [[user.email], ["nobody@example.com"]]


def test_account_mail_crosses_the_broker_encrypted(client, user, monkeypatch, django_capture_on_commit_callbacks):
    sent = []
    monkeypatch.setattr(tasks.send_account_email, "delay", lambda **kwargs: sent.append(kwargs))
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("account_reset_password"), {"email": user.email})
    assert len(sent) == 1 and list(sent[0]) == ["token"]
    token = sent[0]["token"]
    # Neither the address nor the reset link can be read off the queued message.
    assert user.email not in token and "/accounts/password/reset/key/" not in token
    data = json.loads(decrypt_str(token))
    assert data["to"] == [user.email] and re.search(r"/accounts/password/reset/key/\S+", data["body"])
    tasks.send_account_email(token=token)
    assert [m.to for m in mail.outbox] == [[user.email]] and mail.outbox[0].body == data["body"]


# --- The same time -----------------------------------------------------------------------------

def test_signup_takes_as_long_for_a_registered_email(client, registered):
    ratio, known, unknown = _compare(client, reverse("account_signup"), lambda label, i: _signup_data(
        registered.email if label == "registered" else f"timing-{i}@example.com"))
    assert LOW <= ratio <= HIGH, f"registered {known:.3f}s vs new {unknown:.3f}s"


def test_login_takes_as_long_for_a_registered_email(client, registered):
    ratio, known, unknown = _compare(client, reverse("account_login"), lambda label, i: {
        "login": registered.email if label == "registered" else f"nobody-{i}@example.com",
        "password": "Wrong-pass-99"})
    assert LOW <= ratio <= HIGH, f"registered {known:.3f}s vs unknown {unknown:.3f}s"


def test_password_reset_takes_as_long_for_a_registered_email(client, registered):
    ratio, known, unknown = _compare(client, reverse("account_reset_password"), lambda label, i: {
        "email": registered.email if label == "registered" else f"nobody-{i}@example.com"})
    assert LOW <= ratio <= HIGH, f"registered {known:.3f}s vs unknown {unknown:.3f}s"
