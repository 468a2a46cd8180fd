"""Thin, idempotent beat tasks: take ids, re-fetch, return quietly if gone or done.

The delivery tasks (mail, SMS) live in accounts.delivery, below the services that enqueue them;
they are imported here so that a worker's autodiscovery of `accounts.tasks` registers them.
"""

import logging

from celery import shared_task

from .deletion import deletion_due_ids, deletion_erase
from .delivery import send_account_email, send_notification_email, send_sms_code
from .services import phone_challenges_purge

__all__ = ["erase_deleted_accounts", "purge_phone_challenges", "send_account_email", "send_notification_email",
           "send_sms_code"]


@shared_task(acks_late=True)
def purge_phone_challenges() -> int:
    """Hourly (beat): erase unsent codes of expired challenges and delete old challenges."""
    return phone_challenges_purge()


@shared_task(acks_late=True)
def erase_deleted_accounts() -> int:
    """Hourly (beat): erase the accounts whose deletion cooling-off period is over; returns how many."""
    erased = 0
    for deletion_request_id in deletion_due_ids():
        # Each account in its own transaction: one eraser failing must not hold back every other
        # account; it is tried again at the next run.
        try:
            erased += deletion_erase(deletion_request_id=deletion_request_id)
        except Exception:
            logging.getLogger(__name__).exception("erasing deletion request %s failed", deletion_request_id)
    return erased
