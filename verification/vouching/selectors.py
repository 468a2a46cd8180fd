"""Reads for vouching: who may vouch for whom and why not, the pages' cases and requests, the ring check.

Each function costs a constant number of queries, whatever the number of friends or requests.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Exists, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts import policy
from accounts.models import IdentityStatus, Level, LevelSource, RealIdentity, User
from accounts.policy import Action
from accounts.selectors import prefetch_deletion
from moderation.models import ItemStatus, Penalty, ReviewItem
from moderation.selectors import PENALTY_CACHE_ATTR, closed_user_ids
from social.selectors import friends_of

from .models import (
    OPEN_CASE_STATUSES,
    VouchCase,
    VouchCaseStatus,
    VoucherStrike,
    VouchRequest,
    VouchRequestStatus,
)

REVIEW_KIND = "vouch"


# --- Eligibility ---------------------------------------------------------------

@dataclass(frozen=True)
class Reason:
    """Why a friend may not vouch now: a stable code (tests, flags) and the text shown to the applicant."""

    code: str
    text: str


@dataclass
class FriendEligibility:
    """One friend of the applicant, whether they may vouch now, and every reason they may not."""

    user: User
    friends_since: datetime | None
    reasons: list[Reason] = field(default_factory=list)

    @property
    def eligible(self) -> bool:
        return not self.reasons

    @property
    def codes(self) -> list[str]:
        return [r.code for r in self.reasons]


def _count(qs: QuerySet[VouchRequest]) -> Coalesce:
    """A correlated COUNT of `qs` per voucher, 0 when none (no query of its own)."""
    counted = qs.filter(voucher=OuterRef("pk")).order_by().values("voucher").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def _day(value: datetime) -> str:
    return formats.date_format(timezone.localtime(value), "SHORT_DATE_FORMAT")


def _reasons(user: User, *, friends_since: datetime | None, open_count: int, period_count: int, right_lost: bool,
             now: datetime) -> list[Reason]:
    """The rules of DOMAIN.md §2 for one friend, each with the reason the applicant reads."""
    reasons: list[Reason] = []
    if user.level < Level.VERIFIED:
        reasons.append(Reason("not_verified", _("Not verified by an identity document yet.")))
    elif user.level_source != LevelSource.DOCUMENT:
        # Vouched-for users may not vouch: otherwise one false identity could vouch a chain into being.
        reasons.append(Reason("not_document", _("Verified by friends, not by an identity document.")))
    else:
        verified_from = user.level_changed_at + timedelta(days=settings.VOUCHER_MIN_VERIFIED_DAYS) \
            if user.level_changed_at else None
        if verified_from is None or verified_from > now:
            reasons.append(Reason("verified_recently", ngettext(
                "Verified less than %(days)d day ago; can vouch from %(date)s.",
                "Verified less than %(days)d days ago; can vouch from %(date)s.",
                settings.VOUCHER_MIN_VERIFIED_DAYS) % {"days": settings.VOUCHER_MIN_VERIFIED_DAYS,
                                                        "date": _day(verified_from or now)}))
        # Level is fine: anything else the policy refuses is a penalty (later issues plug in there).
        decision = policy.check(user, Action.VOUCH)
        if not decision.allowed:
            reasons.append(Reason("penalty", _("Under a restriction that does not allow vouching at the moment.")))
    friend_from = friends_since + timedelta(days=settings.VOUCHER_MIN_FRIEND_DAYS) if friends_since else None
    if friend_from is None or friend_from > now:
        reasons.append(Reason("friend_recently", ngettext(
            "Friends for less than %(days)d day; can vouch from %(date)s.",
            "Friends for less than %(days)d days; can vouch from %(date)s.",
            settings.VOUCHER_MIN_FRIEND_DAYS) % {"days": settings.VOUCHER_MIN_FRIEND_DAYS,
                                                  "date": _day(friend_from or now)}))
    if open_count >= settings.VOUCHER_MAX_OPEN:
        reasons.append(Reason("no_vouches_left", ngettext(
            "Already has %(n)d open vouch, the most allowed at a time.",
            "Already has %(n)d open vouches, the most allowed at a time.", open_count) % {"n": open_count}))
    elif period_count >= settings.VOUCHER_MAX_PER_PERIOD:
        reasons.append(Reason("no_vouches_left", ngettext(
            "Has used all %(n)d vouch allowed in %(days)d days.",
            "Has used all %(n)d vouches allowed in %(days)d days.", settings.VOUCHER_MAX_PER_PERIOD)
            % {"n": settings.VOUCHER_MAX_PER_PERIOD, "days": settings.VOUCHER_PERIOD_DAYS}))
    if right_lost:
        reasons.append(Reason("right_lost", _("Has lost the right to vouch.")))
    return reasons


def _with_penalties(friends: QuerySet[User]) -> QuerySet[User]:
    """Fetch every friend's penalties in force in one query, where policy.check() looks for them."""
    # Without this, the penalty rule that moderation plugs into policy.check() asks once per friend.
    return friends.prefetch_related(Prefetch("penalties", to_attr=PENALTY_CACHE_ATTR,
                                             queryset=Penalty.objects.in_force().order_by("-action", "ends_at")))


