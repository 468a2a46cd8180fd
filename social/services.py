"""Writes for social: friend requests and friendships, moments, comments."""

from __future__ import annotations

from collections.abc import Sequence

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts import policy
from accounts.models import User
from accounts.notifications import notify
from accounts.policy import Action
from core.images import ProcessedImage
from core.storage import delete_private_files
from moderation.models import Penalty, PenaltyStatus
from moderation.selectors import user_is_closed

from . import selectors
from .models import (
    COMMENT_MAX_CHARS,
    Comment,
    FriendRequest,
    FriendRequestStatus,
    Friendship,
    Moment,
    MomentImage,
)


class FriendError(Exception):
    """A friend step the user can understand; `message` is safe to show."""

    def __init__(self, message: str, code: str = "invalid") -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def _lock_users(*user_ids: int) -> dict[int, User]:
    """Lock the users of a pair, always in id order so two requests never deadlock."""
    # Every change to a pair (send, accept, remove) takes these locks first, which
    # serialises crossing requests (A->B while B->A) and double submits.
    users = User.objects.select_for_update().filter(pk__in=set(user_ids)).order_by("pk")
    return {u.pk: u for u in users}


def _in_language_of(user: User) -> translation.override:
    return translation.override(getattr(user, "language", None) or settings.LANGUAGE_CODE)


def friends_change_decision(user: User) -> policy.Decision:
    """Whether `user` may undo a relation now (decline, withdraw, unfriend), as accounts.policy answers.

    Not the level: someone whose level dropped may still leave a friendship. But a suspended account
    changes nothing, its friends included (DOMAIN.md §4), nor does one waiting to be deleted or an inactive one.
    """
    return policy.check(user, Action.CHANGE_FRIENDS)


def _require_friends_unfrozen(user: User) -> None:
    policy.require(user, Action.CHANGE_FRIENDS)


# --- Friends -----------------------------------------------------------------

def _friendship_create(*, a_id: int, b_id: int) -> Friendship:
    low, high = Friendship.ordered(a_id, b_id)
    friendship, _created = Friendship.objects.get_or_create(user_low_id=low, user_high_id=high)
    return friendship


def _accept_locked(fr: FriendRequest, *, users: dict[int, User]) -> FriendRequest:
    """Accept a locked pending request: the friendship begins now and the sender is told."""
    fr.transition(to=FriendRequestStatus.ACCEPTED)
    fr.save(update_fields=["status", "decided_at"])
    # A crossing request the other way is fulfilled by this friendship too.
    for crossing in FriendRequest.objects.select_for_update().filter(
            from_user_id=fr.to_user_id, to_user_id=fr.from_user_id, status=FriendRequestStatus.PENDING):
        crossing.transition(to=FriendRequestStatus.ACCEPTED)
        crossing.save(update_fields=["status", "decided_at"])
    _friendship_create(a_id=fr.from_user_id, b_id=fr.to_user_id)
    sender, accepter = users[fr.from_user_id], users[fr.to_user_id]
    with _in_language_of(sender):
        notify(user=sender, kind="friend.accepted",
               title=_("%(name)s accepted your friend request") % {"name": accepter.display_name},
               body=_("You are now friends and can see each other's moments."),
               url=reverse("social:profile", kwargs={"ref": accepter.pk}))
    return fr


def friend_request_send(*, sender: User, recipient: User) -> FriendRequest:
    """Ask `recipient` to be friends; idempotent, and accepts a request already coming the other way."""
    policy.require(sender, Action.ADD_FRIEND)
    if sender.pk == recipient.pk:
        raise FriendError(_("You cannot send a friend request to yourself."), code="self")
    with transaction.atomic():
        users = _lock_users(sender.pk, recipient.pk)
        if recipient.pk not in users or not users[recipient.pk].is_active or user_is_closed(recipient):
            raise FriendError(_("This user cannot receive friend requests."), code="inactive")
        if selectors.are_friends(sender, recipient):
            raise FriendError(_("You are already friends."), code="already_friends")
        existing = FriendRequest.objects.select_for_update().filter(
            from_user=sender, to_user=recipient, status=FriendRequestStatus.PENDING).first()
        if existing is not None:
            # A double click (or a second tab) gets the request it already made.
            return existing
        crossing = FriendRequest.objects.select_for_update().filter(
            from_user=recipient, to_user=sender, status=FriendRequestStatus.PENDING).first()
        if crossing is not None:
            return _accept_locked(crossing, users=users)
        try:
            with transaction.atomic():
                fr = FriendRequest.objects.create(from_user=sender, to_user=recipient)
        except IntegrityError:
            # Only a backend without row locks (SQLite) gets here: the other click won the race.
            return FriendRequest.objects.get(from_user=sender, to_user=recipient, status=FriendRequestStatus.PENDING)
        with _in_language_of(recipient):
            notify(user=users[recipient.pk], kind="friend.request",
                   title=_("%(name)s wants to be your friend") % {"name": sender.display_name},
                   body=_("Accept or decline the request on your friends page."),
                   url=reverse("social:friends"))
    return fr


