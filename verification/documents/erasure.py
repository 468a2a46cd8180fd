"""The document room's part of erasing a deleted account (registered with accounts.erasure in ready()).

The pictures of documents go at once, and what was still open is closed; the records stay: each
submission's decision, reason, reviewer and image hashes. The identity's fingerprint is kept by
accounts itself; the vouching room erases its own part (vouching/erasure.py).
"""

from django.db import transaction
from django.utils import timezone

from .images import images_purge
from .models import DocumentImage, DocumentSubmission, SubmissionStatus
from .services import submission_withdraw


def erase_document_data(*, user) -> None:
    """accounts.erasure eraser: delete every document picture and close open submissions; keep the records."""
    with transaction.atomic():
        # Nothing was decided on an upload still being checked: it goes, and its files follow the row.
        DocumentSubmission.objects.filter(user=user, status=SubmissionStatus.PROCESSING).delete()
        for submission in DocumentSubmission.objects.filter(user=user, status=SubmissionStatus.PENDING):
            submission_withdraw(submission=submission, actor=user)
        images_purge(DocumentImage.objects.select_for_update(of=("self",))
                     .filter(submission__user=user, purged_at__isnull=True), now=timezone.now())
