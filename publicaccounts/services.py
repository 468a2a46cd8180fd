"""Writes for public accounts: register, the name review, subscriptions.

Qualifications (qualifications.py) and articles (articles.py) have their own modules; all follow
lock, check, change, record.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from stdnum import exceptions as stdnum_exceptions
from stdnum.cn import uscc

from accounts import policy
from accounts.models import User

if TYPE_CHECKING:
    from django.db.models.fields.files import FieldFile
from accounts.notifications import notify
from accounts.policy import Action
from core.images import ProcessedImage
from core.storage import delete_files
from moderation import audit
from moderation.services import QueueError, review_item_open

from . import qualifications, selectors
from .models import (
    NAME_MAX_CHARS,
    AccountStatus,
    Category,
    OperatorType,
    PublicAccount,
    Qualification,
    QualificationStatus,
    ReservedTermKind,
    Subscription,
)
from .names import name_key, normalise_display_name, reserved_matches

NAME_REVIEW_KIND = selectors.NAME_REVIEW_KIND
APPROVE, REJECT = "approve", "reject"
# What <slug:handle> in the URLs accepts, with a length range.
HANDLE_RE = re.compile(r"^[A-Za-z0-9_-]{3,30}$")


class NameRejectReason:
    """Reasons a moderator gives for refusing a name (code, label); the owner is told the text."""

    IMPERSONATION = "impersonation"
    NEWS_WITHOUT_LICENCE = "news_without_licence"
    MISLEADING = "misleading"
    OTHER = "other"


def _in_language_of(user: User) -> translation.override:
    return translation.override(getattr(user, "language", None) or settings.LANGUAGE_CODE)


def _save_image(field: FieldFile, processed: ProcessedImage, written: list[str | None]) -> None:
    field.save(f"image{processed.extension}", ContentFile(processed.content), save=False)
    written.append(field.name)


# --- Registration ------------------------------------------------------------

def register_refusal(*, owner: User) -> str:
    """Why `owner` may not register another public account now ("" when they may); the service checks again."""
    held = selectors.accounts_held_by_person(owner)
    cap = settings.PUBLIC_ACCOUNTS_PER_IDENTITY
    if held >= cap:
        return ngettext(
            "One real identity may hold %(cap)d public account, and yours already holds %(held)d "
            "(counting every user account of the same person).",
            "One real identity may hold %(cap)d public accounts, and yours already holds %(held)d "
            "(counting every user account of the same person).",
            cap) % {"cap": cap, "held": held}
    return ""


def validate_operator(*, operator_type: str, operator_name: str, operator_code: str) -> tuple[str, str]:
    """The organisation's name and its unified social credit code, checked; both empty for an individual."""
    if operator_type == OperatorType.INDIVIDUAL:
        return "", ""
    if operator_type != OperatorType.ORGANISATION:
        raise ValidationError({"operator_type": _("Choose who operates the account.")})
    errors = {}
    name = normalise_display_name(operator_name)
    if not name:
        errors["operator_name"] = _("Enter the organisation's registered name.")
    code = (operator_code or "").strip().upper().replace(" ", "").replace("-", "")
    try:
        code = uscc.validate(code)
    except stdnum_exceptions.InvalidChecksum:
        errors["operator_code"] = _("This code's check character is wrong. Please check each character.")
    except stdnum_exceptions.ValidationError:
        errors["operator_code"] = _("A unified social credit code has 18 digits and capital letters "
                                    "(no I, O, S, V or Z).")
    if errors:
        raise ValidationError(errors)
    return name[:100], code


def validate_name(name: str, *, exclude_pk: int | None = None) -> tuple[str, str]:
    """The display name and its folded key, or a ValidationError on the name field."""
    shown = normalise_display_name(name)
    key = name_key(shown)
    if not key:
        raise ValidationError({"name": _("Enter a name for the account.")})
    if len(shown) > NAME_MAX_CHARS:
        raise ValidationError({"name": _("A name can have at most %(n)d characters.") % {"n": NAME_MAX_CHARS}})
    if selectors.name_taken(key, exclude_pk=exclude_pk):
        raise ValidationError({"name": _("This name is taken. Names are compared ignoring upper and lower case, "
                                         "full-width letters and spaces.")})
    return shown, key


