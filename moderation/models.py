"""The review queue shared by every kind of item, and the append-only audit log."""

from datetime import datetime, timedelta
from typing import Self

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.statemachine import StateMachineMixin, TransitionNotAllowed  # noqa: F401 (raised for callers)


class ItemStatus(models.TextChoices):
    OPEN = "open", _("Waiting")
    CLAIMED = "claimed", _("Claimed")
    DECIDED = "decided", _("Decided")
    WITHDRAWN = "withdrawn", _("Withdrawn")


# Declared once: every other change of status is refused.
ITEM_TRANSITIONS = {
    ItemStatus.OPEN: {ItemStatus.CLAIMED, ItemStatus.WITHDRAWN},
    ItemStatus.CLAIMED: {ItemStatus.OPEN, ItemStatus.CLAIMED, ItemStatus.DECIDED, ItemStatus.WITHDRAWN},
    ItemStatus.DECIDED: set(),
    ItemStatus.WITHDRAWN: set(),
}


PENDING_STATUSES = (ItemStatus.OPEN, ItemStatus.CLAIMED)




class ReviewItem(StateMachineMixin, models.Model):
    """One thing waiting for a moderator's decision, of any registered kind."""

    TRANSITIONS = ITEM_TRANSITIONS
    INITIAL = frozenset({ItemStatus.OPEN})

    kind = models.CharField(_("kind"), max_length=40, db_index=True)
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT)
    object_id = models.PositiveBigIntegerField()
    target = GenericForeignKey("content_type", "object_id")
    # The user the item is about: moderators may not judge themselves or their friends.
    subject = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                related_name="review_items_about")
    summary = models.CharField(_("summary"), max_length=200, blank=True)
    flags = models.JSONField(_("flags"), default=list, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=ItemStatus.choices, default=ItemStatus.OPEN)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    claimed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="review_claims")
    claimed_at = models.DateTimeField(null=True, blank=True)
    last_activity_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="review_decisions")
    decided_at = models.DateTimeField(null=True, blank=True)
    decision = models.CharField(_("decision"), max_length=40, blank=True)
    reason_code = models.CharField(_("reason"), max_length=40, blank=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("review item")
        verbose_name_plural = _("review items")
        ordering = ["created_at", "pk"]
        indexes = [
            models.Index(fields=["status", "kind", "created_at"]),
            # The queue pages walk these in order and stop after a page, instead of sorting every
            # pending item (100,000 open reports: see bench/moderation_bench.py); only pending rows are indexed.
            models.Index(fields=["created_at", "id"], condition=models.Q(status__in=["open", "claimed"]),
                         name="review_pending_oldest"),
            models.Index(fields=["kind", "created_at", "id"], condition=models.Q(status__in=["open", "claimed"]),
                         name="review_pending_kind_oldest"),
        ]
        constraints = [
            # At most one item in the queue per object and kind; decided ones stay as history.
            models.UniqueConstraint(fields=["kind", "content_type", "object_id"],
                                    condition=models.Q(status__in=["open", "claimed"]), name="one_open_item_per_object"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk}"


    @property
    def is_pending(self) -> bool:
        """Still waiting for a decision (open, or claimed by someone)."""
        return self.status in PENDING_STATUSES

    @property
    def claim_expires_at(self):
        """When the current claim lapses unless the holder keeps working; None when unclaimed."""
        if self.status != ItemStatus.CLAIMED or self.last_activity_at is None:
            return None
        return self.last_activity_at + timedelta(minutes=settings.REVIEW_CLAIM_TIMEOUT_MINUTES)

    def claim_is_live(self, now=None) -> bool:
        """Whether someone holds a claim that has not lapsed."""
        expires = self.claim_expires_at
        return expires is not None and expires > (now or timezone.now())

    def is_claimed_by(self, user) -> bool:
        """True while `user` holds a live claim: only then may they see private files or decide."""
        return self.claimed_by_id == getattr(user, "pk", None) and self.claim_is_live()


class AuditQuerySet(models.QuerySet):
    """Bulk changes are refused too: the log only grows (the sequencer chains through moderation.audit)."""

    def update(self, **kwargs):
        raise PermissionError("The audit log is append-only.")

    def delete(self):
        raise PermissionError("The audit log is append-only.")


class AuditEntry(models.Model):
    """Who did what to which item, and when; chained to the entry before it under a key kept out of the database.

    record() inserts the entry unchained (seq and entry_hash empty) in the caller's transaction; the sequencer
    (moderation.audit.chain_pending) then gives it the next `seq`, the previous entry's hash and its own
    HMAC-SHA256. Free text typed by staff never lives here: it is an erasable AuditNote, of which the entry
    keeps only a keyed digest.
    """

    # The entry outlives its actor: deleting a user neither is blocked by the log (PROTECT would make
    # every audited user undeletable) nor edits it (SET_NULL would rewrite hashed rows). actor_id stays.
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING, db_constraint=False,
                              null=True, blank=True, related_name="audit_entries")
    action = models.CharField(_("action"), max_length=60, db_index=True)
    target_type = models.CharField(_("target type"), max_length=60, blank=True)
    target_id = models.CharField(_("target id"), max_length=40, blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    # Set by the sequencer, never by the writer.
    seq = models.PositiveBigIntegerField(_("chain position"), null=True, blank=True, unique=True)
    key_id = models.CharField(_("key id"), max_length=16, blank=True)
    note_digest = models.CharField(_("note digest"), max_length=64, blank=True)
    prev_hash = models.CharField(max_length=64, blank=True)
    entry_hash = models.CharField(max_length=64, null=True, blank=True, unique=True)

    objects = AuditQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")
        ordering = ["-pk"]
        indexes = [
            models.Index(fields=["target_type", "target_id"]),
            # The sequencer's work list: small, whatever the size of the log.
            models.Index(fields=["id"], condition=models.Q(seq__isnull=True), name="audit_unchained"),
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action}"

    def save(self, *args, **kwargs):
        if self.pk is not None or not self._state.adding:
            raise PermissionError("The audit log is append-only: entries cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("The audit log is append-only: entries cannot be deleted.")

    @property
    def is_chained(self) -> bool:
        return self.seq is not None

    @property
    def reason(self) -> str:
        """The note's text, "" when there is none or it was erased (for services and tests, never for pages)."""
        try:
            note = self.note
        except AuditNote.DoesNotExist:
            return ""
        return "" if note.erased_at else note.text


class AuditNote(models.Model):
    """Free text staff typed with an audited action (a reason, a note): erasable, unlike the entry.

    The entry keeps an HMAC of the text, so an edited note is detected; an erased one (text emptied,
    erased_at set) is reported as erased. Pages and the CSV export never show the text.
    """

    entry = models.OneToOneField(AuditEntry, on_delete=models.PROTECT, primary_key=True, related_name="note")
    text = models.TextField(blank=True)
    # The user the note is about (not a foreign key: it must survive that user's erasure and deletion).
    subject_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    erased_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("audit note")
        verbose_name_plural = _("audit notes")

    def __str__(self) -> str:
        return f"note of entry {self.entry_id}"


class AuditChainHead(models.Model):
    """Where the chain ends: written by the sequencer only (writers never lock it)."""

    last_seq = models.PositiveBigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, blank=True)

    def __str__(self) -> str:
        return f"{self.last_seq}:{self.last_hash[:12]}"


# --- Enforcement: the ladder, strikes, appeals, identity bans, reports -------------------

class Rung(models.IntegerChoices):
    """The enforcement ladder (DOMAIN.md §4), by severity; the gaps leave room for rungs added later."""

    WARN = 10, _("Warn")
    RESTRICT = 20, _("Restrict publishing")
    SUSPEND = 30, _("Suspend updates")
    CLOSE = 40, _("Close the account")


# The rungs that take something away; a warning is only a notice and a strike.
EFFECTIVE_RUNGS = (Rung.RESTRICT, Rung.SUSPEND, Rung.CLOSE)
TIMED_RUNGS = (Rung.RESTRICT, Rung.SUSPEND)


class Rule(models.TextChoices):
    """The rule broken: the seven bottom lines of the agreement, and the community rules."""

    LAWS = "laws", _("Laws and regulations")
    SOCIALIST_SYSTEM = "socialist_system", _("The socialist system")
    NATIONAL_INTERESTS = "national_interests", _("National interests")
    CITIZENS_RIGHTS = "citizens_rights", _("The lawful rights and interests of citizens")
    PUBLIC_ORDER = "public_order", _("Public order")
    SOCIAL_MORALITY = "social_morality", _("Social morality")
    AUTHENTICITY = "authenticity", _("The authenticity of information")
    COMMUNITY = "community", _("Community rules")


class PenaltyStatus(models.TextChoices):
    # A timed penalty stays "active" after its end: whether it is in force is always ends_at vs now.
    ACTIVE = "active", _("Active")
    OVERTURNED = "overturned", _("Overturned on appeal")


PENALTY_TRANSITIONS = {
    PenaltyStatus.ACTIVE: {PenaltyStatus.OVERTURNED},
    PenaltyStatus.OVERTURNED: set(),
}


class PenaltyQuerySet(models.QuerySet):
    def in_force(self, now: datetime | None = None) -> Self:
        """Penalties that take something away right now (not overturned, not ended)."""
        now = now or timezone.now()
        return self.filter(status=PenaltyStatus.ACTIVE, action__in=EFFECTIVE_RUNGS).filter(
            models.Q(ends_at__isnull=True) | models.Q(ends_at__gt=now))


class Penalty(StateMachineMixin, models.Model):
    """One rung of the ladder applied to a user account or to one public account."""

    TRANSITIONS = PENALTY_TRANSITIONS
    INITIAL = frozenset({PenaltyStatus.ACTIVE})

    # Either `user` (a personal account) or the generic target (one public account) is the subject.
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                             related_name="penalties", verbose_name=_("user account"))
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, null=True, blank=True)
    object_id = models.PositiveBigIntegerField(null=True, blank=True)
    public_account = GenericForeignKey("content_type", "object_id")
    # The person told about it, who may appeal, and whose strike it is (the public account's operator).
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="penalties_owned", verbose_name=_("owner"))
    action = models.PositiveSmallIntegerField(_("action"), choices=Rung.choices)
    rule = models.CharField(_("rule broken"), max_length=32, choices=Rule.choices)
    reason = models.TextField(_("reason"))
    status = models.CharField(_("status"), max_length=16, choices=PenaltyStatus.choices, default=PenaltyStatus.ACTIVE)
    created_at = models.DateTimeField(_("applied at"), default=timezone.now)
    ends_at = models.DateTimeField(_("ends at"), null=True, blank=True)
    moderator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                  related_name="penalties_given", verbose_name=_("moderator"))
    case = models.ForeignKey(ReviewItem, on_delete=models.SET_NULL, null=True, blank=True, related_name="penalties")
    # The content taken down with this action ({"key": target key, "pk": ...}), restored if overturned.
    removed = models.JSONField(_("removed content"), default=dict, blank=True)
    overturned_at = models.DateTimeField(_("overturned at"), null=True, blank=True)
    overturned_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                      related_name="+")
    # Set once the owner was told a timed penalty ended (the beat task tells once).
    notified_end_at = models.DateTimeField(null=True, blank=True)

    objects = PenaltyQuerySet.as_manager()

    class Meta:
        verbose_name = _("penalty")
        verbose_name_plural = _("penalties")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["user", "status"]),
            models.Index(fields=["content_type", "object_id", "status"]),
            models.Index(fields=["owner", "-created_at"]),
            models.Index(fields=["ends_at"], condition=models.Q(notified_end_at__isnull=True, status="active"),
                         name="penalty_end_to_notify"),
        ]
        constraints = [
            # Never both; "neither" is allowed only because a deleted account leaves the record behind.
            models.CheckConstraint(condition=~models.Q(user__isnull=False, object_id__isnull=False),
                                   name="penalty_one_subject"),
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()} #{self.pk}"


    @property
    def on_public_account(self) -> bool:
        return self.object_id is not None

    @property
    def is_warning(self) -> bool:
        return self.action == Rung.WARN

    @property
    def is_closure(self) -> bool:
        return self.action >= Rung.CLOSE

    def is_in_force(self, now=None) -> bool:
        """Whether it takes something away right now; a timed penalty ends by itself."""
        now = now or timezone.now()
        return (self.status == PenaltyStatus.ACTIVE and self.action in EFFECTIVE_RUNGS
                and (self.ends_at is None or self.ends_at > now))

    @property
    def appeal_deadline(self):
        return self.created_at + timedelta(days=getattr(settings, "APPEAL_WINDOW_DAYS", 30))


