"""Writes for vouching: start a case, answer a request, withdraw, and the tick that expires and grants.

Every change locks what it changes (queue items first, then the case, then users: the order the
review queue takes them in), checks, changes, and records in the audit log in one transaction.
Decisions by moderators and the false-identity cascade live in accountability.py.
"""

from __future__ import annotations

import ipaddress
import re
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any, TypeGuard

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts import policy
from accounts.models import Level, LevelSource, User
from accounts.notifications import notify
from accounts.policy import Action
from accounts.services import (
    identity_cap_check,
    identity_confirm,
    identity_confirmable,
    identity_fingerprint,
    identity_lock,
    identity_reject,
    identity_store,
    level_raise,
)
from core import crypto
from moderation import audit
from moderation.models import ItemStatus, ReviewItem
from moderation.selectors import closure_user_ids
from moderation.services import review_item_open, review_item_withdraw
from verification.documents import selectors as document_selectors
from verification.documents.models import DocumentKind
from verification.documents.numbers import number_validate

from . import selectors
from .models import VouchCase, VouchCaseStatus, VoucherStrike, VouchRequest, VouchRequestStatus

REVIEW_KIND = selectors.REVIEW_KIND
# Asking every friend at once would notify people who cannot all be needed; twice the quorum leaves room for a no.
MAX_ASKED_FACTOR = 2
DEVICE_COOKIE = "did"
_DEVICE_ID = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


class CapReached(Exception):
    """The identity is already verified on the most accounts allowed: the case cannot be granted."""


class IdentityRefused(Exception):
    """accounts.policy.identity_allowed() refuses the identity (a ban): the case cannot be granted."""

    def __init__(self, decision: policy.Decision):
        super().__init__(str(decision.reason))
        self.decision = decision


def max_asked() -> int:
    required: int = settings.VOUCH_REQUIRED
    return required * MAX_ASKED_FACTOR


def _in_language_of(user: User) -> translation.override:
    return translation.override(getattr(user, "language", None) or settings.LANGUAGE_CODE)


# --- Where a request came from (keyed hashes only) -------------------------------

def _ignore_private_ips() -> bool:
    # Behind a proxy that is not configured, or on a developer's machine, everyone shares a private
    # or loopback address; comparing those would flag every case. Never ignored in production.
    return bool(settings.DEBUG or getattr(settings, "VOUCH_IGNORE_PRIVATE_IPS", False))


def ip_fingerprint(ip: str | None) -> str:
    """The keyed hash of an address ("" when unknown, or private while those are ignored)."""
    try:
        address = ipaddress.ip_address((ip or "").strip())
    except ValueError:
        return ""
    if _ignore_private_ips() and (address.is_private or address.is_loopback):
        return ""
    return crypto.fingerprint(address.compressed, purpose="vouch-ip")


def device_id_valid(value: str | None) -> TypeGuard[str]:
    """Whether a device cookie looks like one we set (anything else is replaced, never trusted)."""
    return bool(value and _DEVICE_ID.match(value))


def device_fingerprint(device_id: str | None) -> str:
    """The keyed hash of the long-lived random device cookie ("" when there is none)."""
    return crypto.fingerprint(device_id, purpose="vouch-device") if device_id_valid(device_id) else ""


# --- Locks --------------------------------------------------------------------------

def case_lock_items(case: VouchCase) -> list[ReviewItem]:
    """Lock the case's queue items before the case: the order a moderator's decision takes them in."""
    ct = ContentType.objects.get_for_model(VouchCase)
    return list(ReviewItem.objects.select_for_update().filter(
        kind=REVIEW_KIND, content_type=ct, object_id=case.pk,
        status__in=[ItemStatus.OPEN, ItemStatus.CLAIMED]).order_by("pk"))


def lock_case(case: VouchCase | int) -> VouchCase:
    """Lock a case (and, first, its queue items) inside the caller's transaction."""
    pk = case if isinstance(case, int) else case.pk
    case_lock_items(VouchCase(pk=pk))
    # of=self: PostgreSQL would otherwise also lock the joined identity and user rows.
    return (VouchCase.objects.select_for_update(of=("self",)).select_related("applicant", "identity", "document_kind")
            .get(pk=pk))


