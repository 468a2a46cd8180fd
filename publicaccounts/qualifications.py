"""Writes for news qualifications: apply, decide (the queue), revoke, and the reminders of the beat task.

Whether a qualification is in force is never stored: rights.py computes it from the status and the dates.
"""

from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts import policy
from accounts.models import User
from accounts.notifications import notify
from accounts.policy import Action
from core.images import ProcessedImage
from moderation import audit
from moderation.restrictions import public_account_require
from moderation.services import QueueError, review_item_open, review_item_withdraw

from . import selectors
from .models import (
    AccountStatus,
    LicenceType,
    PublicAccount,
    Qualification,
    QualificationRejectReason,
    QualificationStatus,
    delete_files,
    private_storage,
)

QUALIFICATION_REVIEW_KIND = selectors.QUALIFICATION_REVIEW_KIND
APPROVE, REJECT = "approve", "reject"
COMPLIANCE_GROUP = "compliance"


def _in_language_of(user: User):
    return translation.override(getattr(user, "language", None) or settings.LANGUAGE_CODE)


# --- Qualifications ----------------------------------------------------------

def validate_validity(*, valid_from: date | None, valid_until: date | None, today: date | None = None) -> None:
    today = today or timezone.localdate()
    errors = {}
    if valid_from is None:
        errors["valid_from"] = _("Enter the first day the licence is valid.")
    if valid_until is None:
        errors["valid_until"] = _("Enter the last day the licence is valid.")
    elif valid_until < today:
        errors["valid_until"] = _("This licence has already expired.")
    elif valid_from is not None and valid_until < valid_from:
        errors["valid_until"] = _("The end of validity must come after its start.")
    if errors:
        raise ValidationError(errors)


def qualification_refusal(*, account: PublicAccount) -> str:
    """Why the account may not apply for a qualification now ("" when it may)."""
    if account.status not in (AccountStatus.ACTIVE, AccountStatus.PENDING_REVIEW):
        return _("This account cannot apply for a qualification.")
    if selectors.qualification_pending(account) is not None:
        return _("An application of this account is being reviewed. Please wait for the decision.")
    return ""


def qualification_apply(*, account: PublicAccount, actor: User, licence_type: str, licence_number: str,
                        issuing_authority: str, valid_from: date, valid_until: date,
                        scan: ProcessedImage) -> Qualification:
    """Apply for a news qualification with the licence's details and a scan (private storage); compliance reviews it."""
    policy.require(actor, Action.APPLY_QUALIFICATION)
    if account.owner_id != actor.pk:
        raise PermissionDenied("only the owner may apply for a qualification")
    # A suspended or closed public account asks for nothing new, whatever its operator may do.
    public_account_require(account, Action.APPLY_QUALIFICATION)
    errors = {}
    if licence_type not in LicenceType.values:
        errors["licence_type"] = _("Choose the type of licence.")
    number = " ".join((licence_number or "").split())
    if not number or len(number) > 60:
        errors["licence_number"] = _("Enter the licence number as printed.")
    authority = " ".join((issuing_authority or "").split())
    if not authority or len(authority) > 100:
        errors["issuing_authority"] = _("Enter the authority that issued the licence.")
    try:
        validate_validity(valid_from=valid_from, valid_until=valid_until)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if scan is None:
        errors["scan"] = _("Upload a scan or photo of the licence.")
    if errors:
        raise ValidationError(errors)

    written: list[str] = []
    try:
        with transaction.atomic():
            acc = PublicAccount.objects.select_for_update().get(pk=account.pk)
            refusal = qualification_refusal(account=acc)
            if refusal:
                raise ValidationError(refusal, code="refused")
            qualification = Qualification(
                account=acc, licence_type=licence_type, licence_number=number, issuing_authority=authority,
                valid_from=valid_from, valid_until=valid_until, applied_by=actor,
                scan_content_type=scan.content_type, scan_width=scan.width, scan_height=scan.height,
            )
            qualification.scan.save(f"scan{scan.extension}", ContentFile(scan.content), save=False)
            written.append(qualification.scan.name)
            try:
                with transaction.atomic():
                    qualification.save()
            except IntegrityError:  # only without row locks (SQLite): the other submit won
                raise ValidationError(_("An application of this account is being reviewed. Please wait for the "
                                        "decision."), code="refused") from None
            audit.record(actor=actor, action="qualification.apply", target=qualification,
                         data={"account": acc.pk, "licence_type": licence_type})
            review_item_open(kind=QUALIFICATION_REVIEW_KIND, target=qualification, subject=actor,
                             summary=f"{acc.name} (@{acc.handle}): {licence_type} {number}")
    except BaseException:
        delete_files(private_storage(), written)
        raise
    return qualification


