"""In-app notifications, and their email copy sent by a Celery task after commit.

Every app tells users things through `notify()`; the text is rendered in the
recipient's language at creation, since the recipient is not the one making the request.
"""

from django.db import transaction
from django.utils import translation

from .delivery import send_notification_email
from .models import Notification


def notify(*, user, kind: str, title, body="", url: str = "", email: bool = True) -> Notification:
    """Create a notification for `user` (lazy strings are rendered in their language)."""
    # An erased account's address is a placeholder that must never be written to.
    email = email and not getattr(user, "is_erased", False)
    with translation.override(getattr(user, "language", None) or translation.get_language()):
        notification = Notification.objects.create(
            user=user, kind=kind, title=str(title)[:200], body=str(body), url=url, email=email,
        )
    if email:
        transaction.on_commit(lambda: send_notification_email.delay(notification_id=notification.pk))
    return notification


def unread_count(user) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).count()
