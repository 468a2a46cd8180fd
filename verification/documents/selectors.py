"""Reads for verification pages and the review page; each costs a constant number of queries."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Min, Q, QuerySet
from django.utils import timezone

from accounts.models import DeletionRequest, RealIdentity, User
from accounts.selectors import HIDDEN_STATUSES
from moderation.models import ItemStatus, Penalty, PenaltyStatus, ReviewItem, Rung, Strike
from moderation.registry import may_see_identity

from .models import OPEN_STATUSES, DocumentImage, DocumentKind, DocumentSubmission, SubmissionStatus

REVIEW_KIND = "document"


def kinds_active() -> QuerySet[DocumentKind]:
    return DocumentKind.objects.filter(active=True).order_by("order", "pk")


def kind_active_by_code(code: str | None) -> DocumentKind | None:
    if not code:
        return None
    return DocumentKind.objects.filter(active=True, code=code).first()


def _with_images(qs: QuerySet[DocumentSubmission]) -> QuerySet[DocumentSubmission]:
    return qs.select_related("kind").prefetch_related("images")


def submission_open_for(user: User) -> DocumentSubmission | None:
    """The user's submission still being processed or waiting for review, if any."""
    return _with_images(DocumentSubmission.objects.filter(user=user, status__in=OPEN_STATUSES)).first()


def submission_latest_for(user: User) -> DocumentSubmission | None:
    """The user's newest submission, whatever its state (what the hub reports on)."""
    return _with_images(DocumentSubmission.objects.filter(user=user).order_by("-created_at", "-pk")).first()


def submission_window(user: User, *, now: datetime | None = None) -> tuple[int, datetime | None]:
    """How many submissions the user made in the limit's window, and when the window next frees a slot."""
    now = now or timezone.now()
    window = timedelta(hours=settings.DOCUMENT_SUBMISSION_WINDOW_HOURS)
    row = DocumentSubmission.objects.filter(user=user, created_at__gt=now - window).aggregate(
        count=Count("pk"), oldest=Min("created_at"))
    return row["count"], (row["oldest"] + window if row["oldest"] else None)


def rejected_image_hashes(hashes: Iterable[str]) -> set[str]:
    """Those of `hashes` that belong to an image of a rejected submission (anyone's)."""
    return set(DocumentImage.objects.filter(sha256__in=list(hashes), submission__status=SubmissionStatus.REJECTED)
               .values_list("sha256", flat=True))


def image_for_owner(*, user: User, submission_pk: int, side: int) -> DocumentImage | None:
    """A thumbnail the owner may see: only while their submission waits for review."""
    if not user.is_authenticated:
        return None
    return (DocumentImage.objects.select_related("submission")
            .filter(submission__pk=submission_pk, submission__user=user, submission__status=SubmissionStatus.PENDING,
                    side=side, purged_at__isnull=True).exclude(thumbnail="").first())


def review_item_for(submission: DocumentSubmission) -> ReviewItem | None:
    """The queue item of a submission still in the queue (open or claimed)."""
    ct = ContentType.objects.get_for_model(DocumentSubmission)
    return (ReviewItem.objects.filter(kind=REVIEW_KIND, content_type=ct, object_id=submission.pk,
                                      status__in=[ItemStatus.OPEN, ItemStatus.CLAIMED]).first())


def review_item_latest_for(submission: DocumentSubmission) -> ReviewItem | None:
    """The submission's newest queue item, whatever its state (decided ones are history)."""
    ct = ContentType.objects.get_for_model(DocumentSubmission)
    return (ReviewItem.objects.filter(kind=REVIEW_KIND, content_type=ct, object_id=submission.pk)
            .order_by("-pk").first())


def image_for_reviewer(*, reviewer: User, submission_pk: int, side: int) -> tuple[DocumentImage, ReviewItem] | None:
    """A full image and its item, only while `reviewer` holds a live claim on the submission's item."""
    if not reviewer.is_authenticated:
        return None
    image = (DocumentImage.objects.select_related("submission")
             .filter(submission__pk=submission_pk, submission__status=SubmissionStatus.PENDING, side=side,
                     purged_at__isnull=True).exclude(image="").first())
    if image is None:
        return None
    item = review_item_for(image.submission)
    # The image is the identity itself: the same rule as the typed name and number (a claim, no conflict).
    if item is None or not may_see_identity(item, reviewer):
        return None
    return image, item


def submissions_history(*, user: User, exclude_pk: int | None = None) -> QuerySet[DocumentSubmission]:
    """Every submission of `user` (for the reviewer), newest first."""
    qs = DocumentSubmission.objects.filter(user=user).select_related("kind", "decided_by__profile")
    if exclude_pk is not None:
        qs = qs.exclude(pk=exclude_pk)
    return qs.order_by("-created_at", "-pk")


def identities_sharing_fingerprint(*, fingerprint: str, exclude_user: User | int) -> QuerySet[RealIdentity]:
    """Identities of other accounts with the same document number (its keyed hash), with their users."""
    return (RealIdentity.objects.filter(fingerprint=fingerprint).exclude(user=exclude_user)
            .select_related("user__profile").order_by("user_id", "-created_at"))


@dataclass
class PastAccount:
    """Another account of the same identity that was deleted (or is being deleted) or closed, with its record."""

    user_id: int
    deletion: DeletionRequest | None = None
    closure: Penalty | None = None
    # Ids, rungs and dates only: the reviewer needs the record, not what the content said.
    penalties: list[Penalty] = field(default_factory=list)
    strikes: list[Strike] = field(default_factory=list)

    @property
    def erased(self) -> bool:
        return self.deletion is not None and self.deletion.erased_at is not None


def identity_past_accounts(*, fingerprint: str, exclude_user: User) -> list[PastAccount]:
    """Accounts of this identity (other than `exclude_user`) that were deleted or closed, with penalties and strikes.

    Five queries, whatever the number of accounts: what the document reviewer reads before deciding.
    """
    user_ids = set(RealIdentity.objects.filter(fingerprint=fingerprint).exclude(user=exclude_user)
                   .values_list("user_id", flat=True))
    if not user_ids:
        return []
    deletions = {d.user_id: d for d in DeletionRequest.objects.filter(user_id__in=user_ids, status__in=HIDDEN_STATUSES)}
    rows: dict[int, PastAccount] = {}
    for penalty in (Penalty.objects.filter(Q(user_id__in=user_ids) | Q(owner_id__in=user_ids))
                    .prefetch_related("identity_bans").order_by("-created_at", "-pk")):
        row = rows.setdefault(penalty.owner_id or penalty.user_id, PastAccount(user_id=penalty.owner_id or penalty.user_id))
        row.penalties.append(penalty)
        if (penalty.user_id == row.user_id and penalty.action >= Rung.CLOSE and penalty.status == PenaltyStatus.ACTIVE
                and row.closure is None):
            row.closure = penalty
    for strike in Strike.objects.filter(user_id__in=user_ids).order_by("-created_at", "-pk"):
        # user_id__in above: never None here.
        rows.setdefault(strike.user_id, PastAccount(user_id=strike.user_id)).strikes.append(strike)  # type: ignore[arg-type]
    for user_id, deletion in deletions.items():
        rows.setdefault(user_id, PastAccount(user_id=user_id)).deletion = deletion
    # Accounts that were only warned or restricted are already in the table of shared numbers.
    return [rows[pk] for pk in sorted(rows) if rows[pk].deletion is not None or rows[pk].closure is not None]
