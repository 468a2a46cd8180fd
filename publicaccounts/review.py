"""Two kinds of review item: account names with reserved terms (moderators), news qualifications (compliance)."""

from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from moderation.registry import DecisionOption, ReviewKind
from moderation.services import QueueError

from . import qualifications, selectors, services
from .models import PublicAccount, Qualification, QualificationRejectReason, ReservedTermKind

# Width attributes instead of CSS: the site's policy allows no inline styles.
DISPLAY_WIDTH = 640

NAME_REJECT_REASONS = (
    (services.NameRejectReason.IMPERSONATION, _("Impersonates a party, government, military or media body")),
    (services.NameRejectReason.NEWS_WITHOUT_LICENCE, _("News word without a news qualification")),
    (services.NameRejectReason.MISLEADING, _("Misleading name")),
    (services.NameRejectReason.OTHER, _("Other")),
)

FLAG_TEXTS = {
    f"reserved_{ReservedTermKind.IMPERSONATION}": _("The name contains a term reserved for party, government, "
                                                    "military or media bodies: %(terms)s"),
    f"reserved_{ReservedTermKind.NEWS}": _("The name contains a news word: %(terms)s"),
}


class NameReviewKind(ReviewKind):
    """A public account whose name uses a reserved term: the moderator approves it or rejects it with a reason."""

    def __init__(self):
        super().__init__(
            key=selectors.NAME_REVIEW_KIND, label=_("Public account name"), groups=("moderator",),
            template="publicaccounts/review_name.html",
            decisions=(DecisionOption(services.APPROVE, _("Approve the name")),
                       DecisionOption(services.REJECT, _("Reject the name"), reasons=NAME_REJECT_REASONS)),
        )

    def flag_text(self, flag: dict) -> Any:
        """The flag in the reader's language, by its code, with the terms it found."""
        text = FLAG_TEXTS.get(flag.get("code"))
        if text is None:
            return flag.get("text", "")
        return text % {"terms": "、".join(str(t) for t in flag.get("terms") or [])}

    def context(self, *, item, obj: Any, reviewer) -> dict:
        account = (PublicAccount.objects.select_related("owner__profile").filter(pk=getattr(obj, "pk", None)).first())
        if account is None:
            return {"account": None}
        return {
            "account": account,
            "terms": account.reserved_terms,
            "qualifications": list(selectors.qualifications_of(account)),
            "other_accounts": list(PublicAccount.objects.filter(owner_id=account.owner_id).exclude(pk=account.pk)
                                   .order_by("-created_at")),
            "today": timezone.localdate(),
        }

    def decide(self, *, item, obj: Any, reviewer, decision: str, reason_code: str, note: str) -> None:
        if obj is None:
            raise QueueError(_("This public account no longer exists."))
        services.account_name_decide(account=obj, reviewer=reviewer, decision=decision, reason_code=reason_code,
                                     note=note)


class QualificationReviewKind(ReviewKind):
    """A news-service licence: compliance staff compare the scan with the typed details."""

    def __init__(self):
        super().__init__(
            key=selectors.QUALIFICATION_REVIEW_KIND, label=_("News qualification"), groups=("compliance",),
            template="publicaccounts/review_qualification.html",
            decisions=(DecisionOption(services.APPROVE, _("Approve the qualification")),
                       DecisionOption(services.REJECT, _("Reject the qualification"),
                                      reasons=tuple(QualificationRejectReason.choices))),
        )

    def context(self, *, item, obj: Any, reviewer) -> dict:
        q = (Qualification.objects.select_related("account__owner__profile")
             .filter(pk=getattr(obj, "pk", None)).first())
        if q is None:
            return {"qualification": None}
        # The scan is shown only to the reviewer holding the claim, through a permission-checked, audited view.
        can_see_scan = item.is_claimed_by(reviewer) and bool(q.scan)
        shown = min(q.scan_width, DISPLAY_WIDTH)
        today = timezone.localdate()
        return {
            "qualification": q,
            "account": q.account,
            "can_see_scan": can_see_scan,
            "scan_url": reverse("publicaccounts:qualification_scan", kwargs={"pk": q.pk}) if can_see_scan else "",
            "scan_width": shown,
            "scan_height": round(q.scan_height * shown / q.scan_width) if shown else 0,
            "not_yet_valid": q.valid_from > today,
            "expired": q.valid_until < today,
            "history": list(selectors.qualifications_of(q.account).exclude(pk=q.pk).select_related("decided_by")),
        }

    def decide(self, *, item, obj: Any, reviewer, decision: str, reason_code: str, note: str) -> None:
        if obj is None:
            raise QueueError(_("This application no longer exists."))
        qualifications.qualification_decide(qualification=obj, reviewer=reviewer, decision=decision,
                                      reason_code=reason_code, note=note)
