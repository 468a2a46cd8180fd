"""Delivery: the tasks that carry a message out (notification mail, account mail, SMS code) and the SMS send.

The modules that enqueue them (notifications, services, adapter) import this one; it imports nothing of
accounts but the models, so no enqueuer is ever imported back. The tasks keep their names under
`accounts.tasks` (queued messages keep working), and `accounts.tasks` imports them so a worker's
autodiscovery registers them.
"""

import json

from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMultiAlternatives, send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core.crypto import decrypt_str
from core.sms import send_sms

from .models import Notification, PhoneChallenge


@shared_task(name="accounts.tasks.send_notification_email", acks_late=True, autoretry_for=(OSError,), retry_backoff=True,
             max_retries=5)
def send_notification_email(*, notification_id: int) -> None:
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


@shared_task(name="accounts.tasks.send_account_email", acks_late=True, autoretry_for=(OSError,), retry_backoff=True,
             max_retries=5)
def send_account_email(*, token: str) -> None:
    """Send one account mail rendered by accounts.adapter; it arrives Fernet-encrypted (it holds a login link)."""
    data = json.loads(decrypt_str(token))
    message = EmailMultiAlternatives(subject=data["subject"], body=data["body"], from_email=data["from_email"],
                                     to=data["to"], headers=data.get("headers") or None)
    message.content_subtype = data.get("content_subtype") or "plain"
    for content, mimetype in data.get("alternatives") or []:
        message.attach_alternative(content, mimetype)
    message.send()


@shared_task(name="accounts.tasks.send_sms_code", acks_late=True, autoretry_for=(OSError,), retry_backoff=True,
             max_retries=3)
def send_sms_code(*, challenge_id: int | None = None, **legacy) -> bool:
    """Send a challenge's code: the message holds the id only; number and code are read from the row.

    A message queued before this release (number and code in its arguments) is dropped unread: the
    user asks for a new code. Returns whether an SMS went out (False when already sent or gone).
    """
    if challenge_id is None:
        return False
    return phone_challenge_send(challenge_id=challenge_id)



def phone_challenge_send(*, challenge_id: int) -> bool:
    """Send a challenge's code by SMS once (the task's body); True when a message went out.

    Idempotent: a challenge already sent, replaced, used or expired is not sent (again). The row stays
    locked while the provider is called, so a redelivered message waits and then finds it sent; if the
    provider fails, nothing is marked and the retry sends the same code. Once sent, the code is erased
    from the row: only its keyed hash remains.
    """
    with transaction.atomic():
        challenge = (PhoneChallenge.objects.select_for_update().select_related("user")
                     .filter(pk=challenge_id).first())
        if challenge is None or challenge.sent_at is not None or not challenge.code_token:
            return False
        if challenge.used_at is not None or challenge.expires_at <= timezone.now():
            PhoneChallenge.objects.filter(pk=challenge.pk).update(code_token="")
            return False
        with translation.override(challenge.user.language):
            text = _("Your verification code is %(code)s. It is valid for %(minutes)d minutes. "
                     "Do not share it with anyone.") % {"code": challenge.code_token,
                                                        "minutes": settings.PHONE_CODE_TTL_SECONDS // 60}
        send_sms(to=challenge.number, text=text)
        PhoneChallenge.objects.filter(pk=challenge.pk).update(sent_at=timezone.now(), code_token="")
    return True
