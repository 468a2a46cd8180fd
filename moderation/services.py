"""Writes for the review queue: open, claim, release, decide, withdraw. Every step is audited."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, connection, transaction
from django.db.models import Model, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User

from . import audit, registry
from .models import ItemStatus, ReviewItem


class QueueError(Exception):
    """A queue step the moderator can understand; the message is safe to show."""


def _claim_window() -> timedelta:
    return timedelta(minutes=settings.REVIEW_CLAIM_TIMEOUT_MINUTES)


def review_item_open(*, kind: str, target: Model, subject: User | None = None, summary: str = "",
                     flags: list[dict[str, Any]] | None = None) -> ReviewItem:
    """Put `target` in the queue (idempotent: an open item for it gets the new flags added)."""
    registry.get(kind)  # an unregistered kind is a programming error: fail loudly
    ct = ContentType.objects.get_for_model(target)
    with transaction.atomic():
        existing = (ReviewItem.objects.select_for_update()
                    .filter(kind=kind, content_type=ct, object_id=target.pk,
                            status__in=[ItemStatus.OPEN, ItemStatus.CLAIMED]).first())
        if existing is not None:
            new_flags = [f for f in (flags or []) if f not in existing.flags]
            if new_flags:
                existing.flags = [*existing.flags, *new_flags]
                existing.save(update_fields=["flags"])
            return existing
        try:
            with transaction.atomic():
                item = ReviewItem.objects.create(kind=kind, content_type=ct, object_id=target.pk, subject=subject,
                                                 summary=summary[:200], flags=list(flags or []))
        except IntegrityError:  # a concurrent open of the same object won
            return ReviewItem.objects.get(kind=kind, content_type=ct, object_id=target.pk,
                                          status__in=[ItemStatus.OPEN, ItemStatus.CLAIMED])
        audit.record(actor=None, action=f"review.{kind}.open", target=item, data={"flags": len(item.flags)})
    return item


def _claimable(*, now: datetime) -> Q:
    """Open items, and claimed ones whose claim lapsed."""
    return Q(status=ItemStatus.OPEN) | Q(status=ItemStatus.CLAIMED, last_activity_at__lte=now - _claim_window())


def _check_may_review(item: ReviewItem, reviewer: User) -> None:
    if not registry.may_review(reviewer, registry.get(item.kind)):
        raise QueueError(_("You are not allowed to review this kind of item."))


def _check_may_claim(item: ReviewItem, reviewer: User) -> None:
    """Refuse a reviewer who may not review this kind, or who would judge themselves or a friend."""
    _check_may_review(item, reviewer)
    reason = registry.conflict_reason(item, reviewer)
    if reason:
        raise QueueError(reason)


def _take(item: ReviewItem, reviewer: User, now: datetime) -> ReviewItem:
    previous = item.claimed_by_id
    item.transition(to=ItemStatus.CLAIMED)
    item.claimed_by = reviewer
    item.claimed_at = now
    item.last_activity_at = now
    item.save(update_fields=["status", "claimed_by", "claimed_at", "last_activity_at"])
    audit.record(actor=reviewer, action=f"review.{item.kind}.claim", target=item,
                 data={"lapsed_claim_of": previous} if previous and previous != reviewer.pk else None)
    return item


def review_item_claim(*, item: ReviewItem, reviewer: User) -> ReviewItem:
    """Claim one item; refused while someone else's claim is live.

    Asks: moderation.registry conflict checks (social: friends) and the item's review kind's `conflict`.
    """
    now = timezone.now()
    with transaction.atomic():
        item = ReviewItem.objects.select_for_update().get(pk=item.pk)
        if item.status == ItemStatus.DECIDED:
            raise QueueError(_("This item has already been decided."))
        if item.status == ItemStatus.WITHDRAWN:
            raise QueueError(_("This item was withdrawn by the user."))
        if item.is_claimed_by(reviewer):
            return item
        if item.status == ItemStatus.CLAIMED and item.claim_is_live(now):
            raise QueueError(_("Another moderator is working on this item."))
        _check_may_claim(item, reviewer)
        return _take(item, reviewer, now)


def review_item_claim_next(*, reviewer: User, kind: str | None = None) -> ReviewItem | None:
    """Claim the oldest item this reviewer may take; two moderators never get the same one.

    Asks: moderation.registry review kinds (which the reviewer's groups may take) and conflict checks.
    """
    now = timezone.now()
    allowed = [k for k in registry.reviewable_kinds(reviewer) if not kind or k == kind]
    if not allowed:
        return None
    candidates = (ReviewItem.objects.filter(_claimable(now=now), kind__in=allowed)
                  .exclude(subject=reviewer).select_related("subject").order_by("created_at", "pk"))
    if connection.features.has_select_for_update_skip_locked:
        # Lock only the one row we take, and skip rows another moderator is taking right now
        # (they would be gone once that transaction commits), so claims never queue up behind each other.
        candidates = candidates.select_for_update(skip_locked=True, of=("self",))
    else:
        candidates = candidates.select_for_update()
    conflicted: set[int | None] = set()
    skipped: set[int] = set()
    kinds = registry.kinds()
    while True:
        with transaction.atomic():
            item = candidates.exclude(subject_id__in=conflicted).exclude(pk__in=skipped).first()
            if item is None:
                return None
            # Conflict checks are opaque callables (friendship lives in social), so they run here,
            # once per subject; a conflicting subject is left out of the next round.
            if registry.has_conflict(reviewer, item.subject):
                conflicted.add(item.subject_id)
                continue
            # A kind's own conflict (the appeal of one's own action) concerns that item only.
            if kinds[item.kind].conflict(item=item, reviewer=reviewer):
                skipped.add(item.pk)
                continue
            return _take(item, reviewer, now)


def review_item_touch(*, item: ReviewItem, reviewer: User) -> None:
    """Keep a claim alive while the moderator works on it (viewing the item counts)."""
    now = timezone.now()
    # A lapsed claim is not revived: once lapsed, the item is anyone's to claim again.
    ReviewItem.objects.filter(pk=item.pk, claimed_by=reviewer, status=ItemStatus.CLAIMED,
                              last_activity_at__gt=now - _claim_window()).update(last_activity_at=now)


def review_item_release(*, item: ReviewItem, reviewer: User) -> ReviewItem:
    """Give a claimed item back to the queue (only its holder can; anyone else changes nothing)."""
    with transaction.atomic():
        item = ReviewItem.objects.select_for_update().get(pk=item.pk)
        if item.status == ItemStatus.CLAIMED and item.claimed_by_id == reviewer.pk:
            _give_back(item, reviewer)
    return item


def _give_back(item: ReviewItem, reviewer: User, *, conflict: bool = False) -> None:
    """Put a locked, claimed item back in the queue and record who released it (and whether a conflict did)."""
    item.transition(to=ItemStatus.OPEN)
    item.claimed_by = None
    item.claimed_at = None
    item.last_activity_at = None
    item.save(update_fields=["status", "claimed_by", "claimed_at", "last_activity_at"])
    audit.record(actor=reviewer, action=f"review.{item.kind}.release", target=item,
                 data={"conflict": True} if conflict else None)


def review_item_release_conflicted(*, item: ReviewItem, reviewer: User) -> str:
    """Release `reviewer`'s claim when a conflict of interest appeared after they took it (a new friendship).

    Returns the reason shown to the moderator, or "" when there is no conflict (the claim, if any, stays).
    """
    if item.claimed_by_id != reviewer.pk or item.status != ItemStatus.CLAIMED:
        return ""
    reason = registry.conflict_reason(item, reviewer)
    if not reason:
        return ""
    with transaction.atomic():
        locked = ReviewItem.objects.select_for_update().get(pk=item.pk)
        if locked.status == ItemStatus.CLAIMED and locked.claimed_by_id == reviewer.pk:
            _give_back(locked, reviewer, conflict=True)
    return reason


def review_item_identity_shown(*, item: ReviewItem, reviewer: User) -> None:
    """Record that the claim holder was shown the item's real identity in full (one entry per page viewing)."""
    audit.record(actor=reviewer, action="identity.unmask", target=item, data={"kind": item.kind})


def review_item_decide(*, item: ReviewItem, reviewer: User, decision: str, reason_code: str = "", note: str = "",
                       extra: dict[str, Any] | None = None) -> ReviewItem:
    """Decide an item the reviewer holds: exactly one decision, whatever the clicks and races.

    `extra`: the values of the kind's extra_fields(), checked again here by its clean_extra().

    Fires: moderation.registry review kinds — the item's kind's `decide_with` (document: submission_decide;
    vouch: vouch_case_decide; report: moderation.ladder.penalty_apply and its hooks; appeal: appeal_decide and
    penalty_overturn's hooks; publicaccount_name, qualification: publicaccounts' decisions); asks conflict checks.
    """
    with transaction.atomic():
        item = ReviewItem.objects.select_for_update().get(pk=item.pk)
        if item.status == ItemStatus.DECIDED:
            if item.decided_by_id == reviewer.pk and item.decision == decision:
                return item  # a double submit: the first one already did it
            raise QueueError(_("This item has already been decided."))
        if item.status == ItemStatus.WITHDRAWN:
            raise QueueError(_("This item was withdrawn by the user."))
        if not item.is_claimed_by(reviewer):
            raise QueueError(_("Claim this item before deciding it (claims lapse after %(m)d idle minutes).")
                             % {"m": settings.REVIEW_CLAIM_TIMEOUT_MINUTES})
        # Checked again at decision time: a group membership may have been removed, or a
        # friendship made, since the claim. A conflict gives the item back to the queue (committed below).
        _check_may_review(item, reviewer)
        conflict = registry.conflict_reason(item, reviewer)
        if conflict:
            _give_back(item, reviewer, conflict=True)
        else:
            _decide_locked(item, reviewer, decision=decision, reason_code=reason_code, note=note, extra=extra)
    if conflict:
        raise QueueError(_("Your claim was released: %(reason)s") % {"reason": conflict})
    return item


def _decide_locked(item: ReviewItem, reviewer: User, *, decision: str, reason_code: str, note: str,
                   extra: dict[str, Any] | None) -> None:
    """The decision itself, on an item locked and claimed by a reviewer free of conflict."""
    kind = registry.get(item.kind)
    obj = item.target
    option = next((o for o in kind.options(item=item, obj=obj, reviewer=reviewer) if o.code == decision), None)
    if option is None:
        raise QueueError(_("This decision is not available."))
    if option.reasons and reason_code not in {code for code, _label in option.reasons}:
        raise QueueError(_("Choose a reason."))
    if option.note_required and not note.strip():
        raise QueueError(str(option.note_required_message or _("Write a note for this decision.")))
    extra = dict(extra or {})
    errors = kind.clean_extra(item=item, obj=obj, reviewer=reviewer, decision=decision, extra=extra)
    if errors:
        raise QueueError(next(iter(errors.values())))
    kind.decide_with(item=item, obj=obj, reviewer=reviewer, decision=decision, reason_code=reason_code, note=note,
                     extra=extra)
    item.transition(to=ItemStatus.DECIDED)
    item.decision = decision
    item.reason_code = reason_code
    item.note = note
    item.decided_by = reviewer
    item.decided_at = timezone.now()
    item.save(update_fields=["status", "decision", "reason_code", "note", "decided_by", "decided_at"])
    audit.record(actor=reviewer, action=f"review.{item.kind}.decide", target=item, reason=note,
                 data={"decision": decision, "reason_code": reason_code})


def review_item_withdraw(*, target: Model, kind: str, actor: User | None, reason: str = "") -> None:
    """Take an object out of the queue (the user withdrew it, or it was superseded)."""
    ct = ContentType.objects.get_for_model(target)
    with transaction.atomic():
        for item in ReviewItem.objects.select_for_update().filter(
                kind=kind, content_type=ct, object_id=target.pk, status__in=[ItemStatus.OPEN, ItemStatus.CLAIMED]):
            item.transition(to=ItemStatus.WITHDRAWN)
            item.save(update_fields=["status"])
            audit.record(actor=actor, action=f"review.{kind}.withdraw", target=item, reason=reason)
