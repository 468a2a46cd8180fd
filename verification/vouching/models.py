"""Verification by three friends: vouch cases, the requests sent to each friend, and vouchers' strikes.

A case:    collecting -> challenge (quorum, nothing suspicious) -> granted (the tick, after the window)
           collecting | challenge -> review (risk flags, "I don't know this person", a re-check)
           review -> granted | rejected | document_required;  granted -> false_identity
           collecting -> expired (requests ran out) | insufficient (declines) ; any open state -> withdrawn
A request: pending -> confirmed | declined | unknown | expired | cancelled (no longer needed)
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.statemachine import StateMachineMixin, TransitionNotAllowed

VouchTransitionError = TransitionNotAllowed


class VouchCaseStatus(models.TextChoices):
    COLLECTING = "collecting", _("Waiting for your friends")
    CHALLENGE = "challenge", _("Confirmed, in the waiting period")
    REVIEW = "review", _("Being checked by a moderator")
    GRANTED = "granted", _("Verified")
    REJECTED = "rejected", _("Not accepted")
    DOCUMENT_REQUIRED = "document_required", _("A document is needed instead")
    EXPIRED = "expired", _("Expired")
    INSUFFICIENT = "insufficient", _("Not enough friends confirmed")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    FALSE_IDENTITY = "false_identity", _("Found to be false")


# A case still running: its applicant may not open another, its vouchers' vouches are "open".
OPEN_CASE_STATUSES = (VouchCaseStatus.COLLECTING, VouchCaseStatus.CHALLENGE, VouchCaseStatus.REVIEW)


class VouchCase(StateMachineMixin, models.Model):
    """One attempt to reach level 2 through friends: the claimed identity and the friends asked."""

    Status = VouchCaseStatus
    # The only edges of the state machine; everything else is refused by transition().
    TRANSITIONS: dict[str, frozenset[str]] = {
        VouchCaseStatus.COLLECTING: frozenset({
            VouchCaseStatus.CHALLENGE, VouchCaseStatus.REVIEW, VouchCaseStatus.EXPIRED,
            VouchCaseStatus.INSUFFICIENT, VouchCaseStatus.WITHDRAWN,
        }),
        VouchCaseStatus.CHALLENGE: frozenset({
            VouchCaseStatus.GRANTED, VouchCaseStatus.REVIEW, VouchCaseStatus.WITHDRAWN,
        }),
        VouchCaseStatus.REVIEW: frozenset({
            VouchCaseStatus.GRANTED, VouchCaseStatus.REJECTED, VouchCaseStatus.DOCUMENT_REQUIRED,
            VouchCaseStatus.WITHDRAWN,
        }),
        # A granted case stays granted through a re-check; only proof of a false identity ends it.
        VouchCaseStatus.GRANTED: frozenset({VouchCaseStatus.FALSE_IDENTITY}),
    }
    INITIAL = frozenset({VouchCaseStatus.COLLECTING})

    applicant = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="vouch_cases",
                                  verbose_name=_("applicant"))
    # RESTRICT: the identity is the record of what was claimed; it goes only with the user.
    identity = models.ForeignKey("accounts.RealIdentity", on_delete=models.RESTRICT, related_name="vouch_cases")
    document_kind = models.ForeignKey("verification.DocumentKind", on_delete=models.PROTECT, related_name="+",
                                      verbose_name=_("document kind"))
    status = models.CharField(_("status"), max_length=24, choices=VouchCaseStatus.choices,
                              default=VouchCaseStatus.COLLECTING)
    created_at = models.DateTimeField(_("started at"), default=timezone.now)
    challenge_ends_at = models.DateTimeField(_("waiting period ends at"), null=True, blank=True)
    decided_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="vouch_decisions", verbose_name=_("decided by"))
    # Staff-only free text; never shown to the user, never copied into the audit log.
    note = models.TextField(_("moderator's note"), blank=True)
    # Keyed hashes (core.crypto.fingerprint) of the applicant's address and device when asking; never the values.
    ip_fingerprint = models.CharField(max_length=64, blank=True, editable=False)
    device_fingerprint = models.CharField(max_length=64, blank=True, editable=False)

    class Meta:
        verbose_name = _("vouch case")
        verbose_name_plural = _("vouch cases")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["applicant", "-created_at"]),
            models.Index(fields=["status", "challenge_ends_at"]),
        ]
        constraints = [
            # A double submit may race past the service's check; the database has the last word.
            models.UniqueConstraint(fields=["applicant"], condition=models.Q(status__in=["collecting", "challenge", "review"]),
                                    name="one_open_vouch_case_per_applicant"),
        ]

    def __str__(self) -> str:
        return f"vouch case #{self.pk} ({self.status})"


    @property
    def is_open(self) -> bool:
        return self.status in OPEN_CASE_STATUSES

    @property
    def required(self) -> int:
        """How many confirmations a case needs (a setting; here for the templates)."""
        return settings.VOUCH_REQUIRED

    @property
    def confirmed_requests(self) -> list:
        """Confirmed requests (uses prefetched requests when the selector fetched them)."""
        return [r for r in self.requests.all() if r.status == VouchRequestStatus.CONFIRMED]


class VouchRequestStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for an answer")
    CONFIRMED = "confirmed", _("Confirmed")
    DECLINED = "declined", _("Declined")
    UNKNOWN = "unknown", _("Does not know this person")
    EXPIRED = "expired", _("Expired")
    CANCELLED = "cancelled", _("No longer needed")


class VouchRequest(StateMachineMixin, models.Model):
    """One friend asked to confirm the applicant's real name; answered once, then kept as history."""

    Status = VouchRequestStatus
    TRANSITIONS: dict[str, frozenset[str]] = {
        VouchRequestStatus.PENDING: frozenset({
            VouchRequestStatus.CONFIRMED, VouchRequestStatus.DECLINED, VouchRequestStatus.UNKNOWN,
            VouchRequestStatus.EXPIRED, VouchRequestStatus.CANCELLED,
        }),
    }
    INITIAL = frozenset({VouchRequestStatus.PENDING})

    case = models.ForeignKey(VouchCase, on_delete=models.CASCADE, related_name="requests")
    voucher = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="vouch_requests",
                                verbose_name=_("voucher"))
    # A copy of case.applicant: the ring check looks up (voucher, applicant) pairs in one index, without a join.
    applicant = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(_("status"), max_length=16, choices=VouchRequestStatus.choices,
                              default=VouchRequestStatus.PENDING)
    created_at = models.DateTimeField(_("asked at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"))
    decided_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    ip_fingerprint = models.CharField(max_length=64, blank=True, editable=False)
    device_fingerprint = models.CharField(max_length=64, blank=True, editable=False)

    class Meta:
        verbose_name = _("vouch request")
        verbose_name_plural = _("vouch requests")
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["case", "voucher"], name="vouch_request_once_per_voucher"),
            models.CheckConstraint(condition=~models.Q(voucher=models.F("applicant")), name="vouch_request_not_self"),
        ]
        indexes = [
            models.Index(fields=["voucher", "status"]),
            models.Index(fields=["status", "expires_at"]),
            # The ring check: confirmed vouches among a handful of users, both columns bound.
            # (applicant_id has its own index as a foreign key; bench/vouch_rings.py shows the plan.)
            models.Index(fields=["voucher", "applicant"], condition=models.Q(status="confirmed"),
                         name="vouch_confirmed_pair_idx"),
        ]

    def __str__(self) -> str:
        return f"vouch request #{self.pk} ({self.status})"

    def on_transition(self, to: str) -> None:
        self.decided_at = timezone.now()

    @property
    def is_pending(self) -> bool:
        return self.status == VouchRequestStatus.PENDING

    @property
    def status_for_applicant(self) -> str:
        """The answer as the applicant sees it: "I don't know this person" reads as a plain decline."""
        # Telling the applicant which friend flagged them would invite pressure on that friend.
        shown = VouchRequestStatus.DECLINED if self.status == VouchRequestStatus.UNKNOWN else self.status
        return VouchRequestStatus(shown).label


