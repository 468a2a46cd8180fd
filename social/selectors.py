"""Reads for social pages; each returns querysets that cost a constant number of queries."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import OuterRef, Prefetch, Q, QuerySet, Subquery

from accounts.models import User
from moderation.selectors import closed_user_ids, user_is_closed

from .models import Comment, FriendRequest, FriendRequestStatus, Friendship, Moment, MomentImage

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser


def _friend_ids_q(user: User, field: str = "pk") -> Q:
    """A filter matching `field` against the ids of `user`'s friends (no query of its own)."""
    # The pair is stored once, so a friend is on the other side of either column.
    as_low = Friendship.objects.filter(user_high=user).values("user_low")
    as_high = Friendship.objects.filter(user_low=user).values("user_high")
    return Q(**{f"{field}__in": as_low}) | Q(**{f"{field}__in": as_high})


# --- Friends -----------------------------------------------------------------

def friends_of(user: User) -> QuerySet[User]:
    """Active friends of `user` (closed accounts left out), each annotated with `friends_since`, by nickname."""
    since = Friendship.objects.filter(
        Q(user_low=user, user_high=OuterRef("pk")) | Q(user_high=user, user_low=OuterRef("pk"))
    ).values("since")[:1]
    return (User.objects.filter(_friend_ids_q(user), is_active=True).exclude(pk__in=closed_user_ids())
            .annotate(friends_since=Subquery(since))
            .select_related("profile")
            .order_by("profile__nickname", "pk"))


def friendship_between(a: User, b: User) -> Friendship | None:
    """The friendship row of a pair, if they are friends."""
    if a is None or b is None or not a.pk or not b.pk or a.pk == b.pk:
        return None
    low, high = Friendship.ordered(a.pk, b.pk)
    return Friendship.objects.filter(user_low_id=low, user_high_id=high).first()


def are_friends(a: User, b: User) -> bool:
    """Whether two users are (mutual) friends."""
    if a is None or b is None or not a.pk or not b.pk or a.pk == b.pk:
        return False
    low, high = Friendship.ordered(a.pk, b.pk)
    return Friendship.objects.filter(user_low_id=low, user_high_id=high).exists()


def friend_requests_incoming(user: User) -> QuerySet[FriendRequest]:
    """Pending requests sent to `user`, newest first."""
    return (FriendRequest.objects.filter(to_user=user, status=FriendRequestStatus.PENDING, from_user__is_active=True)
            .exclude(from_user_id__in=closed_user_ids())
            .select_related("from_user__profile").order_by("-created_at", "-pk"))


def friend_requests_outgoing(user: User) -> QuerySet[FriendRequest]:
    """Pending requests `user` sent, newest first."""
    return (FriendRequest.objects.filter(from_user=user, status=FriendRequestStatus.PENDING, to_user__is_active=True)
            .exclude(to_user_id__in=closed_user_ids())
            .select_related("to_user__profile").order_by("-created_at", "-pk"))


def friend_request_pending(*, sender: User, recipient: User) -> FriendRequest | None:
    """The pending request from `sender` to `recipient`, if any."""
    return FriendRequest.objects.filter(from_user=sender, to_user=recipient, status=FriendRequestStatus.PENDING).first()


# --- Profiles ----------------------------------------------------------------

def user_by_ref(ref: str, *, viewer: User | AnonymousUser | None = None) -> User | None:
    """An active user by numeric id or profile handle (case-insensitive); a closed account only to itself."""
    ref = (ref or "").strip()
    users = User.objects.filter(is_active=True).select_related("profile")
    # A closed account's content is hidden, its public page included (a 404, as if it did not exist).
    not_closed = ~Q(pk__in=closed_user_ids())
    if viewer is not None and viewer.is_authenticated:
        not_closed |= Q(pk=viewer.pk)
    users = users.filter(not_closed)
    # Handles may not be all digits (accounts.forms), so a number is always an id.
    if ref.isdigit():
        return users.filter(pk=int(ref)).first()
    if not ref:
        return None
    return users.filter(profile__handle__iexact=ref).first()


# --- Moments -----------------------------------------------------------------

def moments_visible_to(user: User | AnonymousUser | None) -> QuerySet[Moment]:
    """Moments `user` may see: their own and their active friends', none of a closed account.

    Moments a moderator removed are included: the page shows a tombstone in their place.
    """
    if user is None or not user.is_authenticated:
        return Moment.objects.none()
    # A deactivated author's content is hidden from others, not from themselves; a closed account's
    # from everyone (a subquery, so the page costs no extra query).
    return (Moment.objects.filter(Q(author=user) | (_friend_ids_q(user, "author") & Q(author__is_active=True)))
            .exclude(author_id__in=closed_user_ids()))


def with_page_relations(moments: QuerySet[Moment]) -> QuerySet[Moment]:
    """Everything a moment card shows, fetched in a fixed number of queries."""
    return moments.select_related("author__profile").prefetch_related(
        Prefetch("images", queryset=MomentImage.objects.order_by("position")),
        Prefetch("comments", queryset=Comment.objects.filter(author__is_active=True)
                 .exclude(author_id__in=closed_user_ids())
                 .select_related("author__profile").order_by("created_at", "pk")),
    )


def feed_for(user: User) -> QuerySet[Moment]:
    """The feed: `user`'s and their friends' moments, newest first."""
    return with_page_relations(moments_visible_to(user)).order_by("-created_at", "-pk")


def moments_of(*, author: User, viewer: User | AnonymousUser) -> QuerySet[Moment]:
    """`author`'s moments as `viewer` may see them (none unless self or friend)."""
    return with_page_relations(moments_visible_to(viewer).filter(author=author)).order_by("-created_at", "-pk")


def moment_visible(*, viewer: User | AnonymousUser, pk: int) -> Moment | None:
    """One moment with its images and comments, or None if `viewer` may not see it."""
    return with_page_relations(moments_visible_to(viewer)).filter(pk=pk).first()


def can_see_moment(*, viewer: User | AnonymousUser, moment: Moment) -> bool:
    """Whether `viewer` may see `moment` (its author, or an active author's friend; never a closed account's)."""
    if viewer is None or not viewer.is_authenticated:
        return False
    if viewer.pk != moment.author_id and not (moment.author.is_active and are_friends(viewer, moment.author)):
        return False
    return not user_is_closed(moment.author)


def moment_image_visible(*, viewer: User | AnonymousUser, moment_pk: int, position: int) -> MomentImage | None:
    """One image of a moment `viewer` may see, or None; a removed moment's pictures are served to nobody."""
    return (MomentImage.objects.filter(moment__in=moments_visible_to(viewer), moment_id=moment_pk, position=position,
                                       moment__removed_at__isnull=True)
            .first())
