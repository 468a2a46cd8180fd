"""Leaving the network (DOMAIN.md §5): ask to delete, cancel, and the erasure after the cooling-off period.

Asking hides the account at once (moderation.selectors.closed_user_ids() includes it, and the policy
sends its owner to the cancel page); ACCOUNT_DELETION_COOLING_DAYS later the beat task erases it.
Erasing empties what identifies the person and what they published, and keeps what anti-fraud
needs: the identity's keyed hash, penalties, strikes and vouching records (the user row stays,
emptied, so they still point at something).
"""

import logging
from datetime import datetime, timedelta

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from . import erasure
from .models import (
    ERASED_EMAIL_DOMAIN,
    ERASED_NICKNAME,
    AgreementAcceptance,
    DeletionRequest,
    DeletionStatus,
    Notification,
    PhoneChallenge,
    PhoneNumber,
    Profile,
    RealIdentity,
    User,
)
from .notifications import notify
from .selectors import forget_deletion
from .services import identity_revoke

logger = logging.getLogger(__name__)


class DeletionError(Exception):
    """A deletion step the user can understand; the message is safe to show."""


def cooling_off() -> timedelta:
    return timedelta(days=settings.ACCOUNT_DELETION_COOLING_DAYS)


def _day(moment: datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d")


def deletion_start(*, user: User) -> DeletionRequest:
    """Start the cooling-off period: the account is hidden now and erased after it (a double submit changes nothing)."""
    now = timezone.now()
    with transaction.atomic():
        # The user row first, then the request: the order cancel and erase take them in too.
        locked = User.objects.select_for_update().get(pk=user.pk)
        if not locked.is_active:
            raise DeletionError(_("This account is not active."))
        pending = DeletionRequest.objects.select_for_update().filter(user=locked, status=DeletionStatus.COOLING).first()
        if pending is not None:
            return pending
        try:
            with transaction.atomic():
                request = DeletionRequest.objects.create(user=locked, requested_at=now, erase_after=now + cooling_off())
                User.objects.filter(pk=locked.pk).update(deletion_requested_at=now)
        except IntegrityError:  # only without row locks (SQLite): the other submit won
            return DeletionRequest.objects.get(user=locked, status=DeletionStatus.COOLING)
        with translation.override(locked.language or settings.LANGUAGE_CODE):
            notify(user=locked, kind="account.deletion_requested", title=_("Your account will be deleted"),
                   body=_("You asked to delete your account. It is hidden from now on, and will be erased on %(date)s. "
                          "Until then you can log in and cancel the deletion.") % {"date": _day(request.erase_after)},
                   url=reverse("accounts:delete_cancel"))
        logger.info("account %s asked to be deleted; erasure after %s", locked.pk, request.erase_after.isoformat())
    forget_deletion(user)
    return request


def deletion_cancel(*, user: User) -> DeletionRequest:
    """Cancel the deletion during the cooling-off period: everything is visible again, as it was."""
    now = timezone.now()
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=user.pk).first()
        request = (DeletionRequest.objects.select_for_update().filter(user_id=user.pk)
                   .order_by("-requested_at", "-pk").first())
        if request is None:
            raise DeletionError(_("Your account is not waiting to be deleted."))
        if request.status == DeletionStatus.CANCELLED:
            return request  # a double submit
        if request.status != DeletionStatus.COOLING:
            raise DeletionError(_("Your account is not waiting to be deleted."))
        if request.erase_after <= now:
            # The promise was "erased after the waiting period": once it is over, the erasure goes ahead.
            raise DeletionError(_("The waiting period is over: your account is being erased and it is too late "
                                  "to cancel."))
        request.transition(to=DeletionStatus.CANCELLED)
        request.cancelled_at = now
        request.save(update_fields=["status", "cancelled_at"])
        User.objects.filter(pk=user.pk).update(deletion_requested_at=None)
        with translation.override(user.language or settings.LANGUAGE_CODE):
            notify(user=user, kind="account.deletion_cancelled", title=_("The deletion of your account is cancelled"),
                   body=_("Your account, profile and content are visible again, as they were."), url="/")
        logger.info("account %s cancelled its deletion", user.pk)
    forget_deletion(user)
    return request