class Strike(models.Model):
    """A mark on a person's record; the ones of the last STRIKE_WINDOW_DAYS suggest the next rung."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                             related_name="strikes", verbose_name=_("user"))
    penalty = models.OneToOneField(Penalty, on_delete=models.CASCADE, null=True, blank=True, related_name="strike")
    severity = models.PositiveSmallIntegerField(_("severity"), choices=Rung.choices)
    rule = models.CharField(_("rule broken"), max_length=32, choices=Rule.choices)
    created_at = models.DateTimeField(_("given at"), default=timezone.now)
    overturned_at = models.DateTimeField(_("overturned at"), null=True, blank=True)

    class Meta:
        verbose_name = _("strike")
        verbose_name_plural = _("strikes")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["user", "-created_at"])]

    def __str__(self) -> str:
        return f"strike #{self.pk} ({self.get_severity_display()})"


class AppealStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for a decision")
    UPHELD = "upheld", _("Upheld: the action was undone")
    DENIED = "denied", _("Denied")


APPEAL_TRANSITIONS = {
    AppealStatus.PENDING: {AppealStatus.UPHELD, AppealStatus.DENIED},
    AppealStatus.UPHELD: set(),
    AppealStatus.DENIED: set(),
}


class Appeal(StateMachineMixin, models.Model):
    """The owner's one appeal against one penalty, judged by someone other than who acted."""

    TRANSITIONS = APPEAL_TRANSITIONS
    INITIAL = frozenset({AppealStatus.PENDING})

    penalty = models.OneToOneField(Penalty, on_delete=models.CASCADE, related_name="appeal")
    appellant = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                                  related_name="appeals")
    statement = models.TextField(_("statement"))
    status = models.CharField(_("status"), max_length=16, choices=AppealStatus.choices, default=AppealStatus.PENDING)
    created_at = models.DateTimeField(_("sent at"), default=timezone.now)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    reply = models.TextField(_("reply"), blank=True)

    class Meta:
        verbose_name = _("appeal")
        verbose_name_plural = _("appeals")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"appeal #{self.pk} on penalty #{self.penalty_id}"



