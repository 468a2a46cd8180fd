"""Moderators' decisions on vouch cases, and what follows when a vouched identity is proven false.

A false identity costs each voucher a strike and the right to vouch, drops the applicant back to
level 1, and sends every other case those vouchers confirmed recently back to the queue.
"""

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Level, LevelSource, RealIdentity, User
from accounts.notifications import notify
from accounts.services import identity_reject, identity_revoke, user_level_set
from moderation import audit, ladder, registry
from moderation.models import ItemStatus, Penalty, ReviewItem, Rule, Rung
from moderation.services import QueueError, review_item_open

from . import selectors
from .models import StrikeReason, VouchCase, VouchCaseStatus, VoucherStrike, VouchRequest, VouchRequestStatus
from .services import (
    REVIEW_KIND,
    CapReached,
    IdentityRefused,
    case_cancel_pending,
    case_grant,
    case_lock_items,
    case_to_review,
    lock_case,
)

APPROVE, REJECT, DOCUMENT, UPHOLD, FALSE_IDENTITY = "approve", "reject", "document", "uphold", "false_identity"
# A case is in review only because it was flagged: approving it anyway is explained in writing.
APPROVE_NOTE_REQUIRED = gettext_lazy("This case was flagged: write why you approve it despite the flags.")


def _in_language_of(user: User):
    return translation.override(getattr(user, "language", None) or settings.LANGUAGE_CODE)


def confirmed_count(case: VouchCase) -> int:
    return VouchRequest.objects.filter(case=case, status=VouchRequestStatus.CONFIRMED).count()


def _end(case: VouchCase, *, to: str, reviewer: User, note: str) -> None:
    case.transition(to=to)
    case.decided_at = timezone.now()
    case.decided_by = reviewer
    case.note = note
    case.save(update_fields=["status", "decided_at", "decided_by", "note"])
    case_cancel_pending(case)
    identity_reject(identity=case.identity)
    applicant = case.applicant
    with _in_language_of(applicant):
        if to == VouchCaseStatus.DOCUMENT_REQUIRED:
            notify(user=applicant, kind="vouch.document_required", title=_("Please verify with a document"),
                   body=_("A moderator could not confirm your identity through your friends. "
                          "Please upload an identity document instead."), url=reverse("verification:document"))
        else:
            notify(user=applicant, kind="vouch.rejected", title=_("Your vouch case was not accepted"),
                   body=_("A moderator could not confirm your identity through your friends. "
                          "You can verify with an identity document."), url=reverse("verification:hub"))


def vouch_case_decide(*, case: VouchCase, reviewer: User, decision: str, note: str = "",
                      item: ReviewItem | None = None) -> VouchCase:
    """Apply a queue decision to a case; called by the "vouch" kind inside the queue's transaction.

    Fires: marking false goes through vouch_identity_mark_false (moderation.ladder.penalty_apply for each voucher).
    """
    with transaction.atomic():
        case = lock_case(case)
        if decision == FALSE_IDENTITY:
            return vouch_identity_mark_false(case=case, moderator=reviewer, note=note, item=item)
        if decision == UPHOLD:
            if case.status != VouchCaseStatus.GRANTED:
                raise QueueError(_("This decision is not available."))
            audit.record(actor=reviewer, action="vouch.uphold", target=case, data={"item": getattr(item, "pk", None)})
            return case
        if case.status != VouchCaseStatus.REVIEW:
            raise QueueError(_("This vouch case is no longer waiting for review."))
        if decision == APPROVE:
            if not (note or "").strip():
                raise QueueError(str(APPROVE_NOTE_REQUIRED))
            if confirmed_count(case) < settings.VOUCH_REQUIRED:
                raise QueueError(_("Fewer than %(n)d friends confirmed: this case cannot be approved.")
                                 % {"n": settings.VOUCH_REQUIRED})
            try:
                case_grant(case, actor=reviewer)
            except CapReached:
                raise QueueError(_("This identity is already verified on the most accounts allowed. "
                                   "It cannot be approved; reject it or ask for a document instead.")) from None
            except IdentityRefused as exc:
                raise QueueError(_("This identity may not be approved: %(reason)s")
                                 % {"reason": exc.decision.reason}) from None
            case.note = note
            case.save(update_fields=["note"])
        elif decision == REJECT:
            _end(case, to=VouchCaseStatus.REJECTED, reviewer=reviewer, note=note)
        elif decision == DOCUMENT:
            _end(case, to=VouchCaseStatus.DOCUMENT_REQUIRED, reviewer=reviewer, note=note)
        else:
            raise QueueError(_("This decision is not available."))
        # No note here: it is free text, and the audit log must never carry a name or a number.
        audit.record(actor=reviewer, action=f"vouch.{decision}", target=case, data={"item": getattr(item, "pk", None)})
    return case


