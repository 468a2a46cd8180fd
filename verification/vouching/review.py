"""The "vouch" kind of review item: flagged cases, re-checks of granted ones, and how decisions are applied."""

from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from moderation.registry import DecisionOption, ReviewKind, may_see_identity
from moderation.services import QueueError
from verification.documents.selectors import identities_sharing_fingerprint

from . import accountability, selectors
from .models import VouchCaseStatus, VouchRequestStatus

# Flags are stored in English (a record); the page shows them translated by their code.
FLAG_TEXTS = {
    "unknown_person": _("A friend who was asked said they do not know this person."),
    "ring": _("Vouches already exist among the applicant and the vouchers (they vouched for each other): "
              "a possible ring."),
    "young_account": _("Recently created accounts take part."),
    "shared_ip": _("The applicant and vouchers used the same address."),
    "shared_device": _("The applicant and vouchers used the same device."),
    "closed_identity": _("This identity belongs to a closed or deleted account, or was found false."),
    "voucher_struck": _("A voucher has since lost the right to vouch."),
    "fingerprint_shared": _("This document number was also given by other accounts."),
    "identity_cap_reached": _("This identity is already verified on the most accounts allowed; approval will be refused."),
    "recheck": _("A voucher of this case vouched for an identity that was found false: check it again."),
    "identity_banned": _("This identity may not be used for a new account (a ban after a closure): approval will be "
                         "refused."),
}

DECISIONS = (
    # A case reaches review only when it was flagged: approving it anyway needs the reason, in writing.
    DecisionOption(accountability.APPROVE, _("Approve: verify the identity (level 2)"), note_required=True,
                   note_required_message=accountability.APPROVE_NOTE_REQUIRED),
    DecisionOption(accountability.REJECT, _("Reject")),
    DecisionOption(accountability.DOCUMENT, _("Ask for an identity document instead")),
    DecisionOption(accountability.UPHOLD, _("Uphold: the identity stays verified")),
    DecisionOption(accountability.FALSE_IDENTITY, _("False identity: level 1, strikes for the vouchers"),
                   note_required=True),
)


class VouchReviewKind(ReviewKind):
    """Vouch cases: suspicious ones before granting, and granted ones whose vouchers were found unreliable."""

    def __init__(self):
        super().__init__(key=selectors.REVIEW_KIND, label=_("Vouched identity"), groups=("moderator",),
                         template="verification/vouch_review.html", decisions=DECISIONS, shows_identity=True)

    def options(self, *, item, obj: Any, reviewer) -> tuple[DecisionOption, ...]:
        """What fits the case now: approve/reject/document while in review, uphold/false once granted."""
        allowed = super().options(item=item, obj=obj, reviewer=reviewer)
        status = getattr(obj, "status", None)
        if status == VouchCaseStatus.REVIEW:
            codes = {accountability.REJECT, accountability.DOCUMENT}
            if accountability.confirmed_count(obj) >= settings.VOUCH_REQUIRED:
                codes.add(accountability.APPROVE)
        elif status == VouchCaseStatus.GRANTED:
            codes = {accountability.UPHOLD, accountability.FALSE_IDENTITY}
        else:
            codes = set()
        return tuple(d for d in allowed if d.code in codes)

    def context(self, *, item, obj: Any, reviewer) -> dict:
        """The case, its vouchers with the facts the rules look at, and other accounts with the same number."""
        case = selectors.vouch_case_for_review(getattr(obj, "pk", 0))
        if case is None:
            return {"case": None}
        requests = list(case.requests.all())
        return {
            "case": case,
            # The full identity only to the moderator holding the claim (free of conflict); masked otherwise.
            "identity": case.identity,
            "show_identity": may_see_identity(item, reviewer),
            "requests": requests,
            "confirmed": sum(r.status == VouchRequestStatus.CONFIRMED for r in requests),
            "required": settings.VOUCH_REQUIRED,
            "shared_identities": list(identities_sharing_fingerprint(fingerprint=case.identity.fingerprint,
                                                                     exclude_user=case.applicant)),
            "mark_false_url": reverse("verification:vouch_mark_false", kwargs={"pk": case.pk})
            if case.status == VouchCaseStatus.GRANTED else "",
        }

    def flag_text(self, flag: dict) -> Any:
        """The flag in the reader's language, by its code (the stored English text is the record)."""
        return FLAG_TEXTS.get(flag.get("code"), flag.get("text", ""))

    def decide(self, *, item, obj: Any, reviewer, decision: str, reason_code: str, note: str) -> None:
        """Apply the decision to the case (inside the queue's transaction, item locked)."""
        if obj is None:
            raise QueueError(_("This vouch case no longer exists."))
        accountability.vouch_case_decide(case=obj, reviewer=reviewer, decision=decision, note=note, item=item)
