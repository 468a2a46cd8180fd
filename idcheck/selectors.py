"""Reads for the ID check: kept results, the month's spend. None of these calls the provider."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Count, Sum
from django.utils import timezone

from .models import IdCheckQuery, QueryResult
from .outcomes import IdCheckOutcome


def budget_timezone() -> ZoneInfo:
    # The budget month is the operator's calendar month, whatever timezone a request has activated.
    return ZoneInfo(settings.TIME_ZONE)


def month_start(moment: datetime.datetime | datetime.date | None = None) -> datetime.date:
    """The first day of the budget month that contains `moment` (now by default)."""
    if moment is None:
        moment = timezone.now()
    if isinstance(moment, datetime.datetime):
        moment = timezone.localtime(moment, budget_timezone()) if timezone.is_aware(moment) else moment
        moment = moment.date()
    return moment.replace(day=1)


def month_bounds(month: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    """Aware [start, end) datetimes of the calendar month beginning on `month`."""
    tz = budget_timezone()
    first = month.replace(day=1)
    following = (first + datetime.timedelta(days=32)).replace(day=1)
    return (datetime.datetime.combine(first, datetime.time.min, tzinfo=tz),
            datetime.datetime.combine(following, datetime.time.min, tzinfo=tz))


def idcheck_result_for(*, fingerprint: str) -> IdCheckOutcome | None:
    """The kept verdict for this identity fingerprint, or None if it was never answered."""
    query = (IdCheckQuery.objects.filter(fingerprint=fingerprint)
             .exclude(result__in=[QueryResult.PENDING, QueryResult.ERROR]).first())
    return IdCheckOutcome.from_query(query, cached=True) if query else None


def idcheck_month_spend(*, month: datetime.date | datetime.datetime | None = None) -> int:
    """Fen charged (and reserved for calls in flight) in the budget month containing `month`."""
    start, end = month_bounds(month_start(month))
    total = IdCheckQuery.objects.filter(created_at__gte=start, created_at__lt=end).aggregate(total=Sum("cost_fen"))
    return total["total"] or 0


@dataclass(frozen=True)
class BudgetSummary:
    month: datetime.date
    spent_fen: int
    budget_fen: int
    queries: int

    @property
    def remaining_fen(self) -> int:
        return max(self.budget_fen - self.spent_fen, 0)


def idcheck_budget_summary(*, month: datetime.date | None = None) -> BudgetSummary:
    """Spend against budget for one month, for the staff console."""
    first = month_start(month)
    start, end = month_bounds(first)
    row = (IdCheckQuery.objects.filter(created_at__gte=start, created_at__lt=end)
           .aggregate(total=Sum("cost_fen"), queries=Count("pk")))
    return BudgetSummary(month=first, spent_fen=row["total"] or 0, budget_fen=settings.IDCHECK_MONTHLY_BUDGET_FEN,
                         queries=row["queries"])
