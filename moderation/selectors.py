"""Reads for the review queue."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, F, Max, Min, Model, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.selectors import hidden_user_ids

from . import audit, registry
from .models import PENDING_STATUSES, AuditEntry, IdentityBan, Penalty, PenaltyStatus, ReviewItem, Rung, Strike

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser
    from django_stubs_ext import StrPromise


@dataclass(frozen=True)
class SlaState:
    """How an item's waiting time compares with the review SLA: a CSS class and a text label."""

    code: str
    label: str | StrPromise


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


def queue_for(reviewer: User, *, kind: str | None = None) -> tuple[QuerySet[ReviewItem], datetime]:
    """Pending items (open or claimed by anyone) of the kinds the reviewer may review, oldest first.

    Returns (queryset, lapsed): a claim whose last activity is at or before `lapsed` has lapsed.
    """
    now = timezone.now()
    lapsed = now - timedelta(minutes=settings.REVIEW_CLAIM_TIMEOUT_MINUTES)
    kinds = [k for k in registry.reviewable_kinds(reviewer) if not kind or k == kind]
    return (ReviewItem.objects.filter(kind__in=kinds, status__in=PENDING_STATUSES)
            .select_related("subject__profile", "claimed_by__profile")
            .order_by("created_at", "pk")), lapsed


def queue_stats(reviewer: User) -> list[dict[str, Any]]:
    """Per kind: how many items wait, when the oldest came in, its age and SLA state."""
    kinds = registry.reviewable_kinds(reviewer)
    rows = (ReviewItem.objects.filter(kind__in=list(kinds), status__in=PENDING_STATUSES)
            .values("kind").annotate(count=Count("pk"), oldest=Min("created_at")).order_by())
    by_kind = {r["kind"]: r for r in rows}
    now = timezone.now()
    stats: list[dict[str, Any]] = []
    for key, kind in kinds.items():
        oldest = by_kind[key]["oldest"] if key in by_kind else None
        age = (now - oldest) if oldest else None
        stats.append({"key": key, "label": kind.label, "count": by_kind.get(key, {}).get("count", 0),
                      "oldest": oldest, "oldest_age": age, "sla": sla_state(age) if age is not None else None})
    return stats


def queue_totals(stats: list[dict[str, Any]]) -> dict[str, Any]:
    """All kinds together: items waiting, the oldest of them, its SLA state."""
    oldest = min((s["oldest"] for s in stats if s["oldest"]), default=None)
    return {"count": sum(s["count"] for s in stats), "oldest": oldest,
            "sla": sla_state(timezone.now() - oldest) if oldest else None}


def annotate_rows(items: Iterable[ReviewItem], *, lapsed: datetime) -> list[ReviewItem]:
    """Attach what the queue table shows (kind label, SLA, whether the claim is live) without queries."""
    now = timezone.now()
    kinds = registry.kinds()
    rows = list(items)
    for item in rows:
        kind = kinds.get(item.kind)
        # Display attributes for the queue table, not columns.
        item.kind_label = kind.label if kind else item.kind  # type: ignore[attr-defined]
        item.sla = sla_state(now - item.created_at)  # type: ignore[attr-defined]
        item.claim_live = (item.claimed_by_id is not None  # type: ignore[attr-defined]
                           and item.last_activity_at is not None and item.last_activity_at > lapsed)
    return rows


def item_for(reviewer: User, pk: int) -> ReviewItem | None:
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
    "unmask": _("Real identity shown in full to the claim holder"),
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


def flag_rows(item: ReviewItem, kind: registry.ReviewKind | None = None) -> list[dict[str, Any]]:
    """The item's flags as dicts with code, text (as the kind words it) and user ids, tolerating malformed entries."""
    rows: list[dict[str, Any]] = []
    for flag in item.flags or []:
        if not isinstance(flag, dict):
            flag = {"code": "", "text": str(flag)}
        users = [u for u in flag.get("users") or [] if isinstance(u, int) or (isinstance(u, str) and u.isdigit())]
        text = kind.flag_text(flag) if kind else flag.get("text", "")
        rows.append({"code": str(flag.get("code", "")), "text": text, "users": users})
    return rows


# --- Enforcement: penalties in force, strikes, closures, bans -------------------------------

# The user object carries its penalties for the rest of the request: every policy check after the
# first (the gate, the page, the service) costs no query.
PENALTY_CACHE_ATTR = "_moderation_penalties"


def strike_window() -> timedelta:
    """How far back strikes count towards the suggested rung (STRIKE_WINDOW_DAYS, default 180)."""
    return timedelta(days=getattr(settings, "STRIKE_WINDOW_DAYS", 180))


def penalties_in_force(user: User | AnonymousUser | None) -> list[Penalty]:
    """The penalties on `user`'s personal account in force now, most severe first (one query per user object)."""
    if user is None or user.pk is None:
        return []
    cached = getattr(user, PENALTY_CACHE_ATTR, None)
    if cached is None:
        cached = list(Penalty.objects.filter(user_id=user.pk).in_force().order_by("-action", "ends_at"))
        setattr(user, PENALTY_CACHE_ATTR, cached)
    now = timezone.now()
    # Compared with now on every call: a penalty ends by itself, even halfway through a request.
    return [p for p in cached if p.is_in_force(now)]


