"""Accounts: the user, the public profile, the agreement, the phone and the real identity."""

from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.crypto import EncryptedTextField
from core.statemachine import StateMachineMixin, TransitionNotAllowed

from .masking import mask_document_number, mask_name
from .phones import mask_phone, phone_fingerprint, phone_normalise


class Level(models.IntegerChoices):
    REGISTERED = 0, _("Registered")
    INDIRECT = 1, _("Phone verified")
    VERIFIED = 2, _("Identity verified")


class LevelSource(models.TextChoices):
    NONE = "", _("None")
    PHONE = "phone", _("Phone number")
    DOCUMENT = "document", _("Identity document")
    VOUCH = "vouch", _("Vouched by friends")


if TYPE_CHECKING:
    _UserManagerBase = BaseUserManager["User"]  # typed for mypy; the runtime class is not subscriptable
else:
    _UserManagerBase = BaseUserManager


class UserManager(_UserManagerBase):
    use_in_migrations = True

    def _create_user(self, email, password, **extra):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email, password=None, **extra):
        extra["is_staff"] = True
        extra["is_superuser"] = True
        return self._create_user(email, password, **extra)


# An erased account keeps its row (penalties, strikes and vouches point at it) under an address
# that can never receive mail (RFC 2606 reserves .invalid), unique per account.
ERASED_EMAIL_DOMAIN = "erased.invalid"
# What an erased account is called wherever its name appears, in the reader's language.
ERASED_NICKNAME = _("Deleted user")


class User(AbstractUser):
    """A person's account; the login is the email, the public face is the Profile."""

    username = None
    first_name = None
    last_name = None
    email = models.EmailField(_("email address"), unique=True)
    level = models.PositiveSmallIntegerField(_("verification level"), choices=Level.choices, default=Level.REGISTERED)
    level_source = models.CharField(_("reached by"), max_length=16, choices=LevelSource.choices, blank=True, default="")
    level_changed_at = models.DateTimeField(_("level changed at"), null=True, blank=True)
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES, default="zh-hans")
    # Mirrors a live DeletionRequest so the policy check of every request costs no query for everyone else.
    deletion_requested_at = models.DateTimeField(_("deletion requested at"), null=True, blank=True, editable=False)

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = UserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        permissions = [("reveal_identity", _("Can reveal a user's full real identity"))]

    def __str__(self) -> str:
        # Admin lists and logs show the id and nickname, never the real name.
        return f"#{self.pk}"

    @property
    def is_erased(self) -> bool:
        """Whether this account was erased after its deletion (no query: the email tells)."""
        return self.email.endswith(f"@{ERASED_EMAIL_DOMAIN}")

    @property
    def display_name(self) -> str:
        if self.is_erased:
            return ERASED_NICKNAME
        profile = getattr(self, "profile", None)
        return profile.nickname if profile and profile.nickname else _("User %(id)s") % {"id": self.pk}


