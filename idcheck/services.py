"""Writes for the paid ID check: reserve, call the provider at most once per identity, record.

How one paid call is made safe:

1. Reserve (short transaction): lock this month's IdCheckBudgetMonth row, then look
   for a kept verdict or a call in flight for the fingerprint, check the caller's
   rate limit and the month's budget against the ledger, and insert a *pending*
   ledger row carrying the cost. The month lock serialises every reservation, so
   two callers can never both spend the last of the budget or the same user's
   last allowed query; the conditional unique constraint on the fingerprint is
   the backstop that makes a second reservation for one identity impossible.
2. Call and settle (second transaction): lock the pending row, call the provider,
   store the verdict and the real cost. A concurrent caller for the same identity
   blocks on that row lock instead of paying again, then reuses the verdict.

The provider call holds only its own row, never the month lock, so a slow answer
does not stop checks of other identities. A pending row whose worker died is taken
over with the same request_id, which the provider must answer without charging
again (docs/idcheck-http-contract.md).
"""

from __future__ import annotations

import datetime
import logging
import time
from typing import TYPE_CHECKING

from allauth.core import ratelimit
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from stdnum.cn import ric

from .backends import ERROR, IdCheckBackend, ProviderResult, get_backend
from .models import IdCheckBudgetMonth, IdCheckQuery, QueryResult
from .outcomes import IdCheckOutcome, Status
from .selectors import idcheck_month_spend, idcheck_result_for, month_start

if TYPE_CHECKING:
    from django.http import HttpRequest

    from accounts.models import User

__all__ = ["IdCheckOutcome", "Status", "idcheck_month_spend", "idcheck_query", "idcheck_result_for"]

logger = logging.getLogger(__name__)

# A pending row that nobody holds a lock on for this long belongs to a caller that died between
# reserving and calling (a live caller locks its row within milliseconds of reserving it).
PENDING_TAKEOVER_SECONDS = 10.0
# Upper bound on waiting for someone else's reservation, so a caller never spins for ever.
WAIT_LIMIT_SECONDS = 30.0

_RATE_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def idcheck_query(*, fingerprint: str, real_name: str, id_number: str, requested_by: User | None = None,
                  request: HttpRequest | None = None) -> IdCheckOutcome:
    """Check a name against a resident ID number, paying at most once per identity fingerprint ever."""
    number = ric.compact(id_number or "")
    if len(fingerprint or "") != 64:
        raise ValueError("idcheck_query needs the identity's 64-character fingerprint")
    if not ric.is_valid(number):
        # Only resident ID numbers are checkable; anything else would be a paid call that cannot succeed.
        raise ValueError("idcheck_query needs a valid resident ID number")
    backend = get_backend()
    deadline = time.monotonic() + WAIT_LIMIT_SECONDS
    pause = 0.02
    while True:
        step = _reserve(fingerprint=fingerprint, requested_by=requested_by, request=request, backend=backend)
        if isinstance(step, IdCheckOutcome):
            return step
        if step is not None:
            query, ours = step
            if ours:
                return _call_and_settle(query_id=query.pk, backend=backend, real_name=real_name, id_number=number)
            outcome, settled = _wait_for(query_id=query.pk, backend=backend, real_name=real_name, id_number=number)
            if outcome is not None:
                return outcome
            if settled:
                continue  # reserve again: a kept verdict is reused; after an error a new call may be made
        if time.monotonic() >= deadline:
            logger.warning("idcheck for fingerprint %s… gave up waiting for a call in flight", fingerprint[:12])
            return IdCheckOutcome.build(Status.ERROR)
        time.sleep(pause)
        pause = min(pause * 2, 0.5)


def _reserve(*, fingerprint: str, requested_by: User | None, request: HttpRequest | None,
             backend: IdCheckBackend) -> IdCheckOutcome | tuple[IdCheckQuery, bool] | None:
    """Lock the month, check, and insert a pending row: (row, True) ours, (row, False) someone else's, or an outcome."""
    now = timezone.now()
    month = month_start(now)
    cost = settings.IDCHECK_COST_FEN
    try:
        # durable: a paid call's record must never be undone by a caller's transaction rolling back.
        with transaction.atomic(durable=True):
            IdCheckBudgetMonth.objects.get_or_create(month=month)
            IdCheckBudgetMonth.objects.select_for_update().get(month=month)
            held = IdCheckQuery.objects.filter(fingerprint=fingerprint).exclude(result=QueryResult.ERROR).first()
            if held is not None:
                if held.result == QueryResult.PENDING:
                    return held, False
                return IdCheckOutcome.from_query(held, cached=True)
            if requested_by is not None and _over_user_rate(user=requested_by, now=now):
                logger.info("idcheck refused for user %s: rate limited", requested_by.pk)
                return IdCheckOutcome.build(Status.RATE_LIMITED)
            spent = idcheck_month_spend(month=month)
            if spent + cost > settings.IDCHECK_MONTHLY_BUDGET_FEN:
                logger.warning("idcheck refused: budget for %s exhausted (%s of %s fen spent)", f"{month:%Y-%m}", spent,
                               settings.IDCHECK_MONTHLY_BUDGET_FEN)
                return IdCheckOutcome.build(Status.BUDGET_EXHAUSTED)
            if request is not None and requested_by is not None and not _allauth_allows(request, requested_by):
                logger.info("idcheck refused for user %s: rate limited by request", requested_by.pk)
                return IdCheckOutcome.build(Status.RATE_LIMITED)
            query = IdCheckQuery.objects.create(fingerprint=fingerprint, requested_by=requested_by, backend=backend.name,
                                                result=QueryResult.PENDING, cost_fen=cost, created_at=now)
            return query, True
    except IntegrityError:
        # Only possible when two reservations straddle a month boundary (two different month locks):
        # the constraint kept the second one out; go round again and find the first.
        return None