def case_cancel_pending(case: VouchCase) -> list[int]:
    """Close the requests nobody answered: the case no longer needs them (frees the friends' slots)."""
    cancelled = []
    for request in VouchRequest.objects.select_for_update().filter(case=case, status=VouchRequestStatus.PENDING):
        request.transition(to=VouchRequestStatus.CANCELLED)
        request.save(update_fields=["status", "decided_at"])
        cancelled.append(request.pk)
    return cancelled


# --- Starting a case ----------------------------------------------------------------

def vouch_refusal(*, user: User, now: datetime | None = None) -> str:
    """Why `user` may not start a vouch case now ("" when they may); the service checks it again."""
    if user.level >= Level.VERIFIED:
        return _("Your identity is already verified. There is nothing more to do.")
    if user.level < Level.INDIRECT:
        return _("Vouching needs a confirmed mobile number first (level 1). Please confirm your phone number.")
    if selectors.vouch_case_open_for(user) is not None:
        return _("You already have a vouch case in progress. Wait for it to end, or withdraw it to start another.")
    if document_selectors.submission_open_for(user) is not None:
        return _("Your document is being reviewed. Please wait for the decision, or withdraw it to ask friends instead.")
    if selectors.vouch_false_identity_of(user):
        return _("An identity you had confirmed by friends was found to be false. "
                 "Please verify with an identity document instead.")
    count, frees_at = selectors.vouch_cases_window(user, now=now)
    if count >= settings.VOUCH_MAX_CASES_PER_PERIOD:
        when = formats.date_format(timezone.localtime(frees_at), "SHORT_DATETIME_FORMAT") if frees_at else ""
        return ngettext(
            "You have asked friends to vouch %(count)d time in the last %(days)d days, the most allowed. "
            "You can ask again after %(when)s, or verify with a document now.",
            "You have asked friends to vouch %(count)d times in the last %(days)d days, the most allowed. "
            "You can ask again after %(when)s, or verify with a document now.",
            count) % {"count": count, "days": settings.VOUCHER_PERIOD_DAYS, "when": when}
    return ""


def _closed_identity_message() -> str:
    return _("This identity cannot be confirmed by friends. Please verify with an identity document instead.")


def _ineligible_message(rows: Iterable[selectors.FriendEligibility], missing: int) -> str:
    parts = [f"{row.user.display_name}: {' '.join(r.text for r in row.reasons)}" for row in rows if not row.eligible]
    if missing:
        parts.append(ngettext("%(n)d person you chose is not your friend.",
                              "%(n)d people you chose are not your friends.", missing) % {"n": missing})
    return _("Some friends you chose cannot vouch for you now. %(why)s") % {"why": " ".join(parts)}


