"""Writes for accounts: agreement, profile, phone, real identity, levels."""

import hmac
import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core import crypto

from . import policy
from .identity import normalise_name, validate_document_number
from .models import (
    AgreementAcceptance,
    AgreementVersion,
    IdentityReveal,
    IdentityStatus,
    Level,
    LevelSource,
    PhoneChallenge,
    PhoneNumber,
    Profile,
    RealIdentity,
    User,
)
from .notifications import notify

logger = logging.getLogger(__name__)

CURRENT_AGREEMENT_CACHE_KEY = "agreement:current"


# --- Agreement -------------------------------------------------------------

def agreement_current() -> AgreementVersion | None:
    """The agreement version in force (cached briefly: every request asks)."""
    cached = cache.get(CURRENT_AGREEMENT_CACHE_KEY)
    if cached is not None:
        return cached or None
    version = (AgreementVersion.objects.filter(published_at__lte=timezone.now())
               .order_by("-published_at", "-pk").first())
    cache.set(CURRENT_AGREEMENT_CACHE_KEY, version or False, 60)
    return version


def agreement_publish(*, version: AgreementVersion, actor: User) -> AgreementVersion:
    """Publish a draft version: from now on every user must accept it."""
    with transaction.atomic():
        version = AgreementVersion.objects.select_for_update().get(pk=version.pk)
        if version.published_at is None:
            version.published_at = timezone.now()
            version.save(update_fields=["published_at"])
            logger.info("agreement version %s published by user %s", version.version, actor.pk)
    cache.delete(CURRENT_AGREEMENT_CACHE_KEY)
    return version


def agreement_accept(*, user: User, version: AgreementVersion, ip_address: str | None, user_agent: str) -> AgreementAcceptance:
    """Record that `user` accepted `version` (idempotent: a second click changes nothing)."""
    acceptance, _created = AgreementAcceptance.objects.get_or_create(
        user=user, version=version,
        defaults={"ip_address": ip_address or None, "user_agent": (user_agent or "")[:512]},
    )
    return acceptance


def agreement_accepted(*, user: User, version: AgreementVersion) -> bool:
    return AgreementAcceptance.objects.filter(user=user, version=version).exists()


# --- Profile ---------------------------------------------------------------

def profile_create(*, user: User, nickname: str) -> Profile:
    profile, _created = Profile.objects.get_or_create(user=user, defaults={"nickname": nickname.strip()})
    return profile


def profile_update(*, user: User, nickname: str, bio: str, handle: str | None = None, avatar=None) -> Profile:
    """Update the public face; `avatar` is an already processed image (core.images)."""
    policy.require(user, policy.Action.EDIT_PROFILE)
    from django.core.files.base import ContentFile

    with transaction.atomic():
        profile = Profile.objects.select_for_update().get(user=user)
        profile.nickname = nickname.strip()
        profile.bio = bio.strip()
        profile.handle = handle or None
        old_avatar = profile.avatar.name if profile.avatar else ""
        if avatar is not None:
            profile.avatar.save(f"{secrets.token_hex(12)}{avatar.extension}", ContentFile(avatar.content), save=False)
        profile.save()
    if avatar is not None and old_avatar:
        storage = profile.avatar.storage
        transaction.on_commit(lambda: storage.delete(old_avatar))
    return profile


# --- Levels ----------------------------------------------------------------

def level_raise(*, user: User, to: int, source: str) -> User:
    """Raise the level (never lowers; lowering is a moderation decision)."""
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        if locked.level < to:
            locked.level = to
            locked.level_source = source
            locked.level_changed_at = timezone.now()
            locked.save(update_fields=["level", "level_source", "level_changed_at"])
    user.refresh_from_db(fields=["level", "level_source", "level_changed_at"])
    return user


# --- Phone -----------------------------------------------------------------

class PhoneError(Exception):
    """A phone step the user can fix; the message is safe to show."""


def _code_hash(challenge_user_id: int, number: str, code: str) -> str:
    return crypto.fingerprint(f"{challenge_user_id}:{number}:{code}", purpose="sms-code")


def phone_confirmed_elsewhere_count(*, number: str, exclude_user: User) -> int:
    return (PhoneNumber.objects.filter(number=number, confirmed_at__isnull=False)
            .exclude(user=exclude_user).count())


