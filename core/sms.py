"""Pluggable SMS sending: settings.SMS_BACKEND names a class with send(to, text).

Locally the console backend prints; tests collect messages in `outbox`; production
points SMS_BACKEND at a provider adapter with the same one-method interface.
"""

import logging

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)

outbox: list[dict[str, str]] = []


class BaseSMSBackend:
    def send(self, *, to: str, text: str) -> None:
        raise NotImplementedError


class ConsoleSMSBackend(BaseSMSBackend):
    """Prints the message: local development only (it contains the code)."""

    def send(self, *, to: str, text: str) -> None:
        print(f"[SMS to {to}] {text}", flush=True)  # noqa: T201


class LocmemSMSBackend(BaseSMSBackend):
    """Keeps messages in core.sms.outbox for tests."""

    def send(self, *, to: str, text: str) -> None:
        outbox.append({"to": to, "text": text})


def send_sms(*, to: str, text: str) -> None:
    """Send one text message through the configured backend."""
    backend = import_string(settings.SMS_BACKEND)()
    backend.send(to=to, text=text)
    # Never log the text: it carries a one-time code.
    logger.info("sms sent via %s", settings.SMS_BACKEND.rsplit(".", 1)[-1])