def vouch_case_create(*, applicant: User, kind: DocumentKind, real_name: str, document_number: str,
                      voucher_ids: Iterable[int], ip: str | None = None, device_id: str = "") -> VouchCase:
    """Store the identity claim and ask the chosen friends; each is told by notification.

    Asks: accounts.policy restrictions and identity checks (moderation.restrictions: a banned identity is refused).
    """
    policy.require(applicant, Action.START_VERIFICATION)
    if not kind.active:
        raise ValidationError({"kind": _("This kind of document is no longer accepted. Please choose another.")})
    try:
        number = number_validate(kind=kind, number=document_number)
    except ValidationError as exc:
        raise ValidationError({"document_number": exc.messages}) from None
    ids = sorted({int(pk) for pk in voucher_ids} - {applicant.pk})
    if len(ids) < settings.VOUCH_REQUIRED:
        raise ValidationError({"vouchers": ngettext("Choose at least %(n)d friend.", "Choose at least %(n)d friends.",
                                                    settings.VOUCH_REQUIRED) % {"n": settings.VOUCH_REQUIRED}})
    if len(ids) > max_asked():
        raise ValidationError({"vouchers": ngettext("Choose at most %(n)d friend.", "Choose at most %(n)d friends.",
                                                    max_asked()) % {"n": max_asked()}})
    # Refused before anything is stored: a closed or false identity must not come back through friends.
    fp = identity_fingerprint(document_type=kind.identity_document_type, normalised_number=number)
    allowed = policy.identity_allowed(fp)
    if not allowed:
        raise ValidationError({"document_number": ValidationError(allowed.reason, code="identity_banned")})
    if selectors.fingerprint_closed(fingerprint=fp):
        raise ValidationError({"document_number": _closed_identity_message()}, code="closed_identity")
    now = timezone.now()
    with transaction.atomic():
        # Locking the applicant serialises two starts of the same person (double click, two tabs).
        locked = User.objects.select_for_update().get(pk=applicant.pk)
        refusal = vouch_refusal(user=locked, now=now)
        if refusal:
            raise ValidationError(refusal, code="refused")
        rows = selectors.voucher_eligibility(locked, only_ids=ids, now=now)
        if len(rows) != len(ids) or not all(row.eligible for row in rows):
            raise ValidationError({"vouchers": _ineligible_message(rows, len(ids) - len(rows))}, code="ineligible")
        identity = identity_store(user=locked, real_name=real_name, document_type=kind.identity_document_type,
                                  document_number=number)
        try:
            with transaction.atomic():
                case = VouchCase.objects.create(applicant=locked, identity=identity, document_kind=kind,
                                                created_at=now, ip_fingerprint=ip_fingerprint(ip),
                                                device_fingerprint=device_fingerprint(device_id))
        except IntegrityError:  # only without row locks (SQLite): the other submit won
            raise ValidationError(_("You already have a vouch case in progress."), code="refused") from None
        expires = now + timedelta(days=settings.VOUCH_REQUEST_EXPIRY_DAYS)
        VouchRequest.objects.bulk_create([
            VouchRequest(case=case, voucher=row.user, applicant=locked, created_at=now, expires_at=expires)
            for row in rows])
        request_ids = dict(VouchRequest.objects.filter(case=case).values_list("voucher_id", "pk"))
        audit.record(actor=locked, action="vouch.case_create", target=case,
                     data={"vouchers": ids, "kind": kind.code})
        for row in rows:
            voucher = row.user
            with _in_language_of(voucher):
                notify(user=voucher, kind="vouch.request",
                       title=_("%(name)s asks you to confirm their real name") % {"name": locked.display_name},
                       body=_("Your friend asks you to vouch that the real name they gave is theirs. "
                              "Only confirm if you know this person and their name. The request expires on %(date)s.")
                       % {"date": formats.date_format(timezone.localtime(expires), "SHORT_DATE_FORMAT")},
                       url=reverse("verification:vouch_request", kwargs={"pk": request_ids[voucher.pk]}))
    return case


# --- Answers from friends ----------------------------------------------------------

def _flag(code: str, text: str, users: Iterable[int]) -> dict[str, Any]:
    return {"code": code, "text": str(text), "users": sorted(set(users))}


