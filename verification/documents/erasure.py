"""Verification's part of erasing a deleted account (registered with accounts.erasure in ready()).

The pictures of documents go at once, and what was still open is closed; the records stay: each
submission's decision, reason, reviewer and image hashes, and every vouch case, request and strike
(DOMAIN.md §5: vouching history is what anti-fraud keeps). The identity's fingerprint is kept by
accounts itself.
"""

from django.db import transaction
from django.utils import timezone

from moderation import audit

from .models import DocumentImage, DocumentSubmission, SubmissionStatus
from .services import _images_purge, submission_withdraw
from .vouch_models import OPEN_CASE_STATUSES, VouchCase, VouchCaseStatus, VouchRequest, VouchRequestStatus
from .vouch_services import _end_if_short, lock_case, vouch_case_withdraw


def _cancel_asks_to(user) -> None:
    # Nobody may confirm for an erased account: its friends' cases should not wait for it to expire.
    for case_id in (VouchRequest.objects.filter(voucher=user, status=VouchRequestStatus.PENDING)
                    .order_by("case_id").values_list("case_id", flat=True).distinct()):
        case = lock_case(case_id)
        for request in VouchRequest.objects.select_for_update().filter(case=case, voucher=user,
                                                                       status=VouchRequestStatus.PENDING):
            request.transition(to=VouchRequestStatus.CANCELLED)
            request.save(update_fields=["status", "decided_at"])
            audit.record(actor=None, action="vouch.request_cancel", target=request,
                         data={"case": case.pk, "why": "voucher account erased"})
        _end_if_short(case, to=VouchCaseStatus.INSUFFICIENT)


def erase_verification_data(*, user) -> None:
    """accounts.erasure eraser: delete every document picture, close open submissions, cases and asks; keep records."""
    with transaction.atomic():
        # Nothing was decided on an upload still being checked: it goes, and its files follow the row.
        DocumentSubmission.objects.filter(user=user, status=SubmissionStatus.PROCESSING).delete()
        for submission in DocumentSubmission.objects.filter(user=user, status=SubmissionStatus.PENDING):
            submission_withdraw(submission=submission, actor=user)
        for case in VouchCase.objects.filter(applicant=user, status__in=OPEN_CASE_STATUSES):
            vouch_case_withdraw(case=case, actor=user)
        _cancel_asks_to(user)
        _images_purge(DocumentImage.objects.select_for_update(of=("self",))
                      .filter(submission__user=user, purged_at__isnull=True), now=timezone.now())
