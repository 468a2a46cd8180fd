"""Social: mutual friendships and their requests, moments (personal posts) and comments."""

import logging
import secrets
from pathlib import PurePosixPath

from django.conf import settings
from django.db import models, transaction
from django.db.models.signals import post_delete
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.statemachine import StateMachineMixin, TransitionNotAllowed
from core.storage import delete_files, delete_private_files, private_storage  # noqa: F401 (migrations name them here)

logger = logging.getLogger(__name__)



COMMENT_MAX_CHARS = 500

_IMAGE_EXTENSIONS = {".jpg", ".png"}


def moment_image_path(instance, filename: str) -> str:
    """A random path; only our own extension survives from the name we were given."""
    # Names are chosen here, never by the uploader: an upload's name is untrusted input.
    ext = PurePosixPath(filename).suffix.lower()
    if ext not in _IMAGE_EXTENSIONS:
        ext = ".jpg"
    now = timezone.now()
    return f"moments/{now:%Y/%m}/{secrets.token_hex(16)}{ext}"


InvalidTransition = TransitionNotAllowed


class FriendRequestStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")
    CANCELLED = "cancelled", _("Cancelled")


class FriendRequest(StateMachineMixin, models.Model):
    """One user asking another to become friends; decided once, then kept as history."""

    Status = FriendRequestStatus
    # The only edges of the state machine; everything else is refused by transition().
    TRANSITIONS: dict[str, frozenset[str]] = {
        FriendRequestStatus.PENDING: frozenset({
            FriendRequestStatus.ACCEPTED, FriendRequestStatus.DECLINED, FriendRequestStatus.CANCELLED,
        }),
    }
    INITIAL = frozenset({FriendRequestStatus.PENDING})

    from_user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                  related_name="friend_requests_sent", verbose_name=_("from"))
    to_user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="friend_requests_received", verbose_name=_("to"))
    status = models.CharField(_("status"), max_length=16, choices=FriendRequestStatus.choices,
                              default=FriendRequestStatus.PENDING)
    created_at = models.DateTimeField(_("sent at"), default=timezone.now)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    class Meta:
        verbose_name = _("friend request")
        verbose_name_plural = _("friend requests")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=~models.Q(from_user=models.F("to_user")),
                                   name="friend_request_not_self"),
            # A double click may race past the service's check; the database has the last word.
            models.UniqueConstraint(fields=["from_user", "to_user"], condition=models.Q(status="pending"),
                                    name="friend_request_one_pending"),
        ]
        indexes = [models.Index(fields=["to_user", "status"]), models.Index(fields=["from_user", "status"])]

    def __str__(self) -> str:
        return f"{self.from_user_id} -> {self.to_user_id} ({self.status})"

    def on_transition(self, to: str) -> None:
        self.decided_at = timezone.now()


class Friendship(models.Model):
    """A mutual friendship: one row per pair, the lower user id first."""

    user_low = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    user_high = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    since = models.DateTimeField(_("friends since"), default=timezone.now)

    class Meta:
        verbose_name = _("friendship")
        verbose_name_plural = _("friendships")
        ordering = ["-since"]
        constraints = [
            models.UniqueConstraint(fields=["user_low", "user_high"], name="friendship_unique_pair"),
            # Ordering the pair makes (a, b) and (b, a) the same row, so uniqueness holds both ways.
            models.CheckConstraint(condition=models.Q(user_low__lt=models.F("user_high")),
                                   name="friendship_ordered_pair"),
        ]
        indexes = [models.Index(fields=["user_high"])]

    def __str__(self) -> str:
        return f"{self.user_low_id} <-> {self.user_high_id}"

    @staticmethod
    def ordered(a_id: int, b_id: int) -> tuple[int, int]:
        return (a_id, b_id) if a_id < b_id else (b_id, a_id)

    def other_id(self, user_id: int) -> int:
        return self.user_high_id if user_id == self.user_low_id else self.user_low_id


class Moment(models.Model):
    """A personal post, seen by its author and the author's friends only."""

    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="moments",
                               verbose_name=_("author"))
    text = models.TextField(_("text"), max_length=settings.MOMENT_MAX_CHARS, blank=True)
    created_at = models.DateTimeField(_("posted at"), default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    # Set when a moderator takes the moment down: the row and its files stay (a tombstone shows in
    # their place) so an upheld appeal can bring back exactly what was there.
    removed_at = models.DateTimeField(_("removed by a moderator at"), null=True, blank=True)

    class Meta:
        verbose_name = _("moment")
        verbose_name_plural = _("moments")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["author", "-created_at"])]

    def __str__(self) -> str:
        return f"#{self.pk}"

    @property
    def is_removed(self) -> bool:
        return self.removed_at is not None


class MomentImage(models.Model):
    """One re-encoded picture of a moment and its thumbnail, in private storage."""

    moment = models.ForeignKey(Moment, on_delete=models.CASCADE, related_name="images")
    position = models.PositiveSmallIntegerField(_("position"))
    image = models.ImageField(_("image"), storage=private_storage, upload_to=moment_image_path, max_length=200)
    thumbnail = models.ImageField(_("thumbnail"), storage=private_storage, upload_to=moment_image_path,
                                  max_length=200)
    content_type = models.CharField(max_length=40, default="image/jpeg")
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("moment image")
        verbose_name_plural = _("moment images")
        ordering = ["moment", "position"]
        constraints = [models.UniqueConstraint(fields=["moment", "position"], name="moment_image_unique_position")]

    def __str__(self) -> str:
        return f"{self.moment_id}/{self.position}"


class Comment(models.Model):
    """A comment on a moment, visible to whoever can see the moment."""

    moment = models.ForeignKey(Moment, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="moment_comments",
                               verbose_name=_("author"))
    text = models.TextField(_("comment"), max_length=COMMENT_MAX_CHARS)
    created_at = models.DateTimeField(_("posted at"), default=timezone.now)
    # A moderator's take-down: the text is kept (and shown again if an appeal is upheld).
    removed_at = models.DateTimeField(_("removed by a moderator at"), null=True, blank=True)

    class Meta:
        verbose_name = _("comment")
        verbose_name_plural = _("comments")
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["moment", "created_at"])]

    def __str__(self) -> str:
        return f"#{self.pk}"

    @property
    def is_removed(self) -> bool:
        return self.removed_at is not None



@receiver(post_delete, sender=MomentImage, dispatch_uid="social.moment_image_files")
def _moment_image_files_follow_their_row(sender, instance: MomentImage, **kwargs) -> None:
    # Whatever deletes the row (the author, the admin, an account's cascade), the pictures go
    # too, but only once the deletion is committed: a rollback must not lose them.
    names = [instance.image.name, instance.thumbnail.name]
    transaction.on_commit(lambda: delete_private_files(names))