def vouch_risk_flags(case: VouchCase, *, now: datetime | None = None) -> list[dict[str, Any]]:
    """What a moderator must look at before this case may be granted (empty when nothing is suspicious).

    Stored in English (the record); the review page shows each flag translated by its code.
    """
    now = now or timezone.now()
    requests = list(VouchRequest.objects.filter(case=case).order_by("pk"))
    confirmed = [r for r in requests if r.status == VouchRequestStatus.CONFIRMED]
    voucher_ids = [r.voucher_id for r in confirmed]
    members = [case.applicant_id, *voucher_ids]
    flags: list[dict[str, Any]] = []
    with translation.override("en"):
        unknown = [r.voucher_id for r in requests if r.status == VouchRequestStatus.UNKNOWN]
        if unknown:
            flags.append(_flag("unknown_person", _("A friend who was asked said they do not know this person."), unknown))
        pairs = selectors.vouch_ring_pairs(applicant_id=case.applicant_id, voucher_ids=voucher_ids)
        if pairs:
            flags.append(_flag("ring", _("Vouches already exist among the applicant and the vouchers "
                                         "(they vouched for each other): a possible ring."), [u for p in pairs for u in p]))
        young = list(User.objects.filter(pk__in=members, date_joined__gt=now - timedelta(
            days=settings.VOUCH_YOUNG_ACCOUNT_DAYS)).values_list("pk", flat=True))
        if young:
            flags.append(_flag("young_account", _("Accounts younger than %(days)d days take part.")
                               % {"days": settings.VOUCH_YOUNG_ACCOUNT_DAYS}, young))
        for code, attr, text in (("shared_ip", "ip_fingerprint", _("The applicant and vouchers used the same address.")),
                                 ("shared_device", "device_fingerprint",
                                  _("The applicant and vouchers used the same device."))):
            seen: dict[str, set[int]] = defaultdict(set)
            if getattr(case, attr):
                seen[getattr(case, attr)].add(case.applicant_id)
            for request in confirmed:
                if getattr(request, attr):
                    seen[getattr(request, attr)].add(request.voucher_id)
            shared = [user for users in seen.values() if len(users) > 1 for user in users]
            if shared:
                flags.append(_flag(code, text, shared))
        if selectors.fingerprint_closed(fingerprint=case.identity.fingerprint):
            flags.append(_flag("closed_identity", _("This identity belongs to a closed or deleted account, "
                                                    "or was found false."), [case.applicant_id]))
        if not policy.identity_allowed(case.identity.fingerprint):
            flags.append(_flag("identity_banned", _("This identity may not be used for a new account (a ban after "
                                                    "a closure): approval will be refused."), [case.applicant_id]))
        struck = list(VoucherStrike.objects.filter(user_id__in=voucher_ids, lifted_at__isnull=True)
                      .values_list("user_id", flat=True))
        if struck:
            flags.append(_flag("voucher_struck", _("A voucher has since lost the right to vouch."), struck))
        others = list(document_selectors.identities_sharing_fingerprint(
            fingerprint=case.identity.fingerprint, exclude_user=case.applicant_id).values_list("user_id", flat=True))
        if others:
            flags.append(_flag("fingerprint_shared", _("This document number was also given by %(n)d other account(s).")
                               % {"n": len(set(others))}, others))
        if identity_cap_check(fingerprint=case.identity.fingerprint, exclude_user=case.applicant,
                              uncounted_user_ids=closure_user_ids()).reached:
            flags.append(_flag("identity_cap_reached", _("This identity is already verified on the most accounts "
                                                         "allowed; approval will be refused."), others))
    return flags


def case_to_review(case: VouchCase, *, flags: list[dict[str, Any]], actor: User | None = None) -> VouchCase:
    """Send a locked case to the moderators' queue instead of (or out of) the waiting period."""
    case.transition(to=VouchCaseStatus.REVIEW)
    case.challenge_ends_at = None
    case.save(update_fields=["status", "challenge_ends_at"])
    case_cancel_pending(case)
    kind = case.document_kind
    review_item_open(kind=REVIEW_KIND, target=case, subject=case.applicant, summary=f"{kind.name_en} / {kind.name_zh}",
                     flags=flags)
    audit.record(actor=actor, action="vouch.flagged", target=case, data={"flags": [f["code"] for f in flags]})
    applicant = case.applicant
    with _in_language_of(applicant):
        notify(user=applicant, kind="vouch.review", title=_("Your vouch case is being checked"),
               body=_("A moderator will look at your case before your identity can be confirmed. "
                      "We will tell you the decision."), url=reverse("verification:vouch"))
    return case