class Profile(models.Model):
    """What other people see: nickname, avatar, bio. Never the real name."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="profile")
    nickname = models.CharField(_("nickname"), max_length=30)
    handle = models.SlugField(_("handle"), max_length=30, unique=True, null=True, blank=True,
                              help_text=_("Optional short name for your profile address, letters, digits, - and _."))
    avatar = models.ImageField(_("avatar"), upload_to="avatars/%Y/%m/", blank=True)
    bio = models.CharField(_("bio"), max_length=300, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("profile")
        verbose_name_plural = _("profiles")
        constraints = [models.UniqueConstraint(Lower("handle"), name="profile_handle_ci_unique")]

    def __str__(self) -> str:
        return self.nickname


class AgreementVersion(models.Model):
    """One published text of the service agreement; the newest published one is in force."""

    version = models.CharField(_("version"), max_length=20, unique=True)
    title = models.CharField(_("title"), max_length=200)
    body_zh = models.TextField(_("text (Chinese)"))
    body_en = models.TextField(_("text (English)"))
    published_at = models.DateTimeField(_("published at"), null=True, blank=True,
                                        help_text=_("Empty while a draft. Once published, every user must accept it again."))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("agreement version")
        verbose_name_plural = _("agreement versions")
        ordering = ["-published_at", "-pk"]

    def __str__(self) -> str:
        return self.version

    @property
    def is_published(self) -> bool:
        return self.published_at is not None and self.published_at <= timezone.now()

    def body_for(self, language: str) -> str:
        return self.body_en if language.startswith("en") else self.body_zh


class AgreementAcceptance(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="agreement_acceptances")
    version = models.ForeignKey(AgreementVersion, on_delete=models.PROTECT, related_name="acceptances")
    accepted_at = models.DateTimeField(_("accepted at"), default=timezone.now)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("user agent"), max_length=512, blank=True)

    class Meta:
        verbose_name = _("agreement acceptance")
        verbose_name_plural = _("agreement acceptances")
        constraints = [models.UniqueConstraint(fields=["user", "version"], name="acceptance_once_per_version")]

    def __str__(self) -> str:
        return f"#{self.user_id} accepted {self.version_id}"


class PhoneQuerySet(models.QuerySet):
    def with_number(self, number):
        """Rows holding `number` (any usual spelling), found by its fingerprint: the column is encrypted."""
        return self.filter(fingerprint=phone_fingerprint(number))


class _EncryptedPhoneMixin:
    """Normalise the number to E.164 and keep its fingerprint in step on every save."""

    def save(self, *args, **kwargs):
        if self.number:
            self.number = phone_normalise(self.number)
            self.fingerprint = phone_fingerprint(self.number)
            update_fields = kwargs.get("update_fields")
            if update_fields is not None and "number" in update_fields:
                kwargs["update_fields"] = {*update_fields, "fingerprint"}
        super().save(*args, **kwargs)

    @property
    def masked(self) -> str:
        return mask_phone(self.number) if self.number else ""


class PhoneNumber(_EncryptedPhoneMixin, models.Model):
    """The user's mainland mobile number; confirmed_at is set once an SMS code matched.

    The number is encrypted at rest (same rotatable keys as identities); only its fingerprint is compared.
    """

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="phone")
    number = EncryptedTextField(_("mobile number"))
    # HMAC of the E.164 number: the per-number cap, every lookup and the per-number lock use it.
    fingerprint = models.CharField(max_length=64, db_index=True, editable=False)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)

    objects = PhoneQuerySet.as_manager()

    class Meta:
        verbose_name = _("phone number")
        verbose_name_plural = _("phone numbers")

    def __str__(self) -> str:
        return self.masked


class PhoneChallenge(_EncryptedPhoneMixin, models.Model):
    """One SMS code sent to a number; the code is kept as a keyed hash for checking.

    Between creation and sending, the code also waits encrypted in `code_token`, so the Celery message
    carries only the challenge id; the send task erases it, and so do a newer code and the hourly purge.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="phone_challenges")
    number = EncryptedTextField()
    fingerprint = models.CharField(max_length=64, editable=False)
    code_hash = models.CharField(max_length=64)
    code_token = EncryptedTextField(blank=True, default="", editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    tries = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)

    objects = PhoneQuerySet.as_manager()

    class Meta:
        get_latest_by = "created_at"
        indexes = [models.Index(fields=["user", "-created_at"])]

    def __str__(self) -> str:
        return f"code for #{self.user_id} at {self.created_at:%Y-%m-%d %H:%M}"


class DocumentType(models.TextChoices):
    RESIDENT_ID = "resident_id", _("Resident identity card")
    PASSPORT = "passport", _("Passport")
    DRIVERS_LICENCE = "drivers_licence", _("Driver's licence")
    MILITARY_OFFICER = "military_officer", _("Military officer's card")
    SOLDIER = "soldier", _("Soldier's card")


class IdentityStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    CONFIRMED = "confirmed", _("Confirmed")
    REJECTED = "rejected", _("Rejected")
    REVOKED = "revoked", _("Revoked")