def _with_policy_state(friends: QuerySet[User]) -> QuerySet[User]:
    """Everything policy.check() looks at for each friend (a pending deletion, penalties), one query each."""
    return _with_penalties(prefetch_deletion(friends))


def voucher_eligibility(applicant: User, *, only_ids: Iterable[int] | None = None,
                        exclude_case: VouchCase | None = None, now: datetime | None = None) -> list[FriendEligibility]:
    """Every active friend of `applicant` (or those in `only_ids`) with whether they may vouch now and why not.

    Three queries (friends with their counts, their pending deletions, their penalties), whatever the number of friends;
    the page and the services share these rules.
    `exclude_case` leaves the case being confirmed out of the voucher's counts.
    """
    now = now or timezone.now()
    requests = VouchRequest.objects.all()
    if exclude_case is not None:
        requests = requests.exclude(case=exclude_case)
    since = now - timedelta(days=settings.VOUCHER_PERIOD_DAYS)
    # "Open" is asked and not answered, or confirmed in a case still running; "used" counts asks
    # still pending too, so a voucher can never be asked for more than the period allows.
    open_q = Q(status=VouchRequestStatus.PENDING) | Q(status=VouchRequestStatus.CONFIRMED,
                                                      case__status__in=OPEN_CASE_STATUSES)
    used_q = Q(status=VouchRequestStatus.PENDING) | Q(status=VouchRequestStatus.CONFIRMED, decided_at__gte=since)
    friends = friends_of(applicant).annotate(
        open_vouches=_count(requests.filter(open_q)),
        period_vouches=_count(requests.filter(used_q)),
        right_lost=Exists(VoucherStrike.objects.filter(user=OuterRef("pk"), lifted_at__isnull=True)),
    )
    if only_ids is not None:
        friends = friends.filter(pk__in=list(only_ids))
    friends = _with_policy_state(friends)  # type: ignore[assignment]  # the prefetch keeps the annotations
    rows = []
    friend: Any  # a User with the annotations above (and friends_of's friends_since)
    for friend in friends:
        rows.append(FriendEligibility(user=friend, friends_since=friend.friends_since, reasons=_reasons(
            friend, friends_since=friend.friends_since, open_count=friend.open_vouches,
            period_count=friend.period_vouches, right_lost=friend.right_lost, now=now)))
    # Eligible friends first, each group by nickname (the order friends_of gives).
    return sorted(rows, key=lambda row: not row.eligible)


def vouch_right_lost(user: User) -> bool:
    """Whether `user` has a strike in force (and so has lost the right to vouch)."""
    return VoucherStrike.objects.filter(user=user, lifted_at__isnull=True).exists()


# --- The applicant's side -------------------------------------------------------

def _with_requests(qs: QuerySet[VouchCase]) -> QuerySet[VouchCase]:
    return qs.select_related("identity", "document_kind").prefetch_related(
        Prefetch("requests", queryset=VouchRequest.objects.select_related("voucher__profile").order_by("pk")))


def vouch_case_open_for(user: User) -> VouchCase | None:
    """The applicant's case still running (collecting, waiting period, or review), if any."""
    return _with_requests(VouchCase.objects.filter(applicant=user, status__in=OPEN_CASE_STATUSES)).first()


def vouch_case_latest_for(user: User) -> VouchCase | None:
    """The applicant's newest case, whatever its state (what the hub and the vouch page report on)."""
    return _with_requests(VouchCase.objects.filter(applicant=user).order_by("-created_at", "-pk")).first()


def vouch_cases_window(user: User, *, now: datetime | None = None) -> tuple[int, datetime | None]:
    """How many cases the user started in the period, and when the period next frees a slot."""
    now = now or timezone.now()
    period = timedelta(days=settings.VOUCHER_PERIOD_DAYS)
    rows = list(VouchCase.objects.filter(applicant=user, created_at__gt=now - period)
                .order_by("created_at").values_list("created_at", flat=True))
    return len(rows), (rows[0] + period if rows else None)