def _reached_quorum(case: VouchCase, *, now: datetime) -> None:
    """The third confirmation: suspicious cases go to the queue, the others start the waiting period."""
    flags = vouch_risk_flags(case, now=now)
    if flags:
        case_to_review(case, flags=flags)
        return
    case.transition(to=VouchCaseStatus.CHALLENGE)
    case.challenge_ends_at = now + timedelta(hours=settings.VOUCH_CHALLENGE_HOURS)
    case.save(update_fields=["status", "challenge_ends_at"])
    audit.record(actor=None, action="vouch.challenge", target=case,
                 data={"ends_at": case.challenge_ends_at.isoformat()})
    applicant = case.applicant
    with _in_language_of(applicant):
        notify(user=applicant, kind="vouch.challenge", title=_("Your friends confirmed your real name"),
               body=_("Unless a problem is found, your identity will be verified on %(when)s.")
               % {"when": formats.date_format(timezone.localtime(case.challenge_ends_at), "SHORT_DATETIME_FORMAT")},
               url=reverse("verification:vouch"))


def _locked_request(vouch_request: VouchRequest, actor: User) -> tuple[VouchCase, VouchRequest]:
    if vouch_request.voucher_id != actor.pk:
        raise PermissionDenied("only the friend asked may answer a vouch request")
    case = lock_case(vouch_request.case_id)
    request = VouchRequest.objects.select_for_update().get(pk=vouch_request.pk)
    return case, request


def _no_longer_open() -> ValidationError:
    return ValidationError(_("This request is no longer waiting for an answer."), code="closed")


def vouch_request_confirm(*, vouch_request: VouchRequest, actor: User, statement: bool, ip: str | None = None,
                          device_id: str = "") -> VouchRequest:
    """The friend confirms the claimed real name; the third confirmation starts the waiting period (once)."""
    if not statement:
        raise ValidationError({"statement": _("Tick the statement to confirm, or decline the request.")})
    now = timezone.now()
    with transaction.atomic():
        case, request = _locked_request(vouch_request, actor)
        if request.status == VouchRequestStatus.CONFIRMED:
            return request  # a double submit: the first one already did it
        if not request.can_transition(VouchRequestStatus.CONFIRMED) or request.expires_at <= now:
            raise _no_longer_open()
        if case.status not in (VouchCaseStatus.COLLECTING, VouchCaseStatus.CHALLENGE):
            raise _no_longer_open()
        # The rules are checked again now: a strike, a penalty or an unfriending since the ask counts.
        # Locking the voucher makes two confirmations by the same person (for two friends) take turns,
        # so both cannot pass the limit on open vouches at once.
        User.objects.select_for_update().filter(pk=actor.pk).first()
        rows = selectors.voucher_eligibility(case.applicant, only_ids=[actor.pk], exclude_case=case, now=now)
        if not rows:
            raise ValidationError(_("You can no longer vouch for this person: you are not friends any more."),
                                  code="ineligible")
        if not rows[0].eligible:
            raise ValidationError(_("You cannot vouch right now. %(why)s")
                                  % {"why": " ".join(r.text for r in rows[0].reasons)}, code="ineligible")
        request.transition(to=VouchRequestStatus.CONFIRMED)
        request.ip_fingerprint = ip_fingerprint(ip)
        request.device_fingerprint = device_fingerprint(device_id)
        request.save(update_fields=["status", "decided_at", "ip_fingerprint", "device_fingerprint"])
        audit.record(actor=actor, action="vouch.confirm", target=request, data={"case": case.pk})
        confirmed = VouchRequest.objects.filter(case=case, status=VouchRequestStatus.CONFIRMED).count()
        if case.status == VouchCaseStatus.COLLECTING and confirmed >= settings.VOUCH_REQUIRED:
            _reached_quorum(case, now=now)
    return request


