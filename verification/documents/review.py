"""The "document" kind of review item: what the queue shows a reviewer and how a decision is applied."""

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from idcheck.selectors import idcheck_result_for
from moderation.registry import DecisionOption, ReviewKind, may_see_identity
from moderation.services import QueueError

from . import selectors, services
from .models import DocumentSubmission, RejectReason, ResubmitReason

# Flags are stored in English (a record); the page shows them translated by their code.
FLAG_TEXTS = {
    "fingerprint_shared": _("This document number was also given by other accounts."),
    "identity_cap_reached": _("This identity is already verified on the most accounts allowed; approval will be refused."),
    "identity_history": _("This identity belonged to a deleted or closed account: see its history."),
}

# Width attributes instead of CSS: the site's policy allows no inline styles.
DISPLAY_WIDTH = 640

DECISIONS = (
    DecisionOption(services.APPROVE, _("Approve")),
    DecisionOption(services.REJECT, _("Reject"), reasons=tuple(RejectReason.choices)),
    DecisionOption(services.RESUBMIT, _("Ask for a new upload"), reasons=tuple(ResubmitReason.choices)),
)


class DocumentReviewKind(ReviewKind):
    """Identity documents: reviewers compare the images with the typed name and number."""

    def __init__(self):
        super().__init__(key=selectors.REVIEW_KIND, label=_("Identity document"), groups=("moderator",),
                         template="verification/review_document.html", decisions=DECISIONS, shows_identity=True)

    def context(self, *, item, obj: Any, reviewer) -> dict:
        """The submission with its identity, images (to the claim holder only), history and related accounts."""
        submission = (DocumentSubmission.objects.select_related("kind", "identity", "user__profile")
                      .prefetch_related("images").filter(pk=getattr(obj, "pk", None)).first())
        if submission is None:
            return {"submission": None, "idcheck": None}
        # The typed identity and the images only to the moderator holding the claim, free of conflict;
        # masked for everyone else, and for everyone once decided.
        can_see_images = may_see_identity(item, reviewer)
        images = []
        for image in submission.images.all():
            shown = min(image.width, DISPLAY_WIDTH)
            images.append({
                "side": image.side, "label": submission.kind.side_label(image.side), "purged_at": image.purged_at,
                "display_width": shown, "display_height": round(image.height * shown / image.width) if shown else 0,
                "url": reverse("verification:reviewer_image", kwargs={"pk": submission.pk, "side": image.side})
                if can_see_images and image.image else "",
            })
        flags = [{**flag, "display": self.flag_text(flag)} for flag in item.flags if isinstance(flag, dict)]
        return {
            "submission": submission,
            "identity": submission.identity,
            "show_identity": can_see_images,
            "images": images,
            "can_see_images": can_see_images,
            "flags": flags,
            "history": list(selectors.submissions_history(user=submission.user, exclude_pk=submission.pk)),
            "shared_identities": list(selectors.identities_sharing_fingerprint(
                fingerprint=submission.identity.fingerprint, exclude_user=submission.user)),
            # A deleted or closed account of the same identity: the stricter check of DOMAIN.md §5.
            "past_accounts": selectors.identity_past_accounts(fingerprint=submission.identity.fingerprint,
                                                              exclude_user=submission.user),
            # The paid ID-number check: supporting evidence for the reviewer, never a decision.
            "idcheck": idcheck_result_for(fingerprint=submission.identity.fingerprint),
        }

    def flag_text(self, flag: dict) -> Any:
        """The flag in the reader's language, by its code (the stored English text is the record)."""
        return FLAG_TEXTS.get(flag.get("code"), flag.get("text", ""))

    def decide(self, *, item, obj: Any, reviewer, decision: str, reason_code: str, note: str) -> None:
        """Apply the decision to the submission (inside the queue's transaction, item locked)."""
        if obj is None:
            raise QueueError(_("This submission no longer exists."))
        services.submission_decide(submission=obj, reviewer=reviewer, decision=decision, reason_code=reason_code,
                                   note=note)
