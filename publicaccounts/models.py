"""Public accounts (like official accounts), their news qualifications, articles and subscriptions."""

import logging
import secrets
from pathlib import PurePosixPath

from django.conf import settings
from django.core.validators import URLValidator
from django.db import models, transaction
from django.db.models.functions import Lower
from django.db.models.signals import post_delete
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.statemachine import StateMachineMixin, TransitionNotAllowed
from core.storage import delete_files, delete_private_files, private_storage  # noqa: F401 (migrations name them here)

logger = logging.getLogger(__name__)

NAME_MAX_CHARS = 30
INTRODUCTION_MAX_CHARS = 500
TITLE_MAX_CHARS = 120
BODY_MAX_CHARS = 50_000



def _random_name(folder: str, filename: str) -> str:
    # Names are chosen here, never by the uploader: an upload's name is untrusted input.
    ext = PurePosixPath(filename).suffix.lower()
    return f"{folder}/{timezone.now():%Y/%m}/{secrets.token_hex(16)}{ext if ext in {'.jpg', '.png'} else '.jpg'}"


def avatar_path(instance, filename: str) -> str:
    return _random_name("publicaccounts/avatars", filename)


def cover_path(instance, filename: str) -> str:
    return _random_name("publicaccounts/covers", filename)


def scan_path(instance, filename: str) -> str:
    return _random_name("qualifications", filename)


InvalidTransition = TransitionNotAllowed
# Named by migration 0001's bases; the mixin itself lives in core.
_StateMachine = StateMachineMixin





# --- Public accounts ---------------------------------------------------------

class AccountStatus(models.TextChoices):
    PENDING_REVIEW = "pending_review", _("Name under review")
    ACTIVE = "active", _("Active")
    REJECTED = "rejected", _("Rejected")
    SUSPENDED = "suspended", _("Suspended")
    CLOSED = "closed", _("Closed")


# Anyone may see these accounts; the others are shown to their owner only (404 for everyone else).
PUBLIC_STATUSES = (AccountStatus.ACTIVE, AccountStatus.SUSPENDED)
# A rejected account frees its name; every other status keeps it (and counts towards the cap).
NAME_HOLDING_Q = ~models.Q(status=AccountStatus.REJECTED)


class Category(models.TextChoices):
    NEWS = "news", _("News and current affairs")
    CULTURE = "culture", _("Culture and arts")
    TECHNOLOGY = "technology", _("Science and technology")
    EDUCATION = "education", _("Education")
    BUSINESS = "business", _("Business and finance")
    LIFESTYLE = "lifestyle", _("Lifestyle")
    OTHER = "other", _("Other")


class OperatorType(models.TextChoices):
    INDIVIDUAL = "individual", _("Individual")
    ORGANISATION = "organisation", _("Organisation")


