"""Reads for the staff dashboard and the audit export: queue sizes, decisions per day, the filtered log."""

from datetime import date, datetime, timedelta

from django.db.models import Count, Q
from django.db.models.functions import Length, TruncDate
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext, ngettext

from . import selectors
from .models import AuditEntry, ItemStatus, ReviewItem

DAYS = 30
# The chart's drawing box, in SVG user units (it scales with the page).
CHART_WIDTH, CHART_HEIGHT, CHART_PAD = 600, 200, 24


def decisions_per_day(kinds, *, days: int = DAYS, today: date | None = None) -> list[dict]:
    """Decisions on items of these kinds for each of the last `days` days (oldest first, zero days included)."""
    today = today or timezone.localdate()
    first = today - timedelta(days=days - 1)
    start = timezone.make_aware(datetime.combine(first, datetime.min.time()))
    rows = (ReviewItem.objects.filter(kind__in=list(kinds), status=ItemStatus.DECIDED, decided_at__gte=start)
            .annotate(day=TruncDate("decided_at", tzinfo=timezone.get_current_timezone()))
            .values("day").annotate(n=Count("pk")).order_by())
    counts = {row["day"]: row["n"] for row in rows}
    return [{"day": first + timedelta(days=i), "count": counts.get(first + timedelta(days=i), 0)} for i in range(days)]


def bar_chart(series: list[dict]) -> dict:
    """Bar geometry for an inline SVG (no script, no styles: attributes only, as the CSP wants)."""
    top = max((point["count"] for point in series), default=0) or 1
    inner_w, inner_h = CHART_WIDTH - 2 * CHART_PAD, CHART_HEIGHT - 2 * CHART_PAD
    slot = inner_w / max(len(series), 1)
    bars = []
    for i, point in enumerate(series):
        height = round(inner_h * point["count"] / top, 1)
        bars.append({**point, "x": round(CHART_PAD + i * slot + slot * 0.1, 1), "width": round(slot * 0.8, 1),
                     "y": round(CHART_PAD + inner_h - height, 1), "height": height})
    return {"bars": bars, "max": top, "width": CHART_WIDTH, "height": CHART_HEIGHT, "pad": CHART_PAD,
            "baseline": CHART_HEIGHT - CHART_PAD, "right": CHART_WIDTH - CHART_PAD,
            "first": series[0]["day"] if series else None, "last": series[-1]["day"] if series else None}


def dashboard_for(reviewer) -> dict:
    """Queue sizes per kind with the oldest item's age, and decisions per day of the last 30 days."""
    stats = selectors.queue_stats(reviewer)
    series = decisions_per_day([s["key"] for s in stats])
    return {"stats": stats, "totals": selectors.queue_totals(stats), "series": series, "chart": bar_chart(series),
            "decided_total": sum(point["count"] for point in series), "days": DAYS}


# The admin changelist's parameter names are accepted too, so its filters carry over to the export.
_ALIASES = {"action__exact": "action", "actor__id__exact": "actor", "target_type__exact": "target_type", "q": "target_id"}


def _date(value: str) -> date | None:
    try:
        return parse_date(value) if value else None
    except ValueError:  # well formed but impossible, like 2026-02-30
        return None


def _hierarchy_range(params) -> tuple[date | None, date | None]:
    """The first and last day picked in the changelist's date hierarchy (a year, a month or a day)."""
    year, month, day = (params.get(f"created_at__{part}") or "" for part in ("year", "month", "day"))
    try:
        if day:
            first = last = date(int(year), int(month), int(day))
        elif month:
            first = date(int(year), int(month), 1)
            last = (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
        elif year:
            first, last = date(int(year), 1, 1), date(int(year), 12, 31)
        else:
            return None, None
    except ValueError:
        return None, None
    return first, last


def audit_filtered(params) -> tuple:
    """The audit entries matching actor, action, target_type, target_id, since and until (dates, inclusive)."""
    values = {key: (params.get(key) or "").strip() for key in ("actor", "action", "target_type", "target_id",
                                                                 "since", "until")}
    for alias, key in _ALIASES.items():
        if params.get(alias) and not values[key]:
            values[key] = params.get(alias).strip()
    qs = AuditEntry.objects.all()
    if values["actor"].isdigit():
        qs = qs.filter(actor_id=int(values["actor"]))
    if values["action"]:
        qs = qs.filter(action=values["action"])
    if values["target_type"]:
        qs = qs.filter(target_type=values["target_type"])
    if values["target_id"]:
        qs = qs.filter(target_id=values["target_id"])
    since, until = _date(values["since"]), _date(values["until"])
    if since is None and until is None:
        since, until = _hierarchy_range(params)
    tz = timezone.get_current_timezone()
    if since:
        qs = qs.filter(created_at__gte=timezone.make_aware(datetime.combine(since, datetime.min.time()), tz))
    if until:
        qs = qs.filter(created_at__lt=timezone.make_aware(datetime.combine(until + timedelta(days=1), datetime.min.time()), tz))
    return qs.order_by("pk"), values


def note_label(entry) -> str:
    """What pages and the export show of an entry's note: its length or that it was erased, never its text."""
    chars = getattr(entry, "note_chars", None)
    if getattr(entry, "note_erased", False):
        return gettext("note (erased)")
    if chars is None:
        return ""
    return ngettext("note (%(n)d char)", "note (%(n)d chars)", chars) % {"n": chars}


def with_note_facts(queryset):
    """Annotate note_chars / note_erased in the database, so the note's text is never even loaded."""
    return queryset.annotate(note_chars=Length("note__text"), note_erased=Q(note__erased_at__isnull=False))
