"""What happens to a submission's images after the upload: the pipeline its task runs, and the purge.

The tasks (tasks.py) call this module and services.py enqueues them, so nothing here imports either:
the arrows run services -> tasks -> images.
"""

from datetime import timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.notifications import notify
from accounts.services import identity_cap_check, identity_reject
from core.images import ImageRejected, ProcessedImage, process_image
from idcheck.tasks import run_idcheck_for_identity
from moderation.selectors import closure_user_ids
from moderation.services import review_item_open

from . import selectors
from .models import DECIDED_STATUSES, DocumentImage, DocumentSubmission, SubmissionStatus, delete_private_files

REVIEW_KIND = selectors.REVIEW_KIND

# A submission still `processing` after this long lost its task (broker down, worker killed).
STUCK_AFTER = timedelta(minutes=15)


def _in_language_of(user: User):
    return translation.override(getattr(user, "language", None) or settings.LANGUAGE_CODE)


def images_purge(images, *, now) -> None:
    """Forget an image's files (deleted once the transaction commits); keep its row and hash."""
    names: list[str] = []
    for image in images:
        names += image.file_names
        image.raw = image.image = image.thumbnail = ""
        image.purged_at = now
        image.save(update_fields=["raw", "image", "thumbnail", "purged_at"])
    transaction.on_commit(lambda: delete_private_files(names))


# --- The image pipeline (run by the task) -----------------------------------

def _process_stored(image: DocumentImage) -> ProcessedImage:
    """Run the pipeline again on the bytes we stored: what is on disk is what we trust or refuse."""
    unreadable = ImageRejected(_("The upload could not be read. Please upload it again."), code="missing")
    if not image.raw:
        raise unreadable
    try:
        with image.raw.storage.open(image.raw.name, "rb") as fh:
            return process_image(fh)
    except FileNotFoundError:
        raise unreadable from None


def _review_flags(submission: DocumentSubmission) -> list[dict]:
    """What the reviewer must notice: the number is known on other accounts (by its keyed hash), maybe closed or deleted ones."""
    flags = []
    fingerprint = submission.identity.fingerprint
    others = list(selectors.identities_sharing_fingerprint(fingerprint=fingerprint, exclude_user=submission.user))
    if others:
        user_ids = sorted({i.user_id for i in others})
        cap = identity_cap_check(fingerprint=fingerprint, exclude_user=submission.user,
                                 uncounted_user_ids=closure_user_ids())
        past = selectors.identity_past_accounts(fingerprint=fingerprint, exclude_user=submission.user)
        # Stored text is English (the record); the review page shows each flag translated by its code.
        with translation.override("en"):
            flags.append({"code": "fingerprint_shared", "users": user_ids,
                          "text": _("This document number was also given by %(n)d other account(s).")
                          % {"n": len(user_ids)}})
            if past:
                flags.append({"code": "identity_history", "users": [row.user_id for row in past],
                              "text": _("This identity belonged to a deleted or closed account: see its history.")})
            if cap.reached:
                flags.append({"code": "identity_cap_reached", "users": cap.account_ids,
                              "text": _("This identity is already verified on the most accounts allowed; "
                                        "approval will be refused.")})
    return flags


def _publish(submission: DocumentSubmission, images: list[DocumentImage], results: dict, *, now) -> None:
    raw_names = []
    for image in images:
        processed: ProcessedImage = results[image.pk]
        raw_names.append(image.raw.name)
        image.raw = ""
        image.content_type = processed.content_type
        image.width, image.height = processed.width, processed.height
        image.processed_at = now
        image.save(update_fields=["raw", "image", "thumbnail", "content_type", "width", "height", "processed_at"])
    submission.transition(to=SubmissionStatus.PENDING)
    submission.processed_at = now
    submission.save(update_fields=["status", "processed_at"])
    transaction.on_commit(lambda: delete_private_files(raw_names))
    kind = submission.kind
    review_item_open(kind=REVIEW_KIND, target=submission, subject=submission.user,
                     summary=f"{kind.name_en} / {kind.name_zh}", flags=_review_flags(submission))
    # The paid check runs once per identity ever (idcheck keeps the answer); only ids cross the broker.
    identity_id, user_id = submission.identity_id, submission.user_id
    transaction.on_commit(lambda: run_idcheck_for_identity.delay(identity_id=identity_id, requested_by_id=user_id))