def deletion_due_ids(*, now: datetime | None = None) -> list[int]:
    """Deletion requests whose cooling-off period is over and which are not erased yet."""
    now = now or timezone.now()
    return list(DeletionRequest.objects.filter(status=DeletionStatus.COOLING, erase_after__lte=now)
                .order_by("erase_after", "pk").values_list("pk", flat=True))


def _erase_profile(user: User) -> str:
    """Empty the public face; returns the avatar's file name, deleted once the erasure commits."""
    profile = Profile.objects.select_for_update().filter(user=user).first()
    if profile is None:
        return ""
    avatar = profile.avatar.name if profile.avatar else ""
    # Stored in the site's language (admin lists, exports); pages show ERASED_NICKNAME in the reader's.
    with translation.override(settings.LANGUAGE_CODE):
        profile.nickname = str(ERASED_NICKNAME)
    profile.handle = None
    profile.bio = ""
    profile.avatar = ""
    profile.save(update_fields=["nickname", "handle", "bio", "avatar", "updated_at"])
    return avatar


def _erase_account(user: User) -> None:
    """Empty what identifies the person; keep the identity's fingerprint and the row others point at."""
    PhoneNumber.objects.filter(user=user).delete()
    PhoneChallenge.objects.filter(user=user).delete()
    # The keyed hash stays, so the same identity signing up again gets the stricter check (DOMAIN.md §5);
    # the name and number themselves go. A claim never accepted stays "rejected": it proved nothing.
    identities = RealIdentity.objects.filter(user=user)
    identities.update(real_name="", document_number="")
    identity_revoke(identities=identities)
    # Which version was accepted and when is a record; where from identifies the person.
    AgreementAcceptance.objects.filter(user=user).update(ip_address=None, user_agent="")
    Notification.objects.filter(user=user).delete()
    EmailAddress.objects.filter(user=user).delete()
    Authenticator.objects.filter(user=user).delete()
    user.email = f"user-{user.pk}@{ERASED_EMAIL_DOMAIN}"
    user.is_active = False
    user.is_staff = False
    user.is_superuser = False
    user.set_unusable_password()
    user.save(update_fields=["email", "is_active", "is_staff", "is_superuser", "password"])
    user.groups.clear()
    user.user_permissions.clear()


def deletion_erase(*, deletion_request_id: int, now: datetime | None = None) -> bool:
    """Erase one account whose cooling-off period is over; True when erased now (idempotent: once only).

    Fires: accounts.erasure erasers, inside the transaction before accounts empties its own rows (social content,
    moderation notes, verification documents and vouching data, public accounts; see `manage.py show_wiring`).
    """
    now = now or timezone.now()
    request = DeletionRequest.objects.filter(pk=deletion_request_id).only("user_id").first()
    if request is None:
        return False
    with transaction.atomic():
        user = User.objects.select_for_update().filter(pk=request.user_id).first()
        request = DeletionRequest.objects.select_for_update().get(pk=deletion_request_id)
        if user is None or request.status != DeletionStatus.COOLING or request.erase_after > now:
            return False  # cancelled, already erased, or not due
        # The other apps' content first, while the account still looks as it did to their code.
        erasure.run(user=user)
        avatar = _erase_profile(user)
        _erase_account(user)
        request.transition(to=DeletionStatus.ERASED)
        request.erased_at = now
        request.save(update_fields=["status", "erased_at"])
        if avatar:
            storage = Profile._meta.get_field("avatar").storage
            transaction.on_commit(lambda: storage.delete(avatar))
        logger.info("account %s erased (deletion request %s)", user.pk, request.pk)
    forget_deletion(user)
    return True
