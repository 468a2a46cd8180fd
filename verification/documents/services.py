"""Writes for document verification: submit, decide, withdraw (the image pipeline and the purge: images.py)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts import policy
from accounts.models import Level, LevelSource, User
from accounts.notifications import notify
from accounts.policy import Action
from accounts.services import (
    identity_cap_check,
    identity_confirm,
    identity_confirmable,
    identity_fingerprint,
    identity_lock,
    identity_reject,
    identity_store,
    level_raise,
)
from core.storage import delete_private_files
from moderation import audit
from moderation.models import ItemStatus, ReviewItem
from moderation.selectors import closure_user_ids
from moderation.services import QueueError, review_item_decide, review_item_withdraw

from . import selectors
from .images import images_purge
from .models import (
    REJECT_TEXTS,
    RESUBMIT_TEXTS,
    DocumentImage,
    DocumentKind,
    DocumentSubmission,
    SubmissionStatus,
)
from .numbers import number_validate
from .tasks import process_submission_images

if TYPE_CHECKING:
    from core.images import Upload

REVIEW_KIND = selectors.REVIEW_KIND

APPROVE, REJECT, RESUBMIT = "approve", "reject", "resubmit"
_DECISION_STATUS = {
    APPROVE: SubmissionStatus.APPROVED,
    REJECT: SubmissionStatus.REJECTED,
    RESUBMIT: SubmissionStatus.RESUBMIT_REQUESTED,
}


def side_field(side: int) -> str:
    """The form field of an image side, so a service error lands beside the right file input."""
    return f"side_{side}"


def _read_upload(upload: Upload, limit: int) -> bytes:
    """At most `limit` bytes of an upload (bytes or a file), from its start."""
    if isinstance(upload, (bytes, bytearray, memoryview)):
        return bytes(upload[:limit])
    if hasattr(upload, "seek"):
        upload.seek(0)
    data: bytes = upload.read(limit)
    return data


def _in_language_of(user: User) -> translation.override:
    return translation.override(getattr(user, "language", None) or settings.LANGUAGE_CODE)


# --- Submit ----------------------------------------------------------------

def submission_refusal(*, user: User) -> str:
    """Why `user` may not send a document now ("" when they may); the service checks it again."""
    if user.level >= Level.VERIFIED:
        return _("Your identity is already verified. There is nothing more to do.")
    if selectors.submission_open_for(user) is not None:
        return _("Your document is being reviewed. Please wait for the decision, or withdraw it to send another.")
    count, frees_at = selectors.submission_window(user)
    if count >= settings.DOCUMENT_MAX_SUBMISSIONS:
        when = formats.date_format(timezone.localtime(frees_at), "SHORT_DATETIME_FORMAT") if frees_at else ""
        return ngettext(
            "You have sent %(count)d document in the last %(hours)d hours, the most allowed. "
            "You can send another after %(when)s.",
            "You have sent %(count)d documents in the last %(hours)d hours, the most allowed. "
            "You can send another after %(when)s.",
            count,
        ) % {"count": count, "hours": settings.DOCUMENT_SUBMISSION_WINDOW_HOURS, "when": when}
    return ""


def submission_create(*, user: User, kind: DocumentKind, real_name: str, document_number: str,
                      uploads: Sequence[Upload]) -> DocumentSubmission:
    """Store the identity claim and the raw uploads (status processing); the image task runs after commit.

    Asks: accounts.policy restrictions and identity checks (moderation.restrictions: a banned identity is refused).
    """
    policy.require(user, Action.START_VERIFICATION)
    if not kind.active:
        raise ValidationError({"kind": _("This kind of document is no longer accepted. Please choose another.")})
    if len(uploads) != kind.sides:
        raise ValidationError(ngettext("Please upload %(n)d image of the document.",
                                       "Please upload %(n)d images of the document, one per side.", kind.sides)
                              % {"n": kind.sides})
    try:
        number = number_validate(kind=kind, number=document_number)
    except ValidationError as exc:
        raise ValidationError({"document_number": exc.messages}) from None
    # Refused before anything is stored: an identity banned with a closed account may not come back.
    allowed = policy.identity_allowed(identity_fingerprint(document_type=kind.identity_document_type,
                                                           normalised_number=number))
    if not allowed:
        raise ValidationError({"document_number": ValidationError(allowed.reason, code="identity_banned")})

    raw = [_read_upload(upload, settings.IMAGE_MAX_BYTES + 1) for upload in uploads]
    hashes = [hashlib.sha256(data).hexdigest() for data in raw]
    errors: dict[str, list[str]] = {}
    already_rejected = selectors.rejected_image_hashes(hashes)
    for side, (data, sha) in enumerate(zip(raw, hashes, strict=True), start=1):
        if not data or len(data) > settings.IMAGE_MAX_BYTES:
            errors[side_field(side)] = [_("This file is empty or too large.")]
        elif sha in already_rejected:
            errors[side_field(side)] = [_("This image was already rejected. Please take a new photo of your document.")]
    if errors:
        raise ValidationError(errors)

    written: list[str] = []
    try:
        with transaction.atomic():
            # Locking the user serialises two submits of the same person (double click, two tabs).
            locked = User.objects.select_for_update().get(pk=user.pk)
            refusal = submission_refusal(user=locked)
            if refusal:
                raise ValidationError(refusal, code="refused")
            identity = identity_store(user=locked, real_name=real_name, document_type=kind.identity_document_type,
                                      document_number=number)
            try:
                with transaction.atomic():
                    submission = DocumentSubmission.objects.create(user=locked, kind=kind, identity=identity)
            except IntegrityError:  # only without row locks (SQLite): the other submit won
                raise ValidationError(_("Your document is being reviewed. Please wait for the decision, "
                                        "or withdraw it to send another."), code="refused") from None
            for side, (data, sha) in enumerate(zip(raw, hashes, strict=True), start=1):
                image = DocumentImage(submission=submission, side=side, sha256=sha)
                image.raw.save("upload", ContentFile(data), save=False)
                written.append(image.raw.name)
                image.save()
            submission_id = submission.pk
            transaction.on_commit(lambda: process_submission_images.delay(submission_id=submission_id))
    except BaseException:
        # Files are not transactional: what this attempt wrote goes with its rollback.
        delete_private_files(written)
        raise
    return submission


# --- Withdraw --------------------------------------------------------------

def _lock_review_items(submission: DocumentSubmission) -> list[ReviewItem]:
    ct = ContentType.objects.get_for_model(DocumentSubmission)
    return list(ReviewItem.objects.select_for_update().filter(
        kind=REVIEW_KIND, content_type=ct, object_id=submission.pk,
        status__in=[ItemStatus.OPEN, ItemStatus.CLAIMED]).order_by("pk"))


def submission_withdraw(*, submission: DocumentSubmission, actor: User) -> DocumentSubmission:
    """The owner takes back a submission waiting for review: out of the queue, images deleted."""
    if submission.user_id != actor.pk:
        raise PermissionDenied("only the owner may withdraw a document submission")
    with transaction.atomic():
        # The queue item is locked before the submission, the order a reviewer's decision takes
        # them in, so a withdrawal racing a decision waits for it instead of deadlocking.
        _lock_review_items(submission)
        sub = (DocumentSubmission.objects.select_for_update(of=("self",)).select_related("identity")
               .get(pk=submission.pk))
        if sub.status == SubmissionStatus.WITHDRAWN:
            return sub  # a double submit
        if not sub.can_transition(SubmissionStatus.WITHDRAWN):
            raise ValidationError(_("This submission can no longer be withdrawn."), code="not_pending")
        sub.transition(to=SubmissionStatus.WITHDRAWN)
        sub.save(update_fields=["status"])
        review_item_withdraw(target=sub, kind=REVIEW_KIND, actor=actor, reason="withdrawn by the user")
        images_purge(sub.images.filter(purged_at__isnull=True), now=timezone.now())
        identity_reject(identity=sub.identity)
    return sub


# --- Decide (called by the review queue) ------------------------------------

def _require_claim(submission: DocumentSubmission, reviewer: User) -> ReviewItem:
    items = _lock_review_items(submission)
    item = next((i for i in items if i.is_claimed_by(reviewer)), None)
    if item is None:
        raise QueueError(_("Claim this item before deciding it."))
    return item


def _notify_decision(sub: DocumentSubmission) -> None:
    user = sub.user
    with _in_language_of(user):
        if sub.status == SubmissionStatus.APPROVED:
            notify(user=user, kind="document.approved", title=_("Your identity is verified"),
                   body=_("Your document was approved. You are now at level 2: you can vouch for friends "
                          "and register public accounts."),
                   url=reverse("verification:hub"))
        elif sub.status == SubmissionStatus.REJECTED:
            notify(user=user, kind="document.rejected", title=_("Your document was not accepted"),
                   body=f"{REJECT_TEXTS[sub.reason_code]} "
                        f"{_('You can send a document again, with new photos, from the verification page.')}",
                   url=reverse("verification:hub"))
        else:
            notify(user=user, kind="document.resubmit", title=_("Please upload your document again"),
                   body=f"{RESUBMIT_TEXTS[sub.reason_code]} {_('Please send new photos of your document.')}",
                   url=reverse("verification:document"))


def submission_decide(*, submission: DocumentSubmission, reviewer: User, decision: str, reason_code: str = "",
                      note: str = "") -> DocumentSubmission:
    """Apply a decision; called by the review kind inside the queue's transaction (others use submission_approve...).

    Fires no moderation hook. Asks: accounts.policy identity checks (moderation.restrictions: an identity ban)
    before approving; records through moderation.audit.
    """
    if decision not in _DECISION_STATUS:
        raise QueueError(_("This decision is not available."))
    if decision == REJECT and reason_code not in REJECT_TEXTS:
        raise QueueError(_("Choose a reason."))
    if decision == RESUBMIT and reason_code not in RESUBMIT_TEXTS:
        raise QueueError(_("Choose a reason."))
    with transaction.atomic():
        item = _require_claim(submission, reviewer)
        sub = (DocumentSubmission.objects.select_for_update(of=("self",)).select_related("user", "identity", "kind")
               .get(pk=submission.pk))
        to = _DECISION_STATUS[decision]
        if not sub.can_transition(to):
            raise QueueError(_("This submission is no longer waiting for review."))
        if decision == APPROVE:
            identity_lock(fingerprint=sub.identity.fingerprint)
            if not identity_confirmable(identity=sub.identity):
                raise QueueError(_("This identity was rejected or revoked: it cannot be approved."))
            # Asked again now: a ban may have come (a closure of another account) since the upload.
            allowed = policy.identity_allowed(sub.identity.fingerprint)
            if not allowed:
                raise QueueError(_("This identity may not be approved: %(reason)s") % {"reason": allowed.reason})
            # Closed accounts no longer hold their identity: the ban above decides for them.
            cap = identity_cap_check(fingerprint=sub.identity.fingerprint, exclude_user=sub.user,
                                     uncounted_user_ids=closure_user_ids())
            if cap.reached:
                others = len(cap.account_ids)
                raise QueueError(ngettext(
                    "This identity is already verified on %(n)d other account, and the limit is %(max)d. "
                    "It cannot be approved; reject it with the reason \"Other\" instead.",
                    "This identity is already verified on %(n)d other accounts, and the limit is %(max)d. "
                    "It cannot be approved; reject it with the reason \"Other\" instead.",
                    others) % {"n": others, "max": cap.limit})
        sub.transition(to=to)
        sub.decided_at = timezone.now()
        sub.decided_by = reviewer
        sub.reason_code = "" if decision == APPROVE else reason_code
        sub.note = note
        sub.save(update_fields=["status", "decided_at", "decided_by", "reason_code", "note"])
        if decision == APPROVE:
            identity_confirm(identity=sub.identity)
            level_raise(user=sub.user, to=Level.VERIFIED, source=LevelSource.DOCUMENT, actor=reviewer)
        else:
            identity_reject(identity=sub.identity)
        _notify_decision(sub)
        # No note here: it is free text, and the audit log must never carry a name or a number.
        audit.record(actor=reviewer, action=f"document.{decision}", target=sub,
                     data={"item": item.pk, "reason_code": sub.reason_code, "kind": sub.kind.code})
    return sub


def _decide_through_queue(submission: DocumentSubmission, reviewer: User, decision: str, reason_code: str,
                          note: str) -> DocumentSubmission:
    # The queue guarantees exactly one decision and marks its item decided; it calls
    # submission_decide() back through the "document" kind.
    item = selectors.review_item_latest_for(submission)
    if item is None:
        raise QueueError(_("This submission is no longer waiting for review."))
    review_item_decide(item=item, reviewer=reviewer, decision=decision, reason_code=reason_code, note=note)
    submission.refresh_from_db()
    return submission


def submission_approve(*, submission: DocumentSubmission, reviewer: User, note: str = "") -> DocumentSubmission:
    """Approve (through the queue): the identity is confirmed and the user reaches level 2."""
    return _decide_through_queue(submission, reviewer, APPROVE, "", note)


def submission_reject(*, submission: DocumentSubmission, reviewer: User, reason_code: str,
                      note: str = "") -> DocumentSubmission:
    """Reject (through the queue) with a reason the user is told in plain words."""
    return _decide_through_queue(submission, reviewer, REJECT, reason_code, note)


def submission_request_resubmit(*, submission: DocumentSubmission, reviewer: User, reason_code: str,
                                note: str = "") -> DocumentSubmission:
    """Ask (through the queue) for a new upload, saying why."""
    return _decide_through_queue(submission, reviewer, RESUBMIT, reason_code, note)