class IdentityBan(models.Model):
    """A real identity (by its keyed hash only) that may not open a new account, for a while or for ever."""

    fingerprint = models.CharField(max_length=64, db_index=True)
    until = models.DateTimeField(_("until"), null=True, blank=True, help_text=_("Empty: for ever."))
    penalty = models.ForeignKey(Penalty, on_delete=models.CASCADE, related_name="identity_bans")
    created_at = models.DateTimeField(default=timezone.now)
    lifted_at = models.DateTimeField(_("lifted at"), null=True, blank=True)

    class Meta:
        verbose_name = _("identity ban")
        verbose_name_plural = _("identity bans")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"ban {self.fingerprint[:8]}… until {self.until or 'ever'}"


class ReportCategory(models.TextChoices):
    ILLEGAL = "illegal", _("Illegal content")
    FRAUD = "fraud", _("Fraud")
    RUMOUR = "rumour", _("Rumour or false information")
    PORNOGRAPHY = "pornography", _("Pornography")
    HARASSMENT = "harassment", _("Harassment")
    IMPERSONATION = "impersonation", _("Impersonation")
    OTHER = "other", _("Other")


class CaseOutcome(models.TextChoices):
    PENDING = "", _("Waiting for review")
    ACTION = "action", _("Action taken")
    DISMISSED = "dismissed", _("No violation found")