def case_end_if_short(case: VouchCase, *, to: str) -> bool:
    """End a collecting case that can no longer reach the quorum; True when it ended."""
    if case.status != VouchCaseStatus.COLLECTING:
        return False
    still = VouchRequest.objects.filter(case=case, status__in=[VouchRequestStatus.CONFIRMED,
                                                               VouchRequestStatus.PENDING]).count()
    if still >= settings.VOUCH_REQUIRED:
        return False
    case.transition(to=to)
    case.decided_at = timezone.now()
    case.save(update_fields=["status", "decided_at"])
    case_cancel_pending(case)
    identity_reject(identity=case.identity)
    audit.record(actor=None, action=f"vouch.{to}", target=case)
    applicant = case.applicant
    with _in_language_of(applicant):
        notify(user=applicant, kind=f"vouch.{to}", title=_("Your vouch case has ended"),
               body=_("Not enough friends confirmed your real name in time. You can ask friends again, "
                      "or verify with an identity document."), url=reverse("verification:vouch"))
    return True


def vouch_request_decline(*, vouch_request: VouchRequest, actor: User, unknown: bool = False) -> VouchRequest:
    """The friend declines; "I don't know this person" also sends the case to the moderators."""
    to = VouchRequestStatus.UNKNOWN if unknown else VouchRequestStatus.DECLINED
    with transaction.atomic():
        case, request = _locked_request(vouch_request, actor)
        if request.status in (VouchRequestStatus.DECLINED, VouchRequestStatus.UNKNOWN):
            return request  # a double submit
        if not request.can_transition(to):
            raise _no_longer_open()
        request.transition(to=to)
        request.save(update_fields=["status", "decided_at"])
        audit.record(actor=actor, action=f"vouch.{to}", target=request, data={"case": case.pk})
        if unknown:
            if case.status in (VouchCaseStatus.COLLECTING, VouchCaseStatus.CHALLENGE):
                case_to_review(case, flags=vouch_risk_flags(case))
            elif case.status == VouchCaseStatus.REVIEW:
                review_item_open(kind=REVIEW_KIND, target=case, subject=case.applicant, flags=vouch_risk_flags(case))
        else:
            case_end_if_short(case, to=VouchCaseStatus.INSUFFICIENT)
    return request


# --- The applicant withdraws ---------------------------------------------------------

def vouch_case_withdraw(*, case: VouchCase, actor: User) -> VouchCase:
    """The applicant takes back a running case: the friends' requests close and the claim is dropped."""
    if case.applicant_id != actor.pk:
        raise PermissionDenied("only the applicant may withdraw a vouch case")
    with transaction.atomic():
        case = lock_case(case)
        if case.status == VouchCaseStatus.WITHDRAWN:
            return case  # a double submit
        if not case.can_transition(VouchCaseStatus.WITHDRAWN):
            raise ValidationError(_("This vouch case can no longer be withdrawn."), code="closed")
        case.transition(to=VouchCaseStatus.WITHDRAWN)
        case.decided_at = timezone.now()
        case.save(update_fields=["status", "decided_at"])
        case_cancel_pending(case)
        review_item_withdraw(target=case, kind=REVIEW_KIND, actor=actor, reason="withdrawn by the applicant")
        identity_reject(identity=case.identity)
        audit.record(actor=actor, action="vouch.withdraw", target=case)
    return case


# --- Granting -------------------------------------------------------------------------