def _lock_request(request: FriendRequest) -> tuple[FriendRequest, dict[int, User]]:
    users = _lock_users(request.from_user_id, request.to_user_id)
    return FriendRequest.objects.select_for_update().get(pk=request.pk), users


def friend_request_accept(*, request: FriendRequest, actor: User) -> FriendRequest:
    """The recipient accepts; a second submit returns the accepted request unchanged."""
    policy.require(actor, Action.ADD_FRIEND)
    with transaction.atomic():
        fr, users = _lock_request(request)
        if fr.to_user_id != actor.pk:
            raise PermissionDenied("only the recipient may accept a friend request")
        if fr.status == FriendRequestStatus.ACCEPTED:
            return fr
        if not fr.can_transition(FriendRequestStatus.ACCEPTED):
            raise FriendError(_("This request is no longer pending."), code="not_pending")
        if not users[fr.from_user_id].is_active or user_is_closed(users[fr.from_user_id]):
            raise FriendError(_("This user cannot be added as a friend."), code="inactive")
        return _accept_locked(fr, users=users)


def _friend_request_end(*, request: FriendRequest, actor: User, to: str, side: str) -> FriendRequest:
    """Decline (recipient) or cancel (sender) a pending request; a second submit changes nothing."""
    _require_friends_unfrozen(actor)
    with transaction.atomic():
        fr, _users = _lock_request(request)
        if getattr(fr, f"{side}_id") != actor.pk:
            raise PermissionDenied(f"only the request's {side} may end it this way")
        if fr.status == to:
            return fr
        if not fr.can_transition(to):
            raise FriendError(_("This request is no longer pending."), code="not_pending")
        fr.transition(to=to)
        fr.save(update_fields=["status", "decided_at"])
    return fr


def friend_request_decline(*, request: FriendRequest, actor: User) -> FriendRequest:
    """The recipient declines; the sender is not told, and a second submit changes nothing."""
    return _friend_request_end(request=request, actor=actor, to=FriendRequestStatus.DECLINED, side="to_user")


def friend_request_cancel(*, request: FriendRequest, actor: User) -> FriendRequest:
    """The sender withdraws a pending request; a second submit changes nothing."""
    return _friend_request_end(request=request, actor=actor, to=FriendRequestStatus.CANCELLED, side="from_user")


def friendship_remove(*, actor: User, other: User) -> bool:
    """End a friendship (either side may); True if there was one to end."""
    if actor.pk == other.pk:
        return False
    _require_friends_unfrozen(actor)
    low, high = Friendship.ordered(actor.pk, other.pk)
    with transaction.atomic():
        _lock_users(actor.pk, other.pk)
        deleted, _detail = Friendship.objects.filter(user_low_id=low, user_high_id=high).delete()
    return deleted > 0


# --- Moments -----------------------------------------------------------------

def moment_create(*, author: User, text: str, images: Sequence[ProcessedImage] = ()) -> Moment:
    """Post a moment with text and/or up to MOMENT_MAX_IMAGES already processed images."""
    policy.require(author, Action.POST_MOMENT)
    text = (text or "").strip()
    images = list(images)
    if len(text) > settings.MOMENT_MAX_CHARS:
        raise ValidationError({"text": _("A moment can have at most %(n)d characters.") % {
            "n": settings.MOMENT_MAX_CHARS}})
    if len(images) > settings.MOMENT_MAX_IMAGES:
        raise ValidationError({"images": _("You can add at most %(n)d pictures.") % {
            "n": settings.MOMENT_MAX_IMAGES}})
    if not text and not images:
        raise ValidationError(_("Write something or add at least one picture."))
    written: list[str] = []
    try:
        with transaction.atomic():
            moment = Moment.objects.create(author=author, text=text)
            for position, processed in enumerate(images, start=1):
                item = MomentImage(moment=moment, position=position, content_type=processed.content_type,
                                   width=processed.width, height=processed.height)
                # The name given here only carries the extension; upload_to makes it random.
                item.image.save(f"image{processed.extension}", ContentFile(processed.content), save=False)
                written.append(item.image.name)
                item.thumbnail.save(f"thumb{processed.extension}", ContentFile(processed.thumbnail), save=False)
                written.append(item.thumbnail.name)
                item.save()
    except BaseException:
        # Files are not transactional: remove what a rolled-back moment left behind.
        delete_private_files(written)
        raise
    return moment