class RealIdentity(StateMachineMixin, models.Model):
    """The real person behind an account, encrypted at rest, found only by its fingerprint.

    pending -> confirmed (a document approved, a vouch case granted) | rejected (the claim ended
    without approval) | revoked (the account was erased); confirmed -> revoked (found false, or the
    account was erased). A rejected or revoked identity stays as it is: it is never confirmed again.
    """

    Status = IdentityStatus
    # The only edges; everything else is refused by transition(), save() and transition_many().
    TRANSITIONS: dict[str, frozenset[str]] = {
        IdentityStatus.PENDING: frozenset({IdentityStatus.CONFIRMED, IdentityStatus.REJECTED, IdentityStatus.REVOKED}),
        IdentityStatus.CONFIRMED: frozenset({IdentityStatus.REVOKED}),
    }
    INITIAL = frozenset({IdentityStatus.PENDING})

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="identities")
    real_name = EncryptedTextField(_("real name"))
    document_type = models.CharField(_("document type"), max_length=32)
    document_number = EncryptedTextField(_("document number"))
    # HMAC of the normalised document type + number: the only thing ever compared or indexed.
    fingerprint = models.CharField(max_length=64, db_index=True, editable=False)
    status = models.CharField(_("status"), max_length=16, choices=IdentityStatus.choices, default=IdentityStatus.PENDING)
    created_at = models.DateTimeField(default=timezone.now)
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("real identity")
        verbose_name_plural = _("real identities")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.masked_name} {self.masked_number}"

    @property
    def masked_name(self) -> str:
        return mask_name(self.real_name)

    @property
    def masked_number(self) -> str:
        return mask_document_number(self.document_number)


class RevealReason(models.TextChoices):
    """Why staff may look at a full real identity outside a review claim: the only grounds accepted."""

    LAWFUL_REQUEST = "lawful_request", _("A request from a lawful authority")
    FRAUD = "fraud_investigation", _("A fraud or impersonation investigation")
    OWN_DATA = "own_data_request", _("The user's own request for their data")
    APPEAL = "appeal_review", _("The review of an appeal")
    OTHER = "other", _("Another reason (explain below)")


class IdentityReveal(models.Model):
    """Every time staff looked at a full real identity: who, whose, when, why."""

    identity = models.ForeignKey(RealIdentity, on_delete=models.CASCADE, related_name="reveals")
    staff = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="identity_reveals")
    reason_code = models.CharField(_("ground"), max_length=32, choices=RevealReason.choices,
                                   default=RevealReason.OTHER)
    reason = models.CharField(_("reason"), max_length=300)
    revealed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("identity reveal")
        verbose_name_plural = _("identity reveals")
        ordering = ["-revealed_at"]

    def __str__(self) -> str:
        return f"identity {self.identity_id} revealed to #{self.staff_id}"


class Notification(models.Model):
    """An in-app notice (unread count in the header), optionally also emailed."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=40)
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    email = models.BooleanField(default=False)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["user", "read_at"])]

    def __str__(self) -> str:
        return self.title


# --- Leaving the network (DOMAIN.md §5) ---------------------------------------------------

class DeletionStatus(models.TextChoices):
    COOLING = "cooling", _("Waiting: can still be cancelled")
    CANCELLED = "cancelled", _("Cancelled")
    ERASED = "erased", _("Erased")


DeletionTransitionError = TransitionNotAllowed


class DeletionRequest(StateMachineMixin, models.Model):
    """A user's request to delete their account: hidden at once, erased after the cooling-off period.

    cooling -> cancelled (the user changed their mind) | erased (the beat task, after erase_after).
    """

    Status = DeletionStatus
    # The only edges; everything else is refused by transition().
    TRANSITIONS: dict[str, frozenset[str]] = {
        DeletionStatus.COOLING: frozenset({DeletionStatus.CANCELLED, DeletionStatus.ERASED}),
    }
    INITIAL = frozenset({DeletionStatus.COOLING})

    # The row outlives the erasure (the user row stays, emptied), so it is the record of what happened.
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="deletion_requests")
    status = models.CharField(_("status"), max_length=16, choices=DeletionStatus.choices,
                              default=DeletionStatus.COOLING)
    requested_at = models.DateTimeField(_("requested at"), default=timezone.now)
    erase_after = models.DateTimeField(_("erase after"))
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    erased_at = models.DateTimeField(_("erased at"), null=True, blank=True)

    class Meta:
        verbose_name = _("deletion request")
        verbose_name_plural = _("deletion requests")
        ordering = ["-requested_at", "-pk"]
        indexes = [models.Index(fields=["status", "erase_after"])]
        constraints = [
            # A double submit may race past the service's check; the database has the last word.
            models.UniqueConstraint(fields=["user"], condition=models.Q(status__in=["cooling", "erased"]),
                                    name="one_live_deletion_request_per_user"),
        ]

    def __str__(self) -> str:
        return f"deletion of #{self.user_id} ({self.status})"