class PublicAccount(StateMachineMixin, models.Model):
    """A publisher page owned by one verified user; other users subscribe to its articles."""

    Status = AccountStatus
    TRANSITIONS: dict[str, frozenset[str]] = {
        AccountStatus.PENDING_REVIEW: frozenset({AccountStatus.ACTIVE, AccountStatus.REJECTED}),
        AccountStatus.ACTIVE: frozenset({AccountStatus.SUSPENDED, AccountStatus.CLOSED}),
        AccountStatus.SUSPENDED: frozenset({AccountStatus.ACTIVE, AccountStatus.CLOSED}),
        # A closure is the enforcement ladder's (moderation's penalties, see closure.py); an upheld appeal
        # reopens the account to the status it had. Timed rungs (restrict, suspend) change no status: they
        # are penalties in force, asked at every publish, so they end by themselves.
        AccountStatus.CLOSED: frozenset({AccountStatus.ACTIVE, AccountStatus.SUSPENDED}),
    }
    # A name matching a reserved term waits for a moderator; any other starts active.
    INITIAL = frozenset({AccountStatus.PENDING_REVIEW, AccountStatus.ACTIVE})

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="public_accounts",
                              verbose_name=_("owner"))
    name = models.CharField(_("name"), max_length=NAME_MAX_CHARS)
    # casefold(NFKC(name)) without spaces: "ＡＢＣ Daily" and "abc daily" are the same name.
    name_key = models.CharField(max_length=NAME_MAX_CHARS * 4, editable=False)
    handle = models.SlugField(_("handle"), max_length=30,
                              help_text=_("The account's address: letters, digits, - and _."))
    avatar = models.ImageField(_("avatar"), upload_to=avatar_path, blank=True, max_length=200)
    introduction = models.TextField(_("introduction"), max_length=INTRODUCTION_MAX_CHARS, blank=True)
    category = models.CharField(_("category"), max_length=20, choices=Category.choices, default=Category.OTHER)
    operator_type = models.CharField(_("operator type"), max_length=16, choices=OperatorType.choices,
                                     default=OperatorType.INDIVIDUAL)
    operator_name = models.CharField(_("organisation name"), max_length=100, blank=True)
    operator_code = models.CharField(_("unified social credit code"), max_length=18, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=AccountStatus.choices,
                              default=AccountStatus.ACTIVE)
    # The reserved terms the name matched at registration (what the moderator is asked to judge).
    reserved_terms = models.JSONField(_("reserved terms matched"), default=list, blank=True)
    reason_code = models.CharField(_("reason"), max_length=40, blank=True)
    created_at = models.DateTimeField(_("registered at"), default=timezone.now)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    # The penalty that closed the account (its own, or its owner's closure) and the status it had, so
    # overturning that penalty reopens exactly the accounts it closed, as they were.
    closed_by_penalty = models.ForeignKey("moderation.Penalty", on_delete=models.SET_NULL, null=True, blank=True,
                                          related_name="+", verbose_name=_("closed by penalty"))
    status_before_closure = models.CharField(max_length=16, choices=AccountStatus.choices, blank=True)

    class Meta:
        verbose_name = _("public account")
        verbose_name_plural = _("public accounts")
        ordering = ["-created_at", "-pk"]
        constraints = [
            # Handles are addresses people bookmark: unique for ever, whatever the case.
            models.UniqueConstraint(Lower("handle"), name="publicaccount_handle_ci_unique"),
            models.UniqueConstraint(fields=["name_key"], condition=NAME_HOLDING_Q, name="publicaccount_name_key_unique"),
            models.CheckConstraint(
                condition=(models.Q(operator_type=OperatorType.INDIVIDUAL, operator_name="", operator_code="")
                           | (models.Q(operator_type=OperatorType.ORGANISATION)
                              & ~models.Q(operator_name="") & ~models.Q(operator_code=""))),
                name="publicaccount_operator_consistent"),
        ]
        indexes = [models.Index(fields=["owner", "status"])]

    def __str__(self) -> str:
        return f"{self.name} (@{self.handle})"

    @property
    def is_public(self) -> bool:
        return self.status in PUBLIC_STATUSES


class ReservedTermKind(models.TextChoices):
    IMPERSONATION = "impersonation", _("Party, government, military or media body")
    NEWS = "news", _("News word (needs a news qualification)")


class ReservedTerm(models.Model):
    """A word that sends an account name to review: staff edit the list in the admin."""

    term = models.CharField(_("term"), max_length=40, unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=ReservedTermKind.choices)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("reserved term")
        verbose_name_plural = _("reserved terms")
        ordering = ["kind", "term"]

    def __str__(self) -> str:
        return self.term


# --- Qualifications ----------------------------------------------------------

class LicenceType(models.TextChoices):
    ORIGINAL = "original", _("Internet news service licence: original publishing (news unit)")
    REPRODUCTION = "reproduction", _("Internet news service licence: reproduction")
    PLATFORM = "platform", _("Internet news service licence: dissemination platform")


class QualificationStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for review")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    REVOKED = "revoked", _("Revoked")


class QualificationRejectReason(models.TextChoices):
    UNREADABLE = "unreadable", _("The scan cannot be read")
    MISMATCH = "mismatch", _("The details do not match the scan")
    EXPIRED = "expired", _("The licence has expired")
    NOT_GENUINE = "not_genuine", _("The licence could not be confirmed as genuine")
    WRONG_HOLDER = "wrong_holder", _("The licence belongs to another organisation")
    OTHER = "other", _("Other")


