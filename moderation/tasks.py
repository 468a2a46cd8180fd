"""Thin, idempotent tasks: the ladder's timed penalties need no task to end, only to be announced."""

from celery import shared_task
from django.utils import timezone

from . import audit
from .ladder import penalty_notify_ended
from .models import TIMED_RUNGS, Penalty, PenaltyStatus

BATCH = 500


@shared_task(acks_late=True)
def penalties_notify_ended() -> int:
    """Beat task: tell each owner once that a timed penalty ended (notified_end_at makes a repeat harmless)."""
    due = list(Penalty.objects.filter(status=PenaltyStatus.ACTIVE, action__in=TIMED_RUNGS, notified_end_at__isnull=True,
                                      ends_at__lte=timezone.now()).order_by("ends_at").values_list("pk", flat=True)[:BATCH])
    return sum(penalty_notify_ended(penalty_id=pk) for pk in due)


@shared_task(acks_late=True)
def audit_log_chain() -> int:
    """Beat task (every few seconds): chain the entries no after-commit sequencer picked up."""
    return audit.chain_pending()


@shared_task(acks_late=True)
def audit_log_checkpoint() -> str | None:
    """Beat task: sign a checkpoint of the chain into the private storage (outside the database)."""
    return audit.checkpoint_write()
