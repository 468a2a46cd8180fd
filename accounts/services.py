"""Writes for accounts: agreement, profile, phone, real identity, levels."""

from __future__ import annotations

import hmac
import logging
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, connection, transaction
from django.db.models import QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core import crypto
from core.statemachine import transition_many

from . import audit, policy
from .delivery import send_sms_code
from .identity import normalise_name, validate_document_number
from .models import (
    AgreementAcceptance,
    AgreementVersion,
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
from .phones import phone_fingerprint, phone_normalise

if TYPE_CHECKING:
    from phonenumbers import PhoneNumber as ParsedNumber

    from core.images import ProcessedImage

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


def agreement_publish(*, version: AgreementVersion, actor: User, reason: str = "") -> AgreementVersion:
    """Publish a draft version: from now on every user must accept it (audited; a repeat changes nothing).

    Fires: accounts.audit recorder (moderation.audit.record).
    """
    with transaction.atomic():
        version = AgreementVersion.objects.select_for_update().get(pk=version.pk)
        if version.published_at is None:
            previous = agreement_current()
            version.published_at = timezone.now()
            version.save(update_fields=["published_at"])
            audit.record(actor=actor, action="agreement.publish", target=version, reason=reason, data={
                "version": version.version, "replaces": previous.version if previous else None})
            logger.info("agreement version %s published by user %s", version.version, actor.pk)
    cache.delete(CURRENT_AGREEMENT_CACHE_KEY)
    return version


def agreement_publish_preview(*, version: AgreementVersion) -> dict[str, Any]:
    """What publishing `version` would do: the version it replaces and how many accounts must accept it."""
    return {
        "version": version,
        "replaces": agreement_current(),
        "affected_users": User.objects.filter(is_active=True).count(),
    }


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

NEUTRAL_NICKNAME_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


def neutral_nickname(*, language: str | None = None) -> str:
    """A nickname that says nothing about the person ("用户" / "user-" and 6 random characters).

    Used when an account has none; never derived from the email, whose local part is often the real name.
    """
    code = "".join(secrets.choice(NEUTRAL_NICKNAME_ALPHABET) for _i in range(6))
    with translation.override(language or settings.LANGUAGE_CODE):
        return translation.pgettext("default nickname", "user-%(code)s") % {"code": code}


def profile_create(*, user: User, nickname: str | None = None) -> Profile:
    """The account's public face; without a nickname it gets a neutral one (neutral_nickname)."""
    nickname = (nickname or "").strip()
    if not nickname:
        nickname = neutral_nickname(language=getattr(user, "language", None))
    profile, _created = Profile.objects.get_or_create(user=user, defaults={"nickname": nickname})
    return profile


def profile_update(*, user: User, nickname: str, bio: str, handle: str | None = None,
                   avatar: ProcessedImage | None = None) -> Profile:
    """Update the public face; `avatar` is an already processed image (core.images)."""
    policy.require(user, policy.Action.EDIT_PROFILE)
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

# Where a lowered level comes from when the caller does not say: the rung below the one taken away.
_SOURCE_OF_LEVEL: dict[int, str] = {Level.REGISTERED: LevelSource.NONE, Level.INDIRECT: LevelSource.PHONE}


def user_level_set(*, user: User, level: int, actor: User | None, reason: str, source: str | None = None) -> User:
    """Set a user's level, up or down: the one place a level changes (lock, change, audit entry).

    Fires: accounts.audit recorder (moderation.audit.record) when the level or its source changes.

    `reason` is a short, fixed description (never a name or a number: it goes to the audit log);
    `source` is how the new level was reached (a LevelSource), by default kept when raising and the
    rung below when lowering. Setting the level the user already has changes nothing and records nothing.
    """
    if level not in Level.values:
        raise ValidationError(_("This level does not exist."))
    if source is not None and source not in LevelSource.values:
        raise ValidationError(_("This way of reaching a level does not exist."))
    if not reason.strip():
        raise ValidationError(_("Say why the level changes."))
    with transaction.atomic():
        locked: User = User.objects.select_for_update().get(pk=user.pk)
        before, before_source = locked.level, locked.level_source
        if source is None:
            source = _SOURCE_OF_LEVEL.get(level, before_source) if level < before else before_source
        if level != before or source != before_source:
            locked.level = level
            locked.level_source = source
            locked.level_changed_at = timezone.now()
            locked.save(update_fields=["level", "level_source", "level_changed_at"])
            audit.record(actor=actor, action="user.level_set", target=locked, reason=reason.strip(),
                            data={"from": before, "to": level, "source": source})
    user.level, user.level_source, user.level_changed_at = locked.level, locked.level_source, locked.level_changed_at
    return locked


def level_raise(*, user: User, to: int, source: str, actor: User | None = None) -> User:
    """Raise the level (never lowers) through user_level_set."""
    with transaction.atomic():
        current = User.objects.select_for_update().values_list("level", flat=True).get(pk=user.pk)
        if current < to:
            user_level_set(user=user, level=to, actor=actor, reason=f"level reached by {source or 'staff'}",
                           source=source)
    user.refresh_from_db(fields=["level", "level_source", "level_changed_at"])
    return user


# --- Phone -----------------------------------------------------------------

class PhoneError(Exception):
    """A phone step the user can fix; the message is safe to show."""


def _code_hash(challenge_user_id: int, number: str, code: str) -> str:
    return crypto.fingerprint(f"{challenge_user_id}:{number}:{code}", purpose="sms-code")


def phone_confirmed_elsewhere_count(*, fingerprint: str, exclude_user: User) -> int:
    """Other accounts that confirmed the number with this fingerprint (the number column is encrypted)."""
    return (PhoneNumber.objects.filter(fingerprint=fingerprint, confirmed_at__isnull=False)
            .exclude(user=exclude_user).count())


def phone_send_code(*, user: User, number: str | ParsedNumber) -> PhoneChallenge:
    """Create a 6-digit code for `number` and send it by SMS after commit.

    Rate limits on sends are applied by the caller (allauth's limiter, per user and IP);
    here we refuse numbers that already hold their quota of accounts. The Celery message
    carries only the challenge id: the task reads the number and the code from the row.
    """
    try:
        number_e164 = phone_normalise(number)
    except ValueError:
        raise PhoneError(_("Please enter a valid mobile number.")) from None
    fingerprint = phone_fingerprint(number_e164)
    if phone_confirmed_elsewhere_count(fingerprint=fingerprint,
                                       exclude_user=user) >= settings.PHONE_MAX_ACCOUNTS_PER_NUMBER:
        raise PhoneError(_("This number is already confirmed on another account. Please use a number of your own."))
    code = f"{secrets.randbelow(10**6):06d}"
    now = timezone.now()
    with transaction.atomic():
        # A new code replaces every older one for this user; an older code not yet sent is erased.
        PhoneChallenge.objects.filter(user=user, used_at__isnull=True).update(used_at=now, code_token="")
        challenge = PhoneChallenge.objects.create(
            user=user, number=number_e164, code_hash=_code_hash(user.pk, number_e164, code), code_token=code,
            created_at=now, expires_at=now + timedelta(seconds=settings.PHONE_CODE_TTL_SECONDS),
        )
        challenge_id = challenge.pk
        transaction.on_commit(lambda: send_sms_code.delay(challenge_id=challenge_id))
    return challenge


def phone_challenges_purge(*, keep_days: int = 1) -> int:
    """Erase the codes of expired challenges, and delete challenges expired `keep_days` ago; returns deleted."""
    now = timezone.now()
    PhoneChallenge.objects.filter(expires_at__lte=now).exclude(code_token="").update(code_token="")
    deleted, _details = PhoneChallenge.objects.filter(expires_at__lte=now - timedelta(days=keep_days)).delete()
    return deleted


def phone_pending_challenge(*, user: User) -> PhoneChallenge | None:
    return (PhoneChallenge.objects.filter(user=user, used_at__isnull=True, expires_at__gt=timezone.now())
            .order_by("-created_at").first())


def _lock_number(fingerprint: str) -> bool:
    """Serialise confirmations of one number until commit, so two accounts cannot both take the last place.

    The cap is a setting, so no unique constraint can hold it; on PostgreSQL a transaction-scoped
    advisory lock on the number's fingerprint does (SQLite writes are serialised anyway). Always False.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"phone:{fingerprint}"])
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
            number = challenge.number
            if not hmac.compare_digest(challenge.code_hash, _code_hash(user.pk, number, code)):
                left = settings.PHONE_CODE_MAX_TRIES - challenge.tries
                error = (_("That code is not right. %(left)d tries left.") % {"left": left} if left > 0
                         else _("Too many wrong codes. Please ask for a new one."))
            elif _lock_number(challenge.fingerprint) or phone_confirmed_elsewhere_count(
                    fingerprint=challenge.fingerprint, exclude_user=user) >= settings.PHONE_MAX_ACCOUNTS_PER_NUMBER:
                # Checked again at confirmation: another account may have confirmed it meanwhile.
                error = _("This number is already confirmed on another account. Please use a number of your own.")
            else:
                challenge.used_at = timezone.now()
                challenge.code_token = ""
                challenge.save(update_fields=["used_at", "code_token"])
                phone, _created = PhoneNumber.objects.update_or_create(
                    user=user, defaults={"number": number, "confirmed_at": timezone.now()}
                )
                level_raise(user=user, to=Level.INDIRECT, source=LevelSource.PHONE, actor=user)
                notify(user=user, kind="phone.confirmed", title=_("Your phone number is confirmed"),
                       body=_("You are now at level 1: you can add friends, post moments and comment."), url="/")
    if error:
        raise PhoneError(error)
    return phone


def phones_reencrypt(*, batch_size: int = 500) -> int:
    """Re-encrypt every stored phone number (and pending codes) under the newest key; returns rows."""
    count = 0
    for model, fields in ((PhoneNumber, ["number"]), (PhoneChallenge, ["number", "code_token"])):
        pks = list(model.objects.order_by("pk").values_list("pk", flat=True))
        for start in range(0, len(pks), batch_size):
            with transaction.atomic():
                for row in model.objects.select_for_update().filter(pk__in=pks[start:start + batch_size]):
                    row.save(update_fields=fields)
                    count += 1
    return count


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


class IdentityNotConfirmable(Exception):
    """The identity was rejected or revoked (e.g. found false): it can never be confirmed; the message is safe to show."""

    def __init__(self, identity: RealIdentity):
        super().__init__(_("This identity was rejected or revoked: it cannot be confirmed."))
        self.identity = identity


def identity_confirmable(*, identity: RealIdentity) -> bool:
    """Lock the identity and say whether identity_confirm() would accept it (call inside its transaction)."""
    locked = RealIdentity.objects.select_for_update().get(pk=identity.pk)
    return locked.status == IdentityStatus.CONFIRMED or locked.can_transition(IdentityStatus.CONFIRMED)


def identity_confirm(*, identity: RealIdentity) -> RealIdentity:
    """Confirm a pending identity (raises IdentityNotConfirmable from any other state; a confirmed one stays)."""
    with transaction.atomic():
        identity = RealIdentity.objects.select_for_update().get(pk=identity.pk)
        if identity.status == IdentityStatus.CONFIRMED:
            return identity  # a double submit: confirmed once is enough
        if not identity.can_transition(IdentityStatus.CONFIRMED):
            raise IdentityNotConfirmable(identity)
        identity.transition(to=IdentityStatus.CONFIRMED)
        identity.confirmed_at = timezone.now()
        identity.save(update_fields=["status", "confirmed_at"])
    return identity


def identity_reject(*, identity: RealIdentity) -> None:
    """Close a pending claim that did not end in approval, so nothing takes it for one under review."""
    transition_many(RealIdentity.objects.filter(pk=identity.pk), to=IdentityStatus.REJECTED,
                    from_=IdentityStatus.PENDING)


def identity_revoke(*, identities: QuerySet[RealIdentity]) -> int:
    """Revoke every identity of `identities` still pending or confirmed (found false, or the account erased)."""
    return transition_many(identities, to=IdentityStatus.REVOKED)


def identity_accounts_with_fingerprint(*, fingerprint: str, exclude_user: User | None = None) -> QuerySet[User]:
    qs = User.objects.filter(identities__fingerprint=fingerprint).distinct()
    return qs.exclude(pk=exclude_user.pk) if exclude_user else qs


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


def identity_cap_check(*, fingerprint: str, exclude_user: User | int,
                       uncounted_user_ids: Iterable[int] | QuerySet[Any, Any]) -> IdentityCap:
    """Which other accounts hold this identity, confirmed, against IDENTITY_MAX_ACCOUNTS.

    `uncounted_user_ids` (ids or a subquery) are accounts that no longer hold their identity: the callers
    pass moderation's closed accounts, which accounts cannot import. Whether a closed account's identity
    may have a new account is what the closure's ban decides (policy.identity_allowed), for a while or for
    ever, so the cap must not outlast the ban. An erased account's identity is revoked, so it is not counted.
    """
    exclude_pk = exclude_user.pk if isinstance(exclude_user, User) else exclude_user
    ids = (User.objects.filter(identities__fingerprint=fingerprint, identities__status=IdentityStatus.CONFIRMED)
           .exclude(pk=exclude_pk).exclude(pk__in=uncounted_user_ids).distinct().values_list("pk", flat=True))
    return IdentityCap(account_ids=sorted(ids), limit=settings.IDENTITY_MAX_ACCOUNTS)