def _fail(submission: DocumentSubmission, images: list[DocumentImage], rejection: ImageRejected, *, now) -> None:
    images_purge(images, now=now)
    submission.transition(to=SubmissionStatus.FAILED)
    submission.processed_at = now
    submission.failure_code = rejection.code[:40]
    submission.save(update_fields=["status", "processed_at", "failure_code"])
    identity_reject(identity=submission.identity)
    user = submission.user
    with _in_language_of(user):
        notify(user=user, kind="document.failed", title=_("We could not use your document image"),
               body=f"{rejection.message} {_('Please upload your document again.')}",
               url=reverse("verification:document"))


def submission_process_images(*, submission_id: int) -> DocumentSubmission | None:
    """Re-check the stored uploads, keep clean copies and open the review item, or fail the submission."""
    submission = DocumentSubmission.objects.filter(pk=submission_id).first()
    if submission is None or submission.status != SubmissionStatus.PROCESSING:
        return submission  # gone, or another run already did it
    images = list(submission.images.order_by("side"))
    results: dict[int, ProcessedImage] = {}
    rejection: ImageRejected | None = None
    # The heavy decoding happens before any lock is taken.
    for image in images:
        try:
            results[image.pk] = _process_stored(image)
        except ImageRejected as exc:
            rejection = exc
            break
    written: list[str] = []
    try:
        if rejection is None:
            for image in images:
                processed = results[image.pk]
                image.image.save(f"image{processed.extension}", ContentFile(processed.content), save=False)
                written.append(image.image.name)
                image.thumbnail.save(f"thumb{processed.extension}", ContentFile(processed.thumbnail), save=False)
                written.append(image.thumbnail.name)
        with transaction.atomic():
            # of=self: PostgreSQL would otherwise lock the joined rows too, and every
            # submission of a kind would queue behind the one kind row.
            submission = (DocumentSubmission.objects.select_for_update(of=("self",))
                          .select_related("user", "kind", "identity").get(pk=submission_id))
            if submission.status != SubmissionStatus.PROCESSING:
                delete_private_files(written)  # a concurrent run won; ours are spare copies
                return submission
            now = timezone.now()
            if rejection is None:
                _publish(submission, images, results, now=now)
            else:
                _fail(submission, images, rejection, now=now)
    except BaseException:
        delete_private_files(written)
        raise
    return submission


def submissions_stuck_ids(*, now=None) -> list[int]:
    """Submissions whose image task seems lost (still processing after a while)."""
    now = now or timezone.now()
    return list(DocumentSubmission.objects.filter(status=SubmissionStatus.PROCESSING, created_at__lt=now - STUCK_AFTER)
                .values_list("pk", flat=True))


# --- Retention -------------------------------------------------------------

def documents_purge_decided(*, batch_size: int = 200) -> int:
    """Delete the image files of submissions decided over DOCUMENT_PURGE_DAYS ago; keep decision and hashes."""
    cutoff = timezone.now() - timedelta(days=settings.DOCUMENT_PURGE_DAYS)
    purged = 0
    while True:
        with transaction.atomic():
            batch = list(DocumentImage.objects.select_for_update(of=("self",))
                         .filter(purged_at__isnull=True, submission__status__in=DECIDED_STATUSES,
                                 submission__decided_at__lt=cutoff)
                         .order_by("pk")[:batch_size])
            if not batch:
                return purged
            images_purge(batch, now=timezone.now())
            purged += len(batch)
