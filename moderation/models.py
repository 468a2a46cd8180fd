"""The review queue shared by every kind of item, and the append-only audit log."""

import hashlib
import json
from datetime import timedelta

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


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


class TransitionNotAllowed(Exception):
    """A change of status that ITEM_TRANSITIONS does not declare."""


class ReviewItem(models.Model):
    """One thing waiting for a moderator's decision, of any registered kind."""

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
        indexes = [models.Index(fields=["status", "kind", "created_at"])]
        constraints = [
            # At most one item in the queue per object and kind; decided ones stay as history.
            models.UniqueConstraint(fields=["kind", "content_type", "object_id"],
                                    condition=models.Q(status__in=["open", "claimed"]), name="one_open_item_per_object"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk}"

    def transition(self, *, to: str) -> None:
        """Move to status `to`, or raise TransitionNotAllowed for an undeclared edge."""
        if to not in ITEM_TRANSITIONS[ItemStatus(self.status)]:
            raise TransitionNotAllowed(f"{self.status} -> {to}")
        self.status = to

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
    """Bulk changes are refused too: the log only grows."""

    def update(self, **kwargs):
        raise PermissionError("The audit log is append-only.")

    def delete(self):
        raise PermissionError("The audit log is append-only.")


class AuditEntry(models.Model):
    """Who did what to which item, when and why; each entry hashes the one before it."""

    # The entry outlives its actor: deleting a user neither is blocked by the log (PROTECT would make
    # every audited user undeletable) nor edits it (SET_NULL would rewrite hashed rows). actor_id stays.
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING, db_constraint=False,
                              null=True, blank=True, related_name="audit_entries")
    action = models.CharField(_("action"), max_length=60, db_index=True)
    target_type = models.CharField(_("target type"), max_length=60, blank=True)
    target_id = models.CharField(_("target id"), max_length=40, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    prev_hash = models.CharField(max_length=64, blank=True)
    entry_hash = models.CharField(max_length=64, unique=True)

    objects = AuditQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")
        ordering = ["-pk"]
        indexes = [models.Index(fields=["target_type", "target_id"])]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action}"

    def save(self, *args, **kwargs):
        if self.pk is not None or not self._state.adding:
            raise PermissionError("The audit log is append-only: entries cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("The audit log is append-only: entries cannot be deleted.")

    def compute_hash(self) -> str:
        """SHA-256 over the previous hash and every recorded field: an edit anywhere changes it."""
        payload = json.dumps({
            "prev": self.prev_hash, "actor": self.actor_id, "action": self.action, "target_type": self.target_type,
            "target_id": self.target_id, "reason": self.reason, "data": self.data,
            "created_at": self.created_at.isoformat(),
        }, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()


class AuditChainHead(models.Model):
    """A single row locked while appending, so concurrent writers chain in a strict order."""

    last_hash = models.CharField(max_length=64, blank=True)

    def __str__(self) -> str:
        return self.last_hash[:12]