# Lazy: told to the owner in their language, long after this module was imported.
QUALIFICATION_REJECT_TEXTS = {
    QualificationRejectReason.UNREADABLE: gettext_lazy("The scan of the licence could not be read."),
    QualificationRejectReason.MISMATCH: gettext_lazy("The details you typed do not match the licence."),
    QualificationRejectReason.EXPIRED: gettext_lazy("The licence has expired."),
    QualificationRejectReason.NOT_GENUINE: gettext_lazy("We could not confirm that the licence is genuine."),
    QualificationRejectReason.WRONG_HOLDER: gettext_lazy("The licence was issued to another organisation."),
    QualificationRejectReason.OTHER: gettext_lazy("The licence could not be accepted."),
}


def _date(value) -> str:
    return formats.date_format(value, "SHORT_DATE_FORMAT")


def qualification_decide(*, qualification: Qualification, reviewer: User, decision: str, reason_code: str = "",
                         note: str = "") -> Qualification:
    """Approve (the rights follow from its dates) or reject an application; called by the queue."""
    if decision not in (APPROVE, REJECT):
        raise QueueError(_("This decision is not available."))
    if decision == REJECT and reason_code not in QUALIFICATION_REJECT_TEXTS:
        raise QueueError(_("Choose a reason."))
    with transaction.atomic():
        q = (Qualification.objects.select_for_update(of=("self",)).select_related("account__owner")
             .get(pk=qualification.pk))
        to = QualificationStatus.APPROVED if decision == APPROVE else QualificationStatus.REJECTED
        if not q.can_transition(to):
            raise QueueError(_("This application is no longer waiting for review."))
        if decision == APPROVE and q.valid_until < timezone.localdate():
            raise QueueError(_("This licence expired on %(date)s; it cannot be approved. Reject it with the reason "
                               "“The licence has expired”.") % {"date": _date(q.valid_until)})
        q.transition(to=to)
        q.decided_at = timezone.now()
        q.decided_by = reviewer
        q.reason_code = "" if decision == APPROVE else reason_code
        q.save(update_fields=["status", "decided_at", "decided_by", "reason_code"])
        audit.record(actor=reviewer, action=f"qualification.{decision}", target=q,
                     data={"account": q.account_id, "licence_type": q.licence_type, "reason_code": q.reason_code})
        owner, acc = q.account.owner, q.account
        with _in_language_of(owner):
            if decision == APPROVE:
                notify(user=owner, kind="qualification.approved",
                       title=_("The news qualification of “%(name)s” is approved") % {"name": acc.name},
                       body=_("%(licence)s no. %(number)s, valid from %(start)s until %(end)s.") % {
                           "licence": q.get_licence_type_display(), "number": q.licence_number,
                           "start": _date(q.valid_from), "end": _date(q.valid_until)},
                       url=reverse("publicaccounts:account", kwargs={"handle": acc.handle}))
            else:
                notify(user=owner, kind="qualification.rejected",
                       title=_("The news qualification of “%(name)s” was not approved") % {"name": acc.name},
                       body=f"{QUALIFICATION_REJECT_TEXTS[reason_code]} "
                            f"{_('You may apply again with the correct licence.')}",
                       url=reverse("publicaccounts:qualification_apply", kwargs={"handle": acc.handle}))
    return q


def qualification_withdraw_pending(q: Qualification, *, actor, reason: str) -> None:
    """Close a locked pending application and take it out of the queue (its account was rejected)."""
    q.transition(to=QualificationStatus.REJECTED)
    q.reason_code = QualificationRejectReason.OTHER
    q.decided_at = timezone.now()
    q.save(update_fields=["status", "reason_code", "decided_at"])
    review_item_withdraw(target=q, kind=QUALIFICATION_REVIEW_KIND, actor=actor, reason=reason)


def may_revoke(user) -> bool:
    """Compliance staff (and superusers) may revoke a qualification."""
    return bool(user and user.is_authenticated and user.is_active
                and (user.is_superuser or user.groups.filter(name=COMPLIANCE_GROUP).exists()))