class StrikeReason(models.TextChoices):
    FALSE_IDENTITY = "false_identity", _("Vouched for an identity later found false")


class VoucherStrike(models.Model):
    """A strike against a voucher; while one is in force the voucher has lost the right to vouch.

    Each comes with a warning on the enforcement ladder (a moderation Penalty and Strike):
    `moderation_ref` is "penalty:<id>", and `lifted_at` is set when an appeal of that penalty is
    upheld (accountability.voucher_strikes_lift, on moderation's on_penalty_overturned hook).
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="voucher_strikes")
    case = models.ForeignKey(VouchCase, on_delete=models.CASCADE, related_name="strikes")
    reason = models.CharField(_("reason"), max_length=32, choices=StrikeReason.choices)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    moderation_ref = models.CharField(_("moderation reference"), max_length=60, null=True, blank=True)
    lifted_at = models.DateTimeField(_("lifted at"), null=True, blank=True)

    class Meta:
        verbose_name = _("voucher strike")
        verbose_name_plural = _("voucher strikes")
        ordering = ["-created_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["user", "case"], name="voucher_strike_once_per_case")]
        indexes = [models.Index(fields=["user", "lifted_at"])]

    def __str__(self) -> str:
        return f"strike on #{self.user_id} for case {self.case_id}"