def forget_penalties(user: User | AnonymousUser | None) -> None:
    """Drop what penalties_in_force() cached on this user object (after applying or lifting one)."""
    if user is None:
        return
    try:
        # delattr, not a look into __dict__: request.user is a SimpleLazyObject that forwards it.
        delattr(user, PENALTY_CACHE_ATTR)
    except AttributeError:
        pass


def user_is_closed(user: User | AnonymousUser | None) -> bool:
    """Whether the user's account is closed now (its content is hidden, it may not be used)."""
    return any(p.action >= Rung.CLOSE for p in penalties_in_force(user))


def closure_user_ids() -> QuerySet[Penalty, Any]:
    """A subquery of the ids of accounts closed by a penalty in force (only those: not the ones being deleted)."""
    return Penalty.objects.in_force().filter(action__gte=Rung.CLOSE, user__isnull=False).values("user_id")


def closed_user_ids() -> QuerySet[User, Any]:
    """A subquery of the ids of accounts whose content is hidden, for `.exclude(author_id__in=closed_user_ids())`.

    Closed accounts, and accounts being deleted or erased (accounts.selectors.hidden_user_ids()): one
    exclusion hides both.
    """
    return User.objects.filter(Q(pk__in=closure_user_ids()) | Q(pk__in=hidden_user_ids())).values("pk")


def public_account_penalty(account: Model | None) -> Penalty | None:
    """The most severe penalty in force on one public account, or None (cached on the account object)."""
    if account is None or account.pk is None:
        return None
    cached = getattr(account, PENALTY_CACHE_ATTR, None)
    if cached is None:
        ct = ContentType.objects.get_for_model(account)
        cached = list(Penalty.objects.filter(content_type=ct, object_id=account.pk).in_force()
                      .order_by("-action", "ends_at"))
        setattr(account, PENALTY_CACHE_ATTR, cached)
    now = timezone.now()
    return next((p for p in cached if p.is_in_force(now)), None)


def identity_banned(fingerprint: str) -> IdentityBan | None:
    """The ban in force on this identity fingerprint (the longest one), or None."""
    if not fingerprint:
        return None
    now = timezone.now()
    return (IdentityBan.objects.filter(fingerprint=fingerprint, lifted_at__isnull=True)
            .filter(Q(until__isnull=True) | Q(until__gt=now))
            .order_by(F("until").desc(nulls_first=True)).first())


def suggested_rung(user: User | None, now: datetime | None = None) -> int:
    """One rung above the most severe strike of the window that was not overturned; a warning when none."""
    now = now or timezone.now()
    top = None
    if user is not None:
        top = (Strike.objects.filter(user=user, overturned_at__isnull=True, created_at__gte=now - strike_window())
               .aggregate(top=Max("severity"))["top"])
    if top is None:
        return Rung.WARN
    return min((r for r in Rung.values if r > top), default=Rung.CLOSE)


def appeal_window() -> timedelta:
    """How long after a penalty its owner may appeal it (APPEAL_WINDOW_DAYS, default 30)."""
    return timedelta(days=getattr(settings, "APPEAL_WINDOW_DAYS", 30))


def appeal_refusal(penalty: Penalty, *, now: datetime | None = None) -> str:
    """Why this penalty can no longer be appealed ("" when it can); the owner check is the caller's."""
    now = now or timezone.now()
    if penalty.status == PenaltyStatus.OVERTURNED:
        return gettext("This action has already been undone.")
    if hasattr(penalty, "appeal"):
        return gettext("You have already appealed this action. There is one appeal per action.")
    if now > penalty.created_at + appeal_window():
        return gettext("The time to appeal this action has passed (%(days)d days).") % {"days": appeal_window().days}
    return ""


def strike_history(user: User | None, *, window_only: bool = True) -> list[Strike]:
    """The user's strikes, newest first (those of the strike window only, unless told otherwise)."""
    if user is None:
        return []
    qs = Strike.objects.filter(user=user).select_related("penalty")
    if window_only:
        qs = qs.filter(created_at__gte=timezone.now() - strike_window())
    return list(qs.order_by("-created_at", "-pk"))


def status_for(user: User) -> dict[str, Any]:
    """What /me/status/ shows: penalties in force, every action with its appeal, the strikes (three queries)."""
    now = timezone.now()
    penalties = list(Penalty.objects.filter(owner=user).select_related("appeal", "content_type")
                     .order_by("-created_at", "-pk"))
    for penalty in penalties:
        penalty.in_force_now = penalty.is_in_force(now)
        penalty.appeal_refusal = appeal_refusal(penalty, now=now)
        penalty.appeal_record = getattr(penalty, "appeal", None)
    window_start = now - strike_window()
    strikes = strike_history(user, window_only=False)
    for strike in strikes:
        strike.in_window = strike.created_at >= window_start and strike.overturned_at is None  # type: ignore[attr-defined]  # display only
    return {
        "in_force": [p for p in penalties if p.in_force_now],
        "penalties": penalties,
        "strikes": strikes,
        "appeals": [p.appeal_record for p in penalties if p.appeal_record is not None],
        "window_days": strike_window().days,
    }


def closure_for(user: User | AnonymousUser | None) -> Penalty | None:
    """The closure in force on the user's personal account (with its identity bans), or None."""
    closure = next((p for p in penalties_in_force(user) if p.action >= Rung.CLOSE), None)
    if closure is None:
        return None
    return (Penalty.objects.select_related("appeal").prefetch_related("identity_bans")
            .filter(pk=closure.pk).first())
