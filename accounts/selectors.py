"""Reads for accounts that other apps use: who is being deleted (and so hidden)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import Prefetch, QuerySet

from .models import DeletionRequest, DeletionStatus, User

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

# Hidden from everyone else while cooling off (the user may still cancel), and for good once erased.
HIDDEN_STATUSES = (DeletionStatus.COOLING, DeletionStatus.ERASED)

# The user object carries its deletion request (a list of at most one, what a Prefetch fills too)
# for the rest of the request: the gate, the page and every policy check after the first cost no query.
DELETION_CACHE_ATTR = "_accounts_deletion"


def hidden_user_ids() -> QuerySet[DeletionRequest, Any]:
    """A subquery of the ids of accounts being deleted or erased, for `.exclude(author_id__in=hidden_user_ids())`.

    moderation.selectors.closed_user_ids() includes these, so content lists need exclude only that one.
    """
    return DeletionRequest.objects.filter(status__in=HIDDEN_STATUSES).values("user_id")


def deletion_pending_for(user: User | AnonymousUser | None) -> DeletionRequest | None:
    """The user's deletion request still in its cooling-off period, or None (cached on the user object)."""
    if user is None or user.pk is None:
        return None
    cached = getattr(user, DELETION_CACHE_ATTR, None)
    if cached is None and getattr(user, "deletion_requested_at", None) is None:
        return None  # the common case: no request, no query
    if cached is None:
        cached = list(DeletionRequest.objects.filter(user_id=user.pk, status=DeletionStatus.COOLING)[:1])
        setattr(user, DELETION_CACHE_ATTR, cached)
    return cached[0] if cached else None


def prefetch_deletion(users: QuerySet[User]) -> QuerySet[User]:
    """A Prefetch filling deletion_pending_for()'s cache for a queryset of users: one query for all of them."""
    return users.prefetch_related(Prefetch("deletion_requests", to_attr=DELETION_CACHE_ATTR,
                                           queryset=DeletionRequest.objects.filter(status=DeletionStatus.COOLING)))


def forget_deletion(user: User | AnonymousUser | None) -> None:
    """Drop what deletion_pending_for() cached on this user object (after a request or a cancellation)."""
    if user is None:
        return
    try:
        # delattr, not a look into __dict__: request.user is a SimpleLazyObject that forwards it.
        delattr(user, DELETION_CACHE_ATTR)
    except AttributeError:
        pass
    if user.pk is not None:
        user.refresh_from_db(fields=["deletion_requested_at"])
