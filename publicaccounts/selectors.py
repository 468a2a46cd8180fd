"""Reads for public-account pages; each costs a constant number of queries, whatever the number of rows."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Model, Prefetch, Q, QuerySet
from django.utils import timezone

from accounts.models import IdentityStatus, RealIdentity, User

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser
from moderation.models import ItemStatus, ReviewItem
from moderation.selectors import closed_user_ids

from .models import (
    NAME_HOLDING_Q,
    PUBLIC_STATUSES,
    Article,
    PublicAccount,
    Qualification,
    QualificationStatus,
    Subscription,
    in_force_q,
)

NAME_REVIEW_KIND = "publicaccount_name"
QUALIFICATION_REVIEW_KIND = "qualification"


def _in_force_prefetch(prefix: str = "") -> Prefetch[Any]:
    """The account's qualifications in force today, as `qualifications_in_force` (one query per page)."""
    qs = Qualification.objects.filter(in_force_q(timezone.localdate())).order_by("-valid_until", "pk")
    return Prefetch(f"{prefix}qualifications", queryset=qs, to_attr="qualifications_in_force")


def _visible_q(viewer: User | AnonymousUser, prefix: str = "") -> Q:
    # A closed owner's accounts are hidden even in a status that is public (one approved after the
    # closure, say): a closed account's content is hidden everywhere. A subquery: no extra query.
    q = Q(**{f"{prefix}status__in": PUBLIC_STATUSES}) & ~Q(**{f"{prefix}owner_id__in": closed_user_ids()})
    if viewer is not None and viewer.is_authenticated:
        q |= Q(**{f"{prefix}owner": viewer})
    return q


# --- Accounts ----------------------------------------------------------------

def account_for_viewer(*, viewer: User | AnonymousUser, handle: str) -> PublicAccount | None:
    """The account at `handle` if the viewer may see it (public, or theirs), with marks and subscriber count."""
    return (PublicAccount.objects.filter(_visible_q(viewer), handle__iexact=handle)
            .annotate(subscriber_count=Count("subscriptions"))
            .prefetch_related(_in_force_prefetch()).first())


def account_owned(*, owner: User, handle: str) -> PublicAccount | None:
    """The owner's own account at `handle` (any status); None for anyone else (a 404)."""
    if owner is None or not owner.is_authenticated:
        return None
    return PublicAccount.objects.filter(owner=owner, handle__iexact=handle).first()


def accounts_of(owner: User) -> QuerySet[PublicAccount]:
    """The owner's accounts, newest first, with their marks."""
    return (PublicAccount.objects.filter(owner=owner).annotate(subscriber_count=Count("subscriptions"))
            .prefetch_related(_in_force_prefetch()).order_by("-created_at", "-pk"))


def is_subscribed(*, user: User, account: PublicAccount) -> bool:
    if user is None or not user.is_authenticated:
        return False
    return Subscription.objects.filter(user=user, account=account).exists()


def name_taken(key: str, *, exclude_pk: int | None = None) -> bool:
    """Whether an account that holds its name (any status but rejected) already has this folded name."""
    qs = PublicAccount.objects.filter(NAME_HOLDING_Q, name_key=key)
    if exclude_pk is not None:
        qs = qs.exclude(pk=exclude_pk)
    return qs.exists()


def handle_taken(handle: str) -> bool:
    return PublicAccount.objects.filter(handle__iexact=handle).exists()


def identity_fingerprints(user: User) -> list[str]:
    """The keyed hashes of the user's confirmed real identities."""
    return list(RealIdentity.objects.filter(user=user, status=IdentityStatus.CONFIRMED)
                .values_list("fingerprint", flat=True).distinct())


def same_person_user_ids(user: User) -> QuerySet[User, Any]:
    """Ids of every user account of the same real person: the user, and all confirmed on one of its fingerprints."""
    fingerprints = identity_fingerprints(user)
    return (User.objects.filter(Q(pk=user.pk) | Q(identities__fingerprint__in=fingerprints,
                                                   identities__status=IdentityStatus.CONFIRMED))
            .values("pk"))


def accounts_held_by_person(user: User) -> int:
    """Public accounts held by the person behind `user`, across all their user accounts (rejected ones excepted)."""
    return PublicAccount.objects.filter(NAME_HOLDING_Q, owner__in=same_person_user_ids(user)).count()


# --- Articles ----------------------------------------------------------------

def articles_of(account: PublicAccount) -> QuerySet[Article]:
    """The account's articles, newest first (the account itself is already on the page)."""
    return Article.objects.filter(account=account).select_related("account").order_by("-published_at", "-pk")


def article_for_viewer(*, viewer: User | AnonymousUser, handle: str, pk: int) -> Article | None:
    """The article if its account is visible to the viewer; with the account and its marks."""
    return (Article.objects.filter(_visible_q(viewer, "account__"), pk=pk, account__handle__iexact=handle)
            .select_related("account").prefetch_related(_in_force_prefetch("account__")).first())


def article_owned(*, owner: User, handle: str, pk: int) -> Article | None:
    """An article of one of the owner's accounts; None for anyone else (a 404)."""
    if owner is None or not owner.is_authenticated:
        return None
    return (Article.objects.filter(pk=pk, account__owner=owner, account__handle__iexact=handle)
            .select_related("account").first())


def feed_for(user: User) -> QuerySet[Article]:
    """Articles of the public accounts `user` subscribes to, newest first, with each account and its marks."""
    subscribed = Subscription.objects.filter(user=user).values("account_id")
    return (Article.objects.filter(account_id__in=subscribed, account__status__in=PUBLIC_STATUSES)
            .exclude(account__owner_id__in=closed_user_ids())
            .select_related("account").prefetch_related(_in_force_prefetch("account__"))
            .order_by("-published_at", "-pk"))


# --- Qualifications ----------------------------------------------------------

def qualifications_of(account: PublicAccount) -> QuerySet[Qualification]:
    """Every qualification of the account (for its owner), newest first."""
    return Qualification.objects.filter(account=account).order_by("-created_at", "-pk")


def qualification_pending(account: PublicAccount) -> Qualification | None:
    return Qualification.objects.filter(account=account, status=QualificationStatus.PENDING).first()


def review_item_for(target: Model, kind: str) -> ReviewItem | None:
    """The queue item of `target` still in the queue (open or claimed)."""
    ct = ContentType.objects.get_for_model(target)
    return (ReviewItem.objects.filter(kind=kind, content_type=ct, object_id=target.pk,
                                      status__in=[ItemStatus.OPEN, ItemStatus.CLAIMED]).first())


def scan_for_reviewer(*, reviewer: User, pk: int) -> tuple[Qualification, ReviewItem] | None:
    """A pending qualification's scan and its item, only while `reviewer` holds a live claim on it."""
    if not reviewer.is_authenticated:
        return None
    qualification = (Qualification.objects.select_related("account")
                     .filter(pk=pk, status=QualificationStatus.PENDING).exclude(scan="").first())
    if qualification is None:
        return None
    item = review_item_for(qualification, QUALIFICATION_REVIEW_KIND)
    if item is None or not item.is_claimed_by(reviewer):
        return None
    return qualification, item
