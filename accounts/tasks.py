"""Thin, idempotent tasks: take ids, re-fetch, return quietly if gone or done."""

import json

from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMultiAlternatives, send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation

from core.crypto import decrypt_str


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_notification_email(*, notification_id: int) -> None:
    from .models import Notification

    with transaction.atomic():
        notification = (Notification.objects.select_for_update().select_related("user")
                        .filter(pk=notification_id, emailed_at__isnull=True).first())
        if notification is None or not notification.user.email:
            return
        with translation.override(notification.user.language):
            body = render_to_string("accounts/email/notification.txt", {"n": notification, "site_url": settings.SITE_URL})
        send_mail(notification.title, body, None, [notification.user.email])
        notification.emailed_at = timezone.now()
        notification.save(update_fields=["emailed_at"])


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_account_email(*, token: str) -> None:
    """Send one account mail rendered by accounts.adapter; it arrives Fernet-encrypted (it holds a login link)."""
    data = json.loads(decrypt_str(token))
    message = EmailMultiAlternatives(subject=data["subject"], body=data["body"], from_email=data["from_email"],
                                     to=data["to"], headers=data.get("headers") or None)
    message.content_subtype = data.get("content_subtype") or "plain"
    for content, mimetype in data.get("alternatives") or []:
        message.attach_alternative(content, mimetype)
    message.send()


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=3)
def send_sms_code(*, challenge_id: int | None = None, **legacy) -> bool:
    """Send a challenge's code: the message holds the id only; number and code are read from the row.

    A message queued before this release (number and code in its arguments) is dropped unread: the
    user asks for a new code. Returns whether an SMS went out (False when already sent or gone).
    """
    from .services import phone_challenge_send

    if challenge_id is None:
        return False
    return phone_challenge_send(challenge_id=challenge_id)


@shared_task(acks_late=True)
def purge_phone_challenges() -> int:
    """Hourly (beat): erase unsent codes of expired challenges and delete old challenges."""
    from .services import phone_challenges_purge

    return phone_challenges_purge()


@shared_task(acks_late=True)
def erase_deleted_accounts() -> int:
    """Hourly (beat): erase the accounts whose deletion cooling-off period is over; returns how many."""
    import logging

    from .deletion import deletion_due_ids, deletion_erase

    erased = 0
    for deletion_request_id in deletion_due_ids():
        # Each account in its own transaction: one eraser failing must not hold back every other
        # account; it is tried again at the next run.
        try:
            erased += deletion_erase(deletion_request_id=deletion_request_id)
        except Exception:
            logging.getLogger(__name__).exception("erasing deletion request %s failed", deletion_request_id)
    return erased