def validate_handle(handle: str) -> str:
    """A free handle (a slug, not only digits), compared case-insensitively."""
    value = (handle or "").strip()
    if not HANDLE_RE.match(value):
        raise ValidationError({"handle": _("Use 3 to 30 letters, digits, - and _.")})
    if value.isdigit():
        raise ValidationError({"handle": _("A handle cannot be only digits.")})
    if selectors.handle_taken(value):
        raise ValidationError({"handle": _("This handle is taken.")})
    return value


def review_reason_text(terms: list[dict[str, Any]]) -> str:
    """What the owner is told while the name waits for review (terms as stored on the account)."""
    kinds = {t["kind"] for t in terms}
    shown = "、".join(t["term"] for t in terms)
    if ReservedTermKind.IMPERSONATION in kinds:
        return _("The name contains “%(terms)s”, a word reserved for party, government, military or media bodies. "
                 "A moderator will check that the account does not impersonate one before it goes live.") % {
            "terms": shown}
    return _("The name contains “%(terms)s”, a news word that needs a news qualification. A moderator will check "
             "the name before the account goes live; you can already apply for a qualification.") % {"terms": shown}


def _lock_person(owner: User) -> None:
    # Two user accounts of one person registering at the same moment would both count the same
    # number of accounts; locking every user row of that person (in id order) makes them take turns.
    ids = list(selectors.same_person_user_ids(owner).values_list("pk", flat=True))
    list(User.objects.select_for_update().filter(pk__in=ids).order_by("pk").values_list("pk", flat=True))


def account_register(*, owner: User, name: str, handle: str, introduction: str = "", category: str = Category.OTHER,
                     operator_type: str = OperatorType.INDIVIDUAL, operator_name: str = "", operator_code: str = "",
                     avatar: ProcessedImage | None = None) -> PublicAccount:
    """Register a public account; a name with a reserved term waits for a moderator (pending_review)."""
    policy.require(owner, Action.REGISTER_PUBLIC_ACCOUNT)
    errors: dict[str, Any] = {}
    checked: dict[str, Any] = {}
    # Every field is checked, so the owner sees all that needs fixing at once.
    for key, check in (("name", lambda: validate_name(name)), ("handle", lambda: validate_handle(handle)),
                       ("operator", lambda: validate_operator(operator_type=operator_type, operator_name=operator_name,
                                                              operator_code=operator_code))):
        try:
            checked[key] = check()
        except ValidationError as exc:
            errors.update(exc.error_dict)
    if category not in Category.values:
        errors["category"] = [_("Choose a category.")]
    introduction = (introduction or "").strip()
    if len(introduction) > 500:
        errors["introduction"] = [_("An introduction can have at most %(n)d characters.") % {"n": 500}]
    if errors:
        raise ValidationError(errors)
    shown, key = checked["name"]
    op_name, op_code = checked["operator"]
    matches = reserved_matches(shown)

    written: list[str | None] = []
    try:
        with transaction.atomic():
            _lock_person(owner)
            refusal = register_refusal(owner=owner)
            if refusal:
                raise ValidationError(refusal, code="cap")
            account = PublicAccount(
                owner=owner, name=shown, name_key=key, handle=checked["handle"], introduction=introduction,
                category=category, operator_type=operator_type, operator_name=op_name, operator_code=op_code,
                status=AccountStatus.PENDING_REVIEW if matches else AccountStatus.ACTIVE,
                reserved_terms=[{"term": m.term, "kind": m.kind} for m in matches],
            )
            if avatar is not None:
                _save_image(account.avatar, avatar, written)
            try:
                with transaction.atomic():
                    account.save()
            except IntegrityError:
                # The database has the last word when two registrations race for one name or handle.
                raise ValidationError(_("This name or handle was just taken. Please choose another."),
                                      code="taken") from None
            audit.record(actor=owner, action="publicaccount.register", target=account,
                         data={"status": account.status, "terms": [m.term for m in matches]})
            if matches:
                # Stored in English (a record); the review page words each flag by its code.
                flags = [{"code": f"reserved_{kind}", "text": f"Reserved {kind} term",
                          "terms": [m.term for m in matches if m.kind == kind]}
                         for kind in dict.fromkeys(m.kind for m in matches)]
                review_item_open(kind=NAME_REVIEW_KIND, target=account, subject=owner,
                                 summary=f"{shown} (@{account.handle})", flags=flags)
    except BaseException:
        # Files are not transactional: what this attempt wrote goes with its rollback.
        if written:
            delete_files(PublicAccount._meta.get_field("avatar").storage, written)
        raise
    return account