# --- A false identity and its consequences ----------------------------------------------

def _recheck_flag(voucher_ids, false_case_id: int) -> dict:
    with translation.override("en"):
        return {"code": "recheck", "users": sorted(set(voucher_ids)), "false_case": false_case_id,
                "text": _("A voucher of this case vouched for an identity that was found false: check it again.")}


def _recheck(case_id: int, *, voucher_ids: list[int], false_case_id: int, moderator: User) -> str:
    """Send one case confirmed by struck vouchers back to the queue; returns what happened (for the audit)."""
    case = lock_case(case_id)
    involved = list(VouchRequest.objects.filter(case=case, voucher_id__in=voucher_ids,
                                                status=VouchRequestStatus.CONFIRMED).values_list("voucher_id", flat=True))
    flag = _recheck_flag(involved, false_case_id)
    if case.status == VouchCaseStatus.CHALLENGE:
        case_to_review(case, flags=[flag], actor=moderator)
    elif case.status in (VouchCaseStatus.GRANTED, VouchCaseStatus.REVIEW):
        # A granted case keeps its level until a moderator decides (uphold, or false identity).
        review_item_open(kind=REVIEW_KIND, target=case, subject=case.applicant,
                         summary=f"{case.document_kind.name_en} / {case.document_kind.name_zh}", flags=[flag])
    else:
        # Still collecting: the struck voucher is flagged when the case reaches its quorum.
        return "skipped"
    audit.record(actor=moderator, action="vouch.recheck", target=case, data={"false_case": false_case_id})
    return case.status


def _withdraw_other_items(case: VouchCase, *, keep: ReviewItem | None, actor: User) -> None:
    # Decided outside the queue (or through another item): nothing is left to decide on these.
    for other in case_lock_items(case):
        if keep is not None and other.pk == keep.pk:
            continue
        other.transition(to=ItemStatus.WITHDRAWN)
        other.save(update_fields=["status"])
        audit.record(actor=actor, action=f"review.{REVIEW_KIND}.withdraw", target=other,
                     reason="the identity was marked false")


def may_mark_false(user: User) -> bool:
    """Whether `user` may mark a vouched identity false (whoever may review vouch cases)."""
    try:
        kind = registry.get(REVIEW_KIND)
    except KeyError:  # pragma: no cover - registered in ready()
        return False
    return registry.may_review(user, kind)