def moment_delete(*, moment: Moment, actor: User) -> None:
    """The author deletes a moment; its files go once the deletion is committed (see models)."""
    # Deleting is editing: a suspended account changes nothing it published.
    policy.require(actor, Action.EDIT_CONTENT)
    with transaction.atomic():
        locked = Moment.objects.select_for_update().filter(pk=moment.pk).first()
        if locked is None:
            return  # already deleted: a double submit is harmless
        if locked.author_id != actor.pk:
            raise PermissionDenied("only the author may delete a moment")
        locked.delete()


def comment_create(*, moment: Moment, author: User, text: str) -> Comment:
    """Comment on a moment the author can see (its author or a friend of theirs)."""
    policy.require(author, Action.COMMENT)
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": _("Write a comment first.")})
    if len(text) > COMMENT_MAX_CHARS:
        raise ValidationError({"text": _("A comment can have at most %(n)d characters.") % {"n": COMMENT_MAX_CHARS}})
    with transaction.atomic():
        # Locking the moment keeps a comment from landing on a moment being deleted.
        locked = Moment.objects.select_for_update().filter(pk=moment.pk).first()
        if locked is None or not selectors.can_see_moment(viewer=author, moment=locked):
            raise PermissionDenied("only the author and their friends may comment")
        if locked.is_removed:
            raise PermissionDenied("a removed moment takes no comments")
        comment = Comment.objects.create(moment=locked, author=author, text=text)
        if locked.author_id != author.pk:
            owner = locked.author
            with _in_language_of(owner):
                notify(user=owner, kind="moment.comment",
                       title=_("%(name)s commented on your moment") % {"name": author.display_name},
                       body=text[:200], url=reverse("social:moment", kwargs={"pk": locked.pk}), email=False)
    return comment


def comment_delete(*, comment: Comment, actor: User) -> None:
    """The comment's author or the moment's author removes a comment; idempotent."""
    policy.require(actor, Action.EDIT_CONTENT)
    with transaction.atomic():
        locked = (Comment.objects.select_for_update(of=("self",)).select_related("moment")
                  .filter(pk=comment.pk).first())
        if locked is None:
            return
        if actor.pk not in (locked.author_id, locked.moment.author_id):
            raise PermissionDenied("only the comment's or the moment's author may delete a comment")
        locked.delete()


# --- Take-downs (moderation's TargetTypes call these inside the moderator's transaction) ---------

def _removal_held_elsewhere(key: str, pk: int) -> bool:
    """Whether a penalty still standing took this object down too (then one upheld appeal must not restore it)."""
    # The penalty being overturned is already saved as overturned when restore() runs.
    return Penalty.objects.filter(status=PenaltyStatus.ACTIVE, removed__key=key, removed__pk=pk).exists()


def moment_remove(*, moment: Moment, actor: User) -> None:
    """Take a moment down: a tombstone shows in its place; its text and pictures are kept for an appeal."""
    # update(), not save(): the take-down must not touch updated_at, so a restore gives back exactly what was.
    now = timezone.now()
    if Moment.objects.filter(pk=moment.pk, removed_at__isnull=True).update(removed_at=now):
        moment.removed_at = now


def moment_restore(*, moment: Moment, actor: User) -> None:
    """Bring a removed moment back as it was (an upheld appeal), unless another penalty still holds it down."""
    if _removal_held_elsewhere("moment", moment.pk):
        return
    Moment.objects.filter(pk=moment.pk).update(removed_at=None)
    moment.removed_at = None


def comment_remove(*, comment: Comment, actor: User) -> None:
    """Take a comment down; its text is kept for an appeal."""
    now = timezone.now()
    if Comment.objects.filter(pk=comment.pk, removed_at__isnull=True).update(removed_at=now):
        comment.removed_at = now


def comment_restore(*, comment: Comment, actor: User) -> None:
    """Bring a removed comment back as it was, unless another penalty still holds it down."""
    if _removal_held_elsewhere("comment", comment.pk):
        return
    Comment.objects.filter(pk=comment.pk).update(removed_at=None)
    comment.removed_at = None