def vouch_false_identity_of(user: User) -> bool:
    """Whether a vouched identity of this user was ever found false (then only a document will do)."""
    return VouchCase.objects.filter(applicant=user, status=VouchCaseStatus.FALSE_IDENTITY).exists()


def fingerprint_closed(*, fingerprint: str) -> bool:
    """Whether this identity belongs to a closed or deleted account, or was revoked (found false or erased).

    Closed means closed by a penalty in force; deleted means being deleted (cooling off) or erased
    (moderation.selectors.closed_user_ids() covers both), or an account made inactive by staff.
    """
    return (RealIdentity.objects.filter(fingerprint=fingerprint)
            .filter(Q(status=IdentityStatus.REVOKED) | Q(user__is_active=False) | Q(user_id__in=closed_user_ids()))
            .exists())


# --- The voucher's side ---------------------------------------------------------

def _requests_for_voucher(user: User) -> QuerySet[VouchRequest]:
    return (VouchRequest.objects.filter(voucher=user)
            .select_related("case__identity", "case__document_kind", "applicant__profile"))


def vouch_requests_for(user: User) -> tuple[list[VouchRequest], list[VouchRequest]]:
    """Requests sent to `user`: (waiting for an answer, answered or closed), newest first."""
    rows = list(_requests_for_voucher(user).order_by("-created_at", "-pk")[:100])
    return [r for r in rows if r.is_pending], [r for r in rows if not r.is_pending]


def vouch_request_for_voucher(*, user: User, pk: int) -> VouchRequest | None:
    """One request, only if it was sent to `user` (None otherwise: the page answers 404)."""
    if not user.is_authenticated:
        return None
    return _requests_for_voucher(user).filter(pk=pk).first()


def vouch_requests_pending_count(user: User) -> int:
    return VouchRequest.objects.filter(voucher=user, status=VouchRequestStatus.PENDING).count()


# --- Risk -----------------------------------------------------------------------

def vouch_ring_queryset(*, applicant_id: int, voucher_ids: Iterable[int]) -> QuerySet[VouchRequest]:
    """Confirmed vouches among {applicant} and the vouchers, in any direction, except those for the applicant.

    The vouchers vouching for the applicant are the case itself (or an earlier try of the same person),
    so they are left out; everything else inside the set is a ring: the applicant vouched for a
    voucher, or vouchers vouched for each other. Both columns are bound, on a partial index.
    """
    members = sorted({applicant_id, *voucher_ids})
    return (VouchRequest.objects.filter(status=VouchRequestStatus.CONFIRMED, voucher_id__in=members,
                                        applicant_id__in=members)
            .exclude(applicant_id=applicant_id).order_by())


def vouch_ring_pairs(*, applicant_id: int, voucher_ids: Iterable[int]) -> list[tuple[int, int]]:
    """The ring check: (voucher, applicant) pairs of vouches inside the case's set of people (one query)."""
    return list(vouch_ring_queryset(applicant_id=applicant_id, voucher_ids=voucher_ids)
                .values_list("voucher_id", "applicant_id").distinct())


def vouch_cases_confirmed_by(*, voucher_ids: Iterable[int], since: datetime,
                             exclude_case_id: int | None = None) -> list[int]:
    """Ids of cases the vouchers confirmed since `since` (the re-check after a false identity)."""
    qs = (VouchRequest.objects.filter(voucher_id__in=list(voucher_ids), status=VouchRequestStatus.CONFIRMED,
                                      decided_at__gte=since).order_by().values_list("case_id", flat=True).distinct())
    ids = sorted(set(qs))
    return [pk for pk in ids if pk != exclude_case_id]


def review_item_for_case(case: VouchCase) -> ReviewItem | None:
    """The case's queue item still waiting (open or claimed), if any."""
    ct = ContentType.objects.get_for_model(VouchCase)
    return ReviewItem.objects.filter(kind=REVIEW_KIND, content_type=ct, object_id=case.pk,
                                     status__in=[ItemStatus.OPEN, ItemStatus.CLAIMED]).first()


def vouch_case_for_review(pk: int) -> VouchCase | None:
    """A case with everything the review page shows: identity, applicant, every request and its voucher."""
    return (VouchCase.objects.select_related("identity", "document_kind", "applicant__profile")
            .prefetch_related(Prefetch("requests", queryset=VouchRequest.objects
                                       .select_related("voucher__profile").order_by("pk")),
                              Prefetch("strikes", queryset=VoucherStrike.objects.order_by("pk")))
            .filter(pk=pk).first())
