"""The vouching room's part of erasing a deleted account (registered with accounts.erasure in ready()).

What was still open is closed; the records stay: every vouch case, request and strike (DOMAIN.md §5:
vouching history is what anti-fraud keeps).
"""

from django.db import transaction

from moderation import audit

from .models import OPEN_CASE_STATUSES, VouchCase, VouchCaseStatus, VouchRequest, VouchRequestStatus
from .services import case_end_if_short, lock_case, vouch_case_withdraw


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
        case_end_if_short(case, to=VouchCaseStatus.INSUFFICIENT)


def erase_vouching_data(*, user) -> None:
    """accounts.erasure eraser: withdraw the account's open cases and cancel what it was asked; keep the records."""
    with transaction.atomic():
        for case in VouchCase.objects.filter(applicant=user, status__in=OPEN_CASE_STATUSES):
            vouch_case_withdraw(case=case, actor=user)
        _cancel_asks_to(user)