class ReportCase(models.Model):
    """The reports on one target merged into one queue item, with the target as it was first reported."""

    item = models.OneToOneField(ReviewItem, on_delete=models.CASCADE, primary_key=True, related_name="report_case")
    target_key = models.CharField(_("target type"), max_length=40)
    # Whose record the decision counts on; kept even if the reported content is deleted.
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="report_cases_about")
    # Text and image names at the first report, so the case survives the author deleting it.
    snapshot = models.JSONField(default=dict, blank=True)
    report_count = models.PositiveIntegerField(_("reports"), default=0)
    outcome = models.CharField(_("outcome"), max_length=16, choices=CaseOutcome.choices, blank=True, default="")
    penalty = models.ForeignKey(Penalty, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        verbose_name = _("report case")
        verbose_name_plural = _("report cases")

    def __str__(self) -> str:
        return f"case {self.item_id} ({self.target_key})"


class Report(models.Model):
    """One user's report of one target; reports on the same target share a case."""

    reporter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                                 related_name="reports_made", verbose_name=_("reporter"))
    case = models.ForeignKey(ReportCase, on_delete=models.CASCADE, related_name="reports")
    category = models.CharField(_("category"), max_length=20, choices=ReportCategory.choices)
    text = models.TextField(_("what is wrong"), blank=True)
    created_at = models.DateTimeField(_("reported at"), default=timezone.now)

    class Meta:
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["reporter", "created_at"])]
        constraints = [
            # One report per person per case: a second click does not count twice.
            models.UniqueConstraint(fields=["case", "reporter"], name="report_once_per_case"),
        ]

    def __str__(self) -> str:
        return f"report #{self.pk} ({self.category})"


class AccountNote(models.Model):
    """A staff member's note about an account: staff read it; it goes when the account is erased.

    The audit entry of a note refers to it by id and never copies the text (account_note_add()).
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_notes",
                             verbose_name=_("account"))
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                               related_name="staff_notes_written", verbose_name=_("written by"))
    text = models.TextField(_("note"))
    created_at = models.DateTimeField(_("written at"), default=timezone.now)

    class Meta:
        verbose_name = _("account note")
        verbose_name_plural = _("account notes")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["user", "created_at"])]

    def __str__(self) -> str:
        return f"note #{self.pk} on #{self.user_id}"
