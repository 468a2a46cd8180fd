"""Reads for the review queue."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count, Min
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import audit, registry
from .models import PENDING_STATUSES, AuditEntry, ReviewItem


@dataclass(frozen=True)
class SlaState:
    """How an item's waiting time compares with the review SLA: a CSS class and a text label."""

    code: str
    label: str


SLA_OK = SlaState("ok", _("On time"))
SLA_SOON = SlaState("soon", _("Due soon"))
SLA_LATE = SlaState("late", _("Overdue"))


def sla_state(waiting: timedelta) -> SlaState:
    """Green under half the SLA, amber under the SLA, red over it."""
    sla = timedelta(hours=settings.REVIEW_SLA_HOURS)
    if waiting < sla / 2:
        return SLA_OK
    if waiting < sla:
        return SLA_SOON
    return SLA_LATE


def queue_for(reviewer, *, kind: str | None = None):
    """Pending items (open or claimed by anyone) of the kinds the reviewer may review, oldest first.

    Returns (queryset, lapsed): a claim whose last activity is at or before `lapsed` has lapsed.
    """
    now = timezone.now()
    lapsed = now - timedelta(minutes=settings.REVIEW_CLAIM_TIMEOUT_MINUTES)
    kinds = [k for k in registry.reviewable_kinds(reviewer) if not kind or k == kind]
    return (ReviewItem.objects.filter(kind__in=kinds, status__in=PENDING_STATUSES)
            .select_related("subject__profile", "claimed_by__profile")
            .order_by("created_at", "pk")), lapsed


def queue_stats(reviewer) -> list[dict]:
    """Per kind: how many items wait, when the oldest came in, its age and SLA state."""
    kinds = registry.reviewable_kinds(reviewer)
    rows = (ReviewItem.objects.filter(kind__in=list(kinds), status__in=PENDING_STATUSES)
            .values("kind").annotate(count=Count("pk"), oldest=Min("created_at")).order_by())
    by_kind = {r["kind"]: r for r in rows}
    now = timezone.now()
    stats = []
    for key, kind in kinds.items():
        oldest = by_kind[key]["oldest"] if key in by_kind else None
        age = (now - oldest) if oldest else None
        stats.append({"key": key, "label": kind.label, "count": by_kind.get(key, {}).get("count", 0),
                      "oldest": oldest, "oldest_age": age, "sla": sla_state(age) if age is not None else None})
    return stats


def queue_totals(stats: list[dict]) -> dict:
    """All kinds together: items waiting, the oldest of them, its SLA state."""
    oldest = min((s["oldest"] for s in stats if s["oldest"]), default=None)
    return {"count": sum(s["count"] for s in stats), "oldest": oldest,
            "sla": sla_state(timezone.now() - oldest) if oldest else None}


def annotate_rows(items, *, lapsed: datetime) -> list[ReviewItem]:
    """Attach what the queue table shows (kind label, SLA, whether the claim is live) without queries."""
    now = timezone.now()
    kinds = registry.kinds()
    rows = list(items)
    for item in rows:
        kind = kinds.get(item.kind)
        item.kind_label = kind.label if kind else item.kind
        item.sla = sla_state(now - item.created_at)
        item.claim_live = item.claimed_by_id is not None and item.last_activity_at is not None \
            and item.last_activity_at > lapsed
    return rows


def item_for(reviewer, pk: int) -> ReviewItem | None:
    """The item if its kind is registered and the reviewer may review it; None otherwise (a 404)."""
    item = (ReviewItem.objects.select_related("subject__profile", "claimed_by__profile", "decided_by__profile")
            .filter(pk=pk).first())
    if item is None or item.kind not in registry.reviewable_kinds(reviewer):
        return None
    return item


HISTORY_STEPS = {
    "open": _("Put in the queue"),
    "claim": _("Claimed"),
    "release": _("Released"),
    "decide": _("Decided"),
    "withdraw": _("Withdrawn"),
}


def item_history(item: ReviewItem) -> list[AuditEntry]:
    """The audit entries about this item, oldest first, each with a `step_label`."""
    target_type, target_id = audit.target_ref(item)
    entries = list(AuditEntry.objects.filter(target_type=target_type, target_id=target_id)
                   .select_related("actor__profile").order_by("pk"))
    for entry in entries:
        # Actions are "review.<kind>.<step>"; a kind key may itself contain dots.
        step = entry.action.rsplit(".", 1)[-1]
        entry.step_label = HISTORY_STEPS.get(step, entry.action)
        entry.took_over_lapsed = bool((entry.data or {}).get("lapsed_claim_of"))
    return entries


def flag_rows(item: ReviewItem, kind: registry.ReviewKind | None = None) -> list[dict]:
    """The item's flags as dicts with code, text (as the kind words it) and user ids, tolerating malformed entries."""
    rows = []
    for flag in item.flags or []:
        if not isinstance(flag, dict):
            flag = {"code": "", "text": str(flag)}
        users = [u for u in flag.get("users") or [] if isinstance(u, int) or (isinstance(u, str) and u.isdigit())]
        text = kind.flag_text(flag) if kind else flag.get("text", "")
        rows.append({"code": str(flag.get("code", "")), "text": text, "users": users})
    return rows
