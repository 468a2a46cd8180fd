"""Thin, idempotent tasks: each notice is sent once, however often beat runs the task."""

from celery import shared_task

from .qualifications import qualifications_remind as remind


@shared_task(acks_late=True)
def qualifications_remind() -> dict:
    """Every 6 hours (beat): remind owners before a qualification ends, and tell them once it has lapsed."""
    return remind()