def _call_and_settle(*, query_id: int, backend: IdCheckBackend, real_name: str, id_number: str) -> IdCheckOutcome:
    """Make our reserved call while holding the row, so callers for the same identity wait for it."""
    with transaction.atomic(durable=True):
        query = IdCheckQuery.objects.select_for_update().get(pk=query_id)
        if query.result != QueryResult.PENDING:
            # Someone took over our reservation while we were stalled; their answer stands.
            return IdCheckOutcome.from_query(query, cached=True)
        return _ask_and_record(query=query, backend=backend, real_name=real_name, id_number=id_number)


def _wait_for(*, query_id: int, backend: IdCheckBackend, real_name: str,
              id_number: str) -> tuple[IdCheckOutcome | None, bool]:
    """Wait out another caller's call for this identity: (outcome, settled), taking over a dead caller's row."""
    with transaction.atomic(durable=True):
        # Blocks for as long as the other caller is talking to the provider.
        query = IdCheckQuery.objects.select_for_update().filter(pk=query_id).first()
        if query is None or query.result != QueryResult.PENDING:
            return None, True
        if timezone.now() - query.created_at < datetime.timedelta(seconds=PENDING_TAKEOVER_SECONDS):
            return None, False  # its caller has not started yet: come back shortly
        logger.warning("idcheck request %s was left pending; retrying it with the same request id", query.request_id)
        return _ask_and_record(query=query, backend=backend, real_name=real_name, id_number=id_number), True


def _ask_and_record(*, query: IdCheckQuery, backend: IdCheckBackend, real_name: str, id_number: str) -> IdCheckOutcome:
    """Call the provider for a locked pending row and store the verdict and the real cost."""
    result = _ask(backend=backend, request_id=str(query.request_id), real_name=real_name, id_number=id_number)
    query.result = result.result
    query.reference = result.reference[:128]
    # The reservation becomes the charge, or is released when the provider did not bill us.
    query.cost_fen = query.cost_fen if result.charged else 0
    query.backend = backend.name
    query.completed_at = timezone.now()
    query.save(update_fields=["result", "reference", "cost_fen", "backend", "completed_at"])
    logger.info("idcheck query %s (request %s): %s, %s fen", query.pk, query.request_id, query.result, query.cost_fen)
    return IdCheckOutcome.from_query(query, cached=False)


def _ask(*, backend: IdCheckBackend, request_id: str, real_name: str, id_number: str) -> ProviderResult:
    try:
        return backend.check(real_name=real_name, id_number=id_number, request_id=request_id)
    except Exception as exc:
        # A broken backend must settle the row, not leave it pending. Only the class is logged:
        # an exception's text might quote what it was given.
        logger.error("idcheck backend %s failed on request %s: %s", backend.name, request_id, type(exc).__name__)
        return ProviderResult(ERROR, "", charged=False)


def _user_rates() -> list[tuple[int, datetime.timedelta]]:
    """The per-user parts of ACCOUNT_RATE_LIMITS["idcheck_query"] (allauth's "3/h/user,10/d/user" format)."""
    config = getattr(settings, "ACCOUNT_RATE_LIMITS", None) or {}
    rates = []
    for part in (config.get("idcheck_query") or "").split(","):
        bits = part.strip().split("/")
        if len(bits) != 3 or bits[2] != "user":
            continue  # per-ip and per-key limits need a request: allauth's limiter applies those
        amount, duration = int(bits[0]), bits[1]
        seconds = float(duration[:-1] or 1) * _RATE_UNITS[duration[-1]]
        rates.append((amount, datetime.timedelta(seconds=seconds)))
    return rates


def _over_user_rate(*, user: User, now: datetime.datetime) -> bool:
    # Counted on the ledger: tasks and reviewers have no request, and the count is exact under the month lock.
    recent = IdCheckQuery.objects.filter(requested_by=user)
    return any(recent.filter(created_at__gt=now - window).count() >= amount for amount, window in _user_rates())


def _allauth_allows(request: HttpRequest, user: User) -> bool:
    return bool(ratelimit.consume(request, action="idcheck_query", user=user))