def phone_send_code(*, user: User, number) -> PhoneChallenge:
    """Create a 6-digit code for `number` and send it by SMS after commit.

    Rate limits on sends are applied by the caller (allauth's limiter, per user and IP);
    here we refuse numbers that already hold their quota of accounts.
    """
    number_e164 = str(number)
    if phone_confirmed_elsewhere_count(number=number_e164, exclude_user=user) >= settings.PHONE_MAX_ACCOUNTS_PER_NUMBER:
        raise PhoneError(_("This number is already confirmed on another account. Please use a number of your own."))
    code = f"{secrets.randbelow(10**6):06d}"
    now = timezone.now()
    with transaction.atomic():
        # A new code replaces every older one for this user.
        PhoneChallenge.objects.filter(user=user, used_at__isnull=True).update(used_at=now)
        challenge = PhoneChallenge.objects.create(
            user=user, number=number_e164, code_hash=_code_hash(user.pk, number_e164, code),
            created_at=now, expires_at=now + timedelta(seconds=settings.PHONE_CODE_TTL_SECONDS),
        )
        from .tasks import send_sms_code

        with translation.override(user.language):
            text = _("Your verification code is %(code)s. It is valid for %(minutes)d minutes. "
                     "Do not share it with anyone.") % {"code": code, "minutes": settings.PHONE_CODE_TTL_SECONDS // 60}
        # The text carries the code: it crosses the broker encrypted, never in the clear.
        token = crypto.encrypt_str(text)
        transaction.on_commit(lambda: send_sms_code.delay(to=number_e164, text_token=token))
    return challenge


def phone_pending_challenge(*, user: User) -> PhoneChallenge | None:
    return (PhoneChallenge.objects.filter(user=user, used_at__isnull=True, expires_at__gt=timezone.now())
            .order_by("-created_at").first())


def _lock_number(number: str) -> bool:
    """Serialise confirmations of one number until commit, so two accounts cannot both take the last place.

    The cap is a setting, so no unique constraint can hold it; on PostgreSQL a transaction-scoped
    advisory lock on the number does (SQLite writes are serialised anyway). Always returns False.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"phone:{number}"])
    return False


def phone_confirm(*, user: User, code: str) -> PhoneNumber:
    """Check the code; on success store the number as confirmed and raise the level to 1."""
    code = (code or "").strip()
    error = None
    with transaction.atomic():
        # The wrong-try count must be saved even when we refuse, so errors are raised
        # after the transaction commits, not inside it.
        challenge = (PhoneChallenge.objects.select_for_update()
                     .filter(user=user, used_at__isnull=True).order_by("-created_at").first())
        if challenge is None or challenge.expires_at <= timezone.now():
            error = _("This code has expired. Please ask for a new one.")
        elif challenge.tries >= settings.PHONE_CODE_MAX_TRIES:
            error = _("Too many wrong codes. Please ask for a new one.")
        else:
            challenge.tries += 1
            challenge.save(update_fields=["tries"])
            number = str(challenge.number)
            if not hmac.compare_digest(challenge.code_hash, _code_hash(user.pk, number, code)):
                left = settings.PHONE_CODE_MAX_TRIES - challenge.tries
                error = (_("That code is not right. %(left)d tries left.") % {"left": left} if left > 0
                         else _("Too many wrong codes. Please ask for a new one."))
            elif _lock_number(number) or phone_confirmed_elsewhere_count(
                    number=number, exclude_user=user) >= settings.PHONE_MAX_ACCOUNTS_PER_NUMBER:
                # Checked again at confirmation: another account may have confirmed it meanwhile.
                error = _("This number is already confirmed on another account. Please use a number of your own.")
            else:
                challenge.used_at = timezone.now()
                challenge.save(update_fields=["used_at"])
                phone, _created = PhoneNumber.objects.update_or_create(
                    user=user, defaults={"number": number, "confirmed_at": timezone.now()}
                )
                level_raise(user=user, to=Level.INDIRECT, source=LevelSource.PHONE)
                notify(user=user, kind="phone.confirmed", title=_("Your phone number is confirmed"),
                       body=_("You are now at level 1: you can add friends, post moments and comment."), url="/")
    if error:
        raise PhoneError(error)
    return phone


# --- Real identity ---------------------------------------------------------

def identity_fingerprint(*, document_type: str, normalised_number: str) -> str:
    """HMAC of the document number; resident IDs and other documents never collide."""
    return crypto.fingerprint(f"{document_type}:{normalised_number}", purpose="identity")


def identity_store(*, user: User, real_name: str, document_type: str, document_number: str) -> RealIdentity:
    """Validate, encrypt and fingerprint an identity claim; it starts pending."""
    name = normalise_name(real_name)
    if not name or len(name) > 60:
        raise ValidationError({"real_name": _("Please enter your name as on the document.")})
    try:
        number = validate_document_number(document_type, document_number)
    except ValidationError as exc:
        raise ValidationError({"document_number": exc.messages}) from None
    fp = identity_fingerprint(document_type=document_type, normalised_number=number)
    try:
        return RealIdentity.objects.create(
            user=user, real_name=name, document_type=document_type, document_number=number, fingerprint=fp,
        )
    except IntegrityError:  # pragma: no cover - no unique constraint today; keep the message safe
        raise ValidationError(_("This identity could not be saved.")) from None


def identity_confirm(*, identity: RealIdentity) -> RealIdentity:
    with transaction.atomic():
        identity = RealIdentity.objects.select_for_update().get(pk=identity.pk)
        identity.status = IdentityStatus.CONFIRMED
        identity.confirmed_at = timezone.now()
        identity.save(update_fields=["status", "confirmed_at"])
    return identity


def identity_reject(*, identity: RealIdentity) -> None:
    """Close a pending claim that did not end in approval, so nothing takes it for one under review."""
    RealIdentity.objects.filter(pk=identity.pk, status=IdentityStatus.PENDING).update(status=IdentityStatus.REJECTED)


def identity_accounts_with_fingerprint(*, fingerprint: str, exclude_user: User | None = None):
    qs = User.objects.filter(identities__fingerprint=fingerprint).distinct()
    return qs.exclude(pk=exclude_user.pk) if exclude_user else qs


def identity_reveal(*, identity: RealIdentity, staff: User, reason: str) -> RealIdentity:
    """Record that staff looked at the full identity; the caller then shows it."""
    if not staff.has_perm("accounts.reveal_identity"):
        raise PermissionError("reveal_identity permission required")
    if not reason.strip():
        raise ValidationError(_("Say why you need to see the full identity."))
    IdentityReveal.objects.create(identity=identity, staff=staff, reason=reason.strip()[:300])
    logger.info("identity %s revealed to staff user %s", identity.pk, staff.pk)
    return identity


def identities_reencrypt(*, batch_size: int = 500) -> int:
    """Re-encrypt every identity under the newest key (after adding one to FIELD_ENCRYPTION_KEYS)."""
    count = 0
    pks = list(RealIdentity.objects.values_list("pk", flat=True))
    for start in range(0, len(pks), batch_size):
        with transaction.atomic():
            for identity in RealIdentity.objects.select_for_update().filter(pk__in=pks[start:start + batch_size]):
                identity.save(update_fields=["real_name", "document_number"])
                count += 1
    return count


# --- The per-identity account cap (both ways to level 2 use it) ------------

@dataclass(frozen=True)
class IdentityCap:
    """The other accounts an identity is confirmed on that count towards the cap, and the cap."""

    account_ids: list[int]
    limit: int

    @property
    def reached(self) -> bool:
        """Whether confirming the identity on one more account would pass IDENTITY_MAX_ACCOUNTS."""
        return len(self.account_ids) >= self.limit


def identity_lock(*, fingerprint: str) -> None:
    """Lock every identity row with this fingerprint until commit; take it before identity_cap_check() on a grant.

    Two reviewers approving two accounts of one identity at once would both count zero confirmed
    accounts; locking every identity row of the fingerprint (the claim being granted is one) makes
    them take turns.
    """
    list(RealIdentity.objects.select_for_update().filter(fingerprint=fingerprint).order_by("pk")
         .values_list("pk", flat=True))


def identity_cap_check(*, fingerprint: str, exclude_user: User | int, uncounted_user_ids) -> IdentityCap:
    """Which other accounts hold this identity, confirmed, against IDENTITY_MAX_ACCOUNTS.

    `uncounted_user_ids` (ids or a subquery) are accounts that no longer hold their identity: the callers
    pass moderation's closed accounts, which accounts cannot import. Whether a closed account's identity
    may have a new account is what the closure's ban decides (policy.identity_allowed), for a while or for
    ever, so the cap must not outlast the ban. An erased account's identity is revoked, so it is not counted.
    """
    exclude_pk = getattr(exclude_user, "pk", exclude_user)
    ids = (User.objects.filter(identities__fingerprint=fingerprint, identities__status=IdentityStatus.CONFIRMED)
           .exclude(pk=exclude_pk).exclude(pk__in=uncounted_user_ids).distinct().values_list("pk", flat=True))
    return IdentityCap(account_ids=sorted(ids), limit=settings.IDENTITY_MAX_ACCOUNTS)
