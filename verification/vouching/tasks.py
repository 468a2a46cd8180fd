"""Thin, idempotent tasks of the vouching room.

The task keeps the name it had before the app was split into rooms (`verification.tasks.*`): the
beat schedule and messages already queued find it by that name.
"""

from celery import shared_task

from .services import vouch_cases_tick as tick


@shared_task(name="verification.tasks.vouch_cases_tick", acks_late=True)
def vouch_cases_tick() -> dict:
    """Every 5 minutes (beat): expire old vouch requests, end cases that cannot finish, grant after the window."""
    # Each case is handled in its own transaction and only when still due, so a re-run changes nothing.
    return tick()