class Qualification(StateMachineMixin, models.Model):
    """A news-service licence claimed by a public account; approved by compliance staff, it grants rights.

    Being in force is computed, never stored: approved, not revoked, and today within
    valid_from..valid_until (both inclusive, in the site's time zone). Nothing has to run for it to lapse.
    """

    Status = QualificationStatus
    TRANSITIONS: dict[str, frozenset[str]] = {
        QualificationStatus.PENDING: frozenset({QualificationStatus.APPROVED, QualificationStatus.REJECTED}),
        QualificationStatus.APPROVED: frozenset({QualificationStatus.REVOKED}),
    }
    INITIAL = frozenset({QualificationStatus.PENDING})

    account = models.ForeignKey(PublicAccount, on_delete=models.CASCADE, related_name="qualifications",
                                verbose_name=_("public account"))
    licence_type = models.CharField(_("licence type"), max_length=16, choices=LicenceType.choices)
    licence_number = models.CharField(_("licence number"), max_length=60)
    issuing_authority = models.CharField(_("issuing authority"), max_length=100)
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"))
    scan = models.ImageField(_("scan"), storage=private_storage, upload_to=scan_path, max_length=200, blank=True)
    scan_content_type = models.CharField(max_length=40, default="image/jpeg")
    scan_width = models.PositiveIntegerField(default=0)
    scan_height = models.PositiveIntegerField(default=0)
    status = models.CharField(_("status"), max_length=16, choices=QualificationStatus.choices,
                              default=QualificationStatus.PENDING)
    applied_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    created_at = models.DateTimeField(_("applied at"), default=timezone.now)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name=_("decided by"))
    reason_code = models.CharField(_("reason"), max_length=40, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name=_("revoked by"))
    revoke_reason = models.CharField(_("reason for revocation"), max_length=300, blank=True)
    # Set once each notice is sent: the beat task runs every few hours and must tell the owner only once.
    reminder_sent_at = models.DateTimeField(_("expiry reminder sent at"), null=True, blank=True)
    lapsed_notice_sent_at = models.DateTimeField(_("lapse notice sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("qualification")
        verbose_name_plural = _("qualifications")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=models.Q(valid_until__gte=models.F("valid_from")),
                                   name="qualification_valid_range"),
            # One application waiting at a time per account: a double submit cannot queue two.
            models.UniqueConstraint(fields=["account"], condition=models.Q(status="pending"),
                                    name="qualification_one_pending_per_account"),
        ]
        indexes = [
            models.Index(fields=["account", "status", "valid_until"]),
            models.Index(fields=["status", "valid_until"]),
        ]

    def __str__(self) -> str:
        return f"{self.get_licence_type_display()} {self.licence_number}"

    def in_force(self, today=None) -> bool:
        """Approved, not revoked, and `today` (the site's local date) within its validity."""
        today = today or timezone.localdate()
        return self.status == QualificationStatus.APPROVED and self.valid_from <= today <= self.valid_until


def in_force_q(today, prefix: str = "") -> models.Q:
    """The filter for qualifications in force on `today` (prefix e.g. "qualifications__")."""
    return models.Q(**{f"{prefix}status": QualificationStatus.APPROVED, f"{prefix}valid_from__lte": today,
                       f"{prefix}valid_until__gte": today})


# --- Articles ----------------------------------------------------------------

class ArticleCategory(models.TextChoices):
    POLITICAL_NEWS = "political_news", _("Current-political news")
    OTHER = "other", _("Other content")


class Origin(models.TextChoices):
    ORIGINAL = "original", _("Original reporting")
    REPRODUCED = "reproduced", _("Reproduced from another news unit")


