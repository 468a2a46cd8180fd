"""What crosses the Celery broker for an SMS code: the challenge id, never the number or the code."""

import json
import re

import pytest
from django.urls import reverse
from kombu.messaging import Producer
from kombu.serialization import loads

from accounts.models import Level
from accounts.tasks import send_sms_code

pytestmark = pytest.mark.django_db

NATIONAL = "13912345678"


@pytest.fixture
def published(monkeypatch):
    """Every message Celery publishes, as it would go over the wire (serialised body, headers, properties)."""
    from config.celery import app

    messages = []

    def capture(self, body, priority, content_type, content_encoding, headers, properties, *args, **kwargs):
        messages.append({"body": body, "content_type": content_type, "content_encoding": content_encoding,
                         "headers": headers, "properties": properties})

    monkeypatch.setattr(Producer, "_publish", capture)
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = False
    try:
        yield messages
    finally:
        app.conf.task_always_eager = previous


def test_the_sms_task_message_carries_only_the_challenge_id(client, user, sms_outbox, published,
                                                             django_capture_on_commit_callbacks):
    client.force_login(user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("accounts:phone"), {"step": "send", "number": "139 1234 5678"})
    assert response.status_code == 302
    assert sms_outbox == []  # nothing sent inline: the message went to the (captured) broker
    [message] = [m for m in published if m["headers"].get("task") == "accounts.tasks.send_sms_code"]
    body = message["body"]
    args, kwargs, _embed = loads(body, message["content_type"], message["content_encoding"])
    challenge = user.phone_challenges.get()
    assert (args, kwargs) == ([], {"challenge_id": challenge.pk})

    # A worker receiving exactly this message sends the code...
    send_sms_code.apply(args=args, kwargs=kwargs)
    code = re.search(r"\b(\d{6})\b", sms_outbox[-1]["text"]).group(1)
    # ...which appears nowhere in what crossed the broker, nor does the number, in clear or encrypted.
    wire = "\n".join([body.decode() if isinstance(body, bytes) else body,
                      json.dumps(message["headers"], default=str), json.dumps(message["properties"], default=str)])
    for secret in (NATIONAL, "+86" + NATIONAL, "139 1234 5678", "1234 5678", code):
        assert secret not in wire
    assert "gAAAA" not in wire  # no Fernet token either: ids only

    client.post(reverse("accounts:phone"), {"step": "confirm", "code": code})
    user.refresh_from_db()
    assert user.level == Level.INDIRECT