def case_grant(case: VouchCase, *, actor: User | None) -> VouchCase:
    """Grant level 2 for a locked case (raises CapReached when the identity holds its accounts already,
    IdentityRefused when it is banned, rejected or revoked).

    Asks: accounts.policy identity checks (moderation.restrictions: an identity ban).
    """
    identity_lock(fingerprint=case.identity.fingerprint)
    if not identity_confirmable(identity=case.identity):
        raise IdentityRefused(policy.Decision(False, reason=str(_("it was rejected or revoked"))))
    # Asked again at the grant: a ban may have come (a closure of another account) since the case began.
    allowed = policy.identity_allowed(case.identity.fingerprint)
    if not allowed:
        raise IdentityRefused(allowed)
    # Closed accounts no longer hold their identity: the ban above decides for them.
    if identity_cap_check(fingerprint=case.identity.fingerprint, exclude_user=case.applicant,
                          uncounted_user_ids=closure_user_ids()).reached:
        raise CapReached
    case.transition(to=VouchCaseStatus.GRANTED)
    case.decided_at = timezone.now()
    case.decided_by = actor
    case.save(update_fields=["status", "decided_at", "decided_by"])
    case_cancel_pending(case)
    identity_confirm(identity=case.identity)
    level_raise(user=case.applicant, to=Level.VERIFIED, source=LevelSource.VOUCH, actor=actor)
    vouchers = list(User.objects.filter(vouch_requests__case=case, vouch_requests__status=VouchRequestStatus.CONFIRMED)
                    .select_related("profile").order_by("pk"))
    audit.record(actor=actor, action="vouch.grant", target=case, data={"vouchers": [v.pk for v in vouchers]})
    applicant = case.applicant
    with _in_language_of(applicant):
        notify(user=applicant, kind="vouch.granted", title=_("Your identity is verified"),
               body=_("Your friends confirmed your real name. You are now at level 2."),
               url=reverse("verification:hub"))
    for voucher in vouchers:
        with _in_language_of(voucher):
            notify(user=voucher, kind="vouch.granted_voucher",
                   title=_("%(name)s is now verified thanks to your vouch") % {"name": applicant.display_name},
                   body=_("You confirmed this person's real name. If you learn it was not true, tell us at once."),
                   url=reverse("verification:vouches"))
    return case


def vouch_case_grant_due(*, case_id: int, now: datetime | None = None) -> str:
    """Grant one case whose waiting period is over; returns "granted", "review", or "" when nothing was due.

    Idempotent: a case already granted (by a concurrent tick), withdrawn or not yet due is left as it is.
    """
    now = now or timezone.now()
    with transaction.atomic():
        try:
            case = lock_case(case_id)
        except VouchCase.DoesNotExist:
            return ""
        if case.status != VouchCaseStatus.CHALLENGE or case.challenge_ends_at is None or case.challenge_ends_at > now:
            return ""
        # Whatever came to light during the waiting period (a strike, a closed account) stops it here.
        flags = vouch_risk_flags(case, now=now)
        if not flags:
            try:
                case_grant(case, actor=None)
                return "granted"
            except (CapReached, IdentityRefused):
                # Another account of this identity was verified between the check above and the lock.
                flags = vouch_risk_flags(case, now=now)
        case_to_review(case, flags=flags)
        return "review"


def vouch_requests_expire_for(*, case_id: int, now: datetime | None = None) -> int:
    """Expire one case's requests past their date, and end the case if it can no longer reach the quorum."""
    now = now or timezone.now()
    with transaction.atomic():
        try:
            case = lock_case(case_id)
        except VouchCase.DoesNotExist:
            return 0
        expired = 0
        for request in VouchRequest.objects.select_for_update().filter(case=case, status=VouchRequestStatus.PENDING,
                                                                       expires_at__lte=now):
            request.transition(to=VouchRequestStatus.EXPIRED)
            request.save(update_fields=["status", "decided_at"])
            expired += 1
        if expired:
            audit.record(actor=None, action="vouch.requests_expire", target=case, data={"expired": expired})
            case_end_if_short(case, to=VouchCaseStatus.EXPIRED)
    return expired


def vouch_cases_tick(*, now: datetime | None = None) -> dict[str, int]:
    """Every few minutes (beat): expire old requests, end cases that cannot finish, grant after the window."""
    now = now or timezone.now()
    expiring = sorted(set(VouchRequest.objects.filter(status=VouchRequestStatus.PENDING, expires_at__lte=now)
                          .values_list("case_id", flat=True)))
    expired = sum(vouch_requests_expire_for(case_id=pk, now=now) for pk in expiring)
    due = list(VouchCase.objects.filter(status=VouchCaseStatus.CHALLENGE, challenge_ends_at__lte=now)
               .order_by("challenge_ends_at", "pk").values_list("pk", flat=True))
    outcomes = [vouch_case_grant_due(case_id=pk, now=now) for pk in due]
    return {"expired_requests": expired, "due": len(due), "granted": outcomes.count("granted"),
            "review": outcomes.count("review")}