class Article(models.Model):
    """An article of a public account; the Markdown body is rendered and sanitised once, at save."""

    # No single-column index: article_account_newest (account, -published_at, -id) serves every lookup by account.
    account = models.ForeignKey(PublicAccount, on_delete=models.CASCADE, related_name="articles",
                                verbose_name=_("public account"), db_index=False)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                               related_name="+")
    title = models.CharField(_("title"), max_length=TITLE_MAX_CHARS)
    body = models.TextField(_("text"), max_length=BODY_MAX_CHARS)
    body_html = models.TextField(editable=False)
    cover = models.ImageField(_("cover image"), upload_to=cover_path, blank=True, max_length=200)
    cover_width = models.PositiveIntegerField(default=0)
    cover_height = models.PositiveIntegerField(default=0)
    category = models.CharField(_("category"), max_length=20, choices=ArticleCategory.choices,
                                default=ArticleCategory.OTHER)
    origin = models.CharField(_("origin"), max_length=16, choices=Origin.choices, blank=True)
    source_unit = models.CharField(_("source (news unit)"), max_length=100, blank=True)
    original_author = models.CharField(_("original author"), max_length=100, blank=True)
    original_title = models.CharField(_("original title"), max_length=200, blank=True)
    original_url = models.URLField(_("original link"), max_length=500, blank=True,
                                   validators=[URLValidator(schemes=["http", "https"])])
    published_at = models.DateTimeField(_("published at"), default=timezone.now)
    # Set by the owner's edits only (updated_at also moves for staff or data fixes).
    edited_at = models.DateTimeField(_("edited at"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    # A moderator's take-down: the row (and its cover) stay, behind a tombstone, until an appeal is decided.
    removed_at = models.DateTimeField(_("removed by a moderator at"), null=True, blank=True)

    class Meta:
        verbose_name = _("article")
        verbose_name_plural = _("articles")
        ordering = ["-published_at", "-pk"]
        constraints = [
            # Political news always says where it comes from; other content never carries an origin.
            models.CheckConstraint(
                condition=(models.Q(category=ArticleCategory.OTHER, origin="")
                           | models.Q(category=ArticleCategory.POLITICAL_NEWS, origin__in=list(Origin.values))),
                name="article_origin_matches_category"),
            models.CheckConstraint(
                condition=(~models.Q(origin=Origin.REPRODUCED)
                           | (~models.Q(source_unit="") & ~models.Q(original_author="")
                              & ~models.Q(original_title="") & ~models.Q(original_url=""))),
                name="article_reproduction_credits_source"),
        ]
        indexes = [
            # The account page and the subscriptions feed both read newest first per account.
            models.Index(fields=["account", "-published_at", "-id"], name="article_account_newest"),
            models.Index(fields=["-published_at", "-id"], name="article_newest"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_political(self) -> bool:
        return self.category == ArticleCategory.POLITICAL_NEWS

    @property
    def is_removed(self) -> bool:
        return self.removed_at is not None


class Subscription(models.Model):
    """A user follows a public account; its articles appear in the user's feed."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="publicaccount_subscriptions")
    account = models.ForeignKey(PublicAccount, on_delete=models.CASCADE, related_name="subscriptions")
    created_at = models.DateTimeField(_("subscribed at"), default=timezone.now)

    class Meta:
        verbose_name = _("subscription")
        verbose_name_plural = _("subscriptions")
        # (user, account) serves "what does this user follow"; the foreign key's own index serves the counts.
        constraints = [models.UniqueConstraint(fields=["user", "account"], name="subscription_unique")]

    def __str__(self) -> str:
        return f"#{self.user_id} -> {self.account_id}"



@receiver(post_delete, sender=Article, dispatch_uid="publicaccounts.article_cover")
def _article_cover_follows_its_row(sender, instance: Article, **kwargs) -> None:
    # Only once the deletion is committed: a rollback must not lose the picture.
    if instance.cover:
        storage, name = instance.cover.storage, instance.cover.name
        transaction.on_commit(lambda: delete_files(storage, [name]))


@receiver(post_delete, sender=Qualification, dispatch_uid="publicaccounts.qualification_scan")
def _qualification_scan_follows_its_row(sender, instance: Qualification, **kwargs) -> None:
    if instance.scan:
        name = instance.scan.name
        transaction.on_commit(lambda: delete_files(private_storage(), [name]))


@receiver(post_delete, sender=PublicAccount, dispatch_uid="publicaccounts.account_avatar")
def _account_avatar_follows_its_row(sender, instance: PublicAccount, **kwargs) -> None:
    if instance.avatar:
        storage, name = instance.avatar.storage, instance.avatar.name
        transaction.on_commit(lambda: delete_files(storage, [name]))