def qualification_revoke(*, qualification: Qualification, actor: User, reason: str) -> Qualification:
    """Compliance staff withdraw an approved qualification: its rights and its mark end now (idempotent)."""
    if not may_revoke(actor):
        raise PermissionDenied("only compliance staff may revoke a qualification")
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValidationError({"reason": _("Say why the qualification is revoked.")})
    with transaction.atomic():
        # The account is locked first, as publishing does: an article cannot slip in under a licence being revoked.
        PublicAccount.objects.select_for_update().filter(pk=qualification.account_id).first()
        q = (Qualification.objects.select_for_update(of=("self",)).select_related("account__owner")
             .get(pk=qualification.pk))
        if q.status == QualificationStatus.REVOKED:
            return q
        if not q.can_transition(QualificationStatus.REVOKED):
            raise ValidationError(_("Only an approved qualification can be revoked."), code="not_approved")
        q.transition(to=QualificationStatus.REVOKED)
        q.revoked_at = timezone.now()
        q.revoked_by = actor
        q.revoke_reason = reason[:300]
        q.save(update_fields=["status", "revoked_at", "revoked_by", "revoke_reason"])
        audit.record(actor=actor, action="qualification.revoke", target=q, reason=q.revoke_reason,
                     data={"account": q.account_id, "licence_type": q.licence_type})
        owner, acc = q.account.owner, q.account
        with _in_language_of(owner):
            notify(user=owner, kind="qualification.revoked",
                   title=_("The news qualification of “%(name)s” was revoked") % {"name": acc.name},
                   body=_("Reason: %(reason)s The account can no longer publish political news under this licence.")
                   % {"reason": q.revoke_reason},
                   url=reverse("publicaccounts:account", kwargs={"handle": acc.handle}))
    return q


# --- Reminders (the beat task) ------------------------------------------------

def _remind_one(pk: int, *, field: str, extra: Q, now: datetime) -> bool:
    """Send one notice about a qualification, once: the timestamp is set in the same transaction."""
    with transaction.atomic():
        q = (Qualification.objects.select_for_update(of=("self",)).select_related("account__owner")
             .filter(extra, pk=pk, status=QualificationStatus.APPROVED, **{f"{field}__isnull": True}).first())
        if q is None:
            return False  # another run sent it, or it was revoked meanwhile
        setattr(q, field, now)
        q.save(update_fields=[field])
        owner, acc = q.account.owner, q.account
        values = {"name": acc.name, "licence": q.get_licence_type_display(), "number": q.licence_number}
        url = reverse("publicaccounts:qualification_apply", kwargs={"handle": acc.handle})
        with _in_language_of(owner):
            values["date"] = _date(q.valid_until)
            if field == "reminder_sent_at":
                notify(user=owner, kind="qualification.expiring",
                       title=_("The news qualification of “%(name)s” ends on %(date)s") % values,
                       body=_("%(licence)s no. %(number)s is valid until %(date)s. Apply with the renewed licence "
                              "before then, or the account will lose its right to publish political news.") % values,
                       url=url)
            else:
                notify(user=owner, kind="qualification.lapsed",
                       title=_("The news qualification of “%(name)s” has lapsed") % values,
                       body=_("%(licence)s no. %(number)s was valid until %(date)s. The account can no longer "
                              "publish political news under it; apply with a renewed licence.") % values,
                       url=url)
    return True


def qualifications_remind(*, now: datetime | None = None) -> dict[str, int]:
    """Tell owners once, REMINDER_DAYS before a qualification ends, and once when it has lapsed."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    horizon = today + timedelta(days=settings.QUALIFICATION_REMINDER_DAYS)
    expiring = Q(valid_until__gte=today, valid_until__lte=horizon)
    lapsed = Q(valid_until__lt=today)
    sent = {"reminded": 0, "lapsed": 0}
    for key, field, extra in (("reminded", "reminder_sent_at", expiring), ("lapsed", "lapsed_notice_sent_at", lapsed)):
        pks = list(Qualification.objects.filter(extra, status=QualificationStatus.APPROVED,
                                                **{f"{field}__isnull": True}).values_list("pk", flat=True))
        for pk in pks:
            if _remind_one(pk, field=field, extra=extra, now=now):
                sent[key] += 1
    return sent