# Lazy: told to the owner in their language, long after this module was imported.
NAME_REJECT_TEXTS = {
    NameRejectReason.IMPERSONATION: gettext_lazy("The name could be taken for a party, government, military or "
                                                 "media body."),
    NameRejectReason.NEWS_WITHOUT_LICENCE: gettext_lazy("The name uses a news word, and the account holds no news "
                                                        "qualification."),
    NameRejectReason.MISLEADING: gettext_lazy("The name is misleading."),
    NameRejectReason.OTHER: gettext_lazy("The name could not be accepted."),
}


def status_text(account: PublicAccount) -> str:
    """Why a non-public account is where it is, for its owner's banner."""
    if account.status == AccountStatus.PENDING_REVIEW:
        return review_reason_text(account.reserved_terms)
    if account.status == AccountStatus.REJECTED:
        return str(NAME_REJECT_TEXTS.get(account.reason_code, NAME_REJECT_TEXTS[NameRejectReason.OTHER]))
    return ""


def account_name_decide(*, account: PublicAccount, reviewer: User, decision: str, reason_code: str = "",
                        note: str = "") -> PublicAccount:
    """Approve (the account goes live) or reject (the name is freed) a name sent to review; called by the queue."""
    if decision not in (APPROVE, REJECT):
        raise QueueError(_("This decision is not available."))
    if decision == REJECT and reason_code not in NAME_REJECT_TEXTS:
        raise QueueError(_("Choose a reason."))
    with transaction.atomic():
        acc = PublicAccount.objects.select_for_update(of=("self",)).select_related("owner").get(pk=account.pk)
        to = AccountStatus.ACTIVE if decision == APPROVE else AccountStatus.REJECTED
        if not acc.can_transition(to) or acc.status != AccountStatus.PENDING_REVIEW:
            raise QueueError(_("This account is no longer waiting for review."))
        acc.transition(to=to)
        acc.decided_at = timezone.now()
        acc.reason_code = "" if decision == APPROVE else reason_code
        acc.save(update_fields=["status", "decided_at", "reason_code"])
        # No note here: it is free text, and the audit log must never carry a name or a number.
        audit.record(actor=reviewer, action=f"publicaccount.{decision}", target=acc,
                     data={"reason_code": acc.reason_code})
        if decision == REJECT:
            for pending in Qualification.objects.select_for_update().filter(account=acc,
                                                                              status=QualificationStatus.PENDING):
                qualifications.qualification_withdraw_pending(pending, actor=reviewer, reason="account rejected")
        owner = acc.owner
        with _in_language_of(owner):
            if decision == APPROVE:
                notify(user=owner, kind="publicaccount.approved",
                       title=_("Your public account “%(name)s” is live") % {"name": acc.name},
                       body=_("A moderator approved its name. You can now publish articles."),
                       url=reverse("publicaccounts:account", kwargs={"handle": acc.handle}))
            else:
                notify(user=owner, kind="publicaccount.rejected",
                       title=_("Your public account “%(name)s” was not approved") % {"name": acc.name},
                       body=f"{NAME_REJECT_TEXTS[reason_code]} "
                            f"{_('The name is free again; you may register an account with another name.')}",
                       url=reverse("publicaccounts:mine"))
    return acc


# --- Subscriptions -----------------------------------------------------------

def subscription_create(*, user: User, account: PublicAccount) -> Subscription:
    """Subscribe `user` to an active account (idempotent: a second click changes nothing)."""
    if not user.is_authenticated or not user.is_active:
        raise PermissionDenied("log in to subscribe")
    # Following is reading, not publishing: a restriction or a suspension leaves it open; a closed
    # account uses nothing (the same check as the closed-account gate in front of every page).
    policy.require(user, Action.LOG_IN)
    if account.status != AccountStatus.ACTIVE:
        raise ValidationError(_("This account cannot be subscribed to right now."), code="inactive")
    existing = Subscription.objects.filter(user=user, account=account).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return Subscription.objects.create(user=user, account=account)
    except IntegrityError:  # the other click won
        return Subscription.objects.get(user=user, account=account)


def subscription_delete(*, user: User, account: PublicAccount) -> bool:
    """Unsubscribe (idempotent); True if a subscription was removed."""
    deleted, _rows = Subscription.objects.filter(user=user, account=account).delete()
    return bool(deleted)
