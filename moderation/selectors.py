"""Reads for the review queue."""

from datetime import timedelta

from django.conf import settings
from django.db.models import Count, Min, Q
from django.utils import timezone

from . import registry
from .models import ItemStatus, ReviewItem


def queue_for(reviewer, *, kind: str | None = None):
    """Pending items (open or with a lapsed claim, or claimed by this reviewer) of the kinds they may review."""
    now = timezone.now()
    lapsed = now - timedelta(minutes=settings.REVIEW_CLAIM_TIMEOUT_MINUTES)
    kinds = [k for k, v in registry.kinds().items() if registry.may_review(reviewer, v)]
    if kind:
        kinds = [k for k in kinds if k == kind]
    return (ReviewItem.objects.filter(kind__in=kinds)
            .filter(Q(status=ItemStatus.OPEN) | Q(status=ItemStatus.CLAIMED))
            .select_related("subject__profile", "claimed_by__profile")
            .order_by("created_at", "pk")), lapsed


def queue_stats(reviewer) -> list[dict]:
    """Per kind: how many items wait and the age of the oldest."""
    kinds = {k: v for k, v in registry.kinds().items() if registry.may_review(reviewer, v)}
    rows = (ReviewItem.objects.filter(kind__in=list(kinds), status__in=[ItemStatus.OPEN, ItemStatus.CLAIMED])
            .values("kind").annotate(count=Count("pk"), oldest=Min("created_at")))
    by_kind = {r["kind"]: r for r in rows}
    now = timezone.now()
    return [{"key": k, "label": v.label, "count": by_kind.get(k, {}).get("count", 0),
             "oldest_age": (now - by_kind[k]["oldest"]) if k in by_kind else None} for k, v in kinds.items()]
