"""Thin, idempotent tasks: take ids, re-fetch, return quietly if gone or done.

Each keeps the name it had before the app was split into rooms (`verification.tasks.*`): the beat
schedule and messages already queued find it by that name.
"""

from celery import shared_task

from .images import documents_purge_decided, submission_process_images, submissions_stuck_ids


@shared_task(name="verification.tasks.process_submission_images", acks_late=True, autoretry_for=(OSError,),
             retry_backoff=True, max_retries=5)
def process_submission_images(*, submission_id: int) -> None:
    """Check the stored uploads of a submission and put it in the review queue (or fail it)."""
    submission_process_images(submission_id=submission_id)


@shared_task(name="verification.tasks.purge_decided_documents", acks_late=True)
def purge_decided_documents() -> int:
    """Hourly (beat): delete document images DOCUMENT_PURGE_DAYS after the decision."""
    return documents_purge_decided()


@shared_task(name="verification.tasks.process_stuck_submissions", acks_late=True)
def process_stuck_submissions() -> int:
    """Enqueue the image task again for submissions whose task was lost (needs a beat entry to run)."""
    ids = submissions_stuck_ids()
    for submission_id in ids:
        process_submission_images.delay(submission_id=submission_id)
    return len(ids)