def vouch_identity_mark_false(*, case: VouchCase, moderator: User, note: str,
                              item: ReviewItem | None = None) -> VouchCase:
    """A granted identity is false: level 1 again, strikes for the vouchers, their other cases re-checked.

    Fires: moderation.ladder.penalty_apply (a warning) for each voucher, so moderation.hooks penalty_applied;
    asks moderation.registry conflict checks (social: friends) first.
    """
    if not may_mark_false(moderator):
        raise PermissionDenied("only moderators may mark a vouched identity false")
    if registry.has_conflict(moderator, case.applicant):
        raise QueueError(_("You may not review an item of your own or of a friend."))
    if not (note or "").strip():
        raise ValidationError({"note": _("Write a note: why is this identity false?")})
    now = timezone.now()
    with transaction.atomic():
        case = lock_case(case)
        if case.status == VouchCaseStatus.FALSE_IDENTITY:
            return case  # a double submit
        if not case.can_transition(VouchCaseStatus.FALSE_IDENTITY):
            raise QueueError(_("Only a granted vouch case can be marked false."))
        case.transition(to=VouchCaseStatus.FALSE_IDENTITY)
        case.decided_at = now
        case.decided_by = moderator
        case.note = note
        case.save(update_fields=["status", "decided_at", "decided_by", "note"])
        _withdraw_other_items(case, keep=item, actor=moderator)
        identity_revoke(identities=RealIdentity.objects.filter(pk=case.identity_id))
        applicant = User.objects.select_for_update().get(pk=case.applicant_id)
        lowered = applicant.level >= Level.VERIFIED and applicant.level_source == LevelSource.VOUCH
        if lowered:
            user_level_set(user=applicant, level=Level.INDIRECT, actor=moderator, source=LevelSource.PHONE,
                           reason="vouched identity found false")
        vouchers = list(User.objects.filter(vouch_requests__case=case,
                                            vouch_requests__status=VouchRequestStatus.CONFIRMED).order_by("pk"))
        if any(v.pk == moderator.pk for v in vouchers):
            # A voucher who has since unfriended the applicant passes the conflict check above, but would be
            # judging (and warning) themselves.
            raise QueueError(_("You vouched in this case: someone else must decide it."))
        for voucher in vouchers:
            penalty = _warn_voucher(voucher, case=case, moderator=moderator)
            strike, _created = VoucherStrike.objects.get_or_create(user=voucher, case=case, defaults={
                "reason": StrikeReason.FALSE_IDENTITY, "created_at": now, "created_by": moderator})
            strike.moderation_ref = penalty_ref(penalty)
            strike.save(update_fields=["moderation_ref"])
            audit.record(actor=moderator, action="vouch.strike", target=voucher,
                         data={"case": case.pk, "penalty": penalty.pk})
        voucher_ids = [v.pk for v in vouchers]
        since = now - timedelta(days=settings.VOUCH_RECHECK_DAYS)
        rechecked = {}
        for other_id in selectors.vouch_cases_confirmed_by(voucher_ids=voucher_ids, since=since,
                                                           exclude_case_id=case.pk):
            rechecked[str(other_id)] = _recheck(other_id, voucher_ids=voucher_ids, false_case_id=case.pk,
                                                moderator=moderator)
        # No note and no identity here: the audit log must never carry a name or a number.
        audit.record(actor=moderator, action="vouch.false_identity", target=case, data={
            "item": getattr(item, "pk", None), "level_lowered": lowered, "vouchers": voucher_ids,
            "rechecked": rechecked})
        with _in_language_of(applicant):
            notify(user=applicant, kind="vouch.false_identity", title=_("Your identity could not be upheld"),
                   body=_("A moderator found that the identity your friends confirmed is not true. You are back at "
                          "level 1. To verify again, please upload an identity document."),
                   url=reverse("verification:document"))
        for voucher in vouchers:
            with _in_language_of(voucher):
                # In the app only: the ladder's warning (penalty_apply) already went by email, with how to appeal.
                notify(user=voucher, kind="vouch.strike", title=_("You vouched for a false identity"),
                       body=_("An identity you confirmed was found to be false. You received a strike and can no "
                              "longer vouch for anyone. The other people you vouched for will be checked again."),
                       url=reverse("verification:vouches"), email=False)
    return case


# --- Strikes on vouchers are the ladder's strikes ---------------------------------------

def penalty_ref(penalty: Penalty) -> str:
    """What VoucherStrike.moderation_ref stores for the ladder's penalty behind a strike."""
    return f"penalty:{penalty.pk}"


def _warn_voucher(voucher: User, *, case: VouchCase, moderator: User) -> Penalty:
    """A warning on the ladder (rule: the authenticity of information): a strike on record, and an appeal to undo it."""
    with _in_language_of(voucher):
        # The voucher reads the reason in the notice; no name and no number in it (it is audited too).
        reason = _("You confirmed the real name of someone whose identity was found to be false (vouch case #%(case)d). "
                   "You can no longer vouch for anyone.") % {"case": case.pk}
    return ladder.penalty_apply(target_user=voucher, action=Rung.WARN, rule=Rule.AUTHENTICITY, reason=reason,
                                moderator=moderator, extra_audit={"vouch_case": case.pk})


def voucher_strikes_lift(*, penalty: Penalty, actor) -> int:
    """The moderation hook on_penalty_overturned: an upheld appeal of a voucher's warning restores the right to vouch."""
    now = timezone.now()
    lifted = 0
    for strike in VoucherStrike.objects.select_for_update().filter(moderation_ref=penalty_ref(penalty),
                                                                   lifted_at__isnull=True):
        strike.lifted_at = now
        strike.save(update_fields=["lifted_at"])
        audit.record(actor=actor, action="vouch.strike_lift", target=strike,
                     data={"penalty": penalty.pk, "case": strike.case_id})
        lifted += 1
    return lifted
