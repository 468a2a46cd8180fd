"""The enforcement ladder: apply a rung, overturn it, tell the owner when a timed one ended.

`penalty_apply()` is the one way any part of the product (the report queue, the staff console,
verification's strikes on vouchers) warns, restricts, suspends or closes.
"""

from datetime import timedelta

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import IdentityStatus, RealIdentity, User
from accounts.notifications import notify

from . import audit, hooks, selectors, targets
from .models import TIMED_RUNGS, IdentityBan, Penalty, PenaltyStatus, Rule, Rung, Strike

SENIOR_GROUP = "senior moderator"
MAX_DURATION_DAYS = 3650
FOREVER = "forever"


class PenaltyError(Exception):
    """A ladder step refused for a reason the moderator can fix; the message is safe to show."""


def may_close(user) -> bool:
    """Closing an account is for senior moderators (and superusers) only."""
    return bool(user and (user.is_superuser or user.groups.filter(name=SENIOR_GROUP).exists()))


def _when(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def _clean_days(value, *, message: str) -> int:
    try:
        days = int(value)
    except (TypeError, ValueError):
        raise PenaltyError(message) from None
    if not 1 <= days <= MAX_DURATION_DAYS:
        raise PenaltyError(message)
    return days


def _clean_ban(ban_days):
    """None, FOREVER, or a number of days; anything else is refused."""
    if ban_days in (None, ""):
        raise PenaltyError(_("Choose how long this identity may not open a new account: a number of days, or for ever."))
    if ban_days == FOREVER:
        return FOREVER
    return _clean_days(ban_days, message=_("The ban on a new account must last 1 to %(max)d days, or for ever.")
                       % {"max": MAX_DURATION_DAYS})


def _identity_fingerprints(user) -> list[str]:
    # Pending claims count too: someone closed mid-verification must not simply start again.
    return sorted(set(RealIdentity.objects.filter(user=user).exclude(status=IdentityStatus.REJECTED)
                      .values_list("fingerprint", flat=True)))


def penalty_apply(*, target_user=None, public_account=None, action, rule, reason, duration_days=None, moderator,
                  remove_content=None, case=None, ban_days=None, extra_audit: dict | None = None) -> Penalty:
    """Apply one rung to a user account or to one public account: penalty, strike, take-down, ban, audit, notice.

    `ban_days` (closing a user account only): days the identity may not open a new account, or "forever".

    Fires (inside the transaction; `manage.py show_wiring` lists who listens):
    moderation.targets — the subject's `owner` and the removed content's `remove` (social moments and comments,
    publicaccounts articles); moderation.hooks user_closed (closing a user: publicaccounts closes their public
    accounts) and penalty_applied (publicaccounts closes a public account on its closing rung); accounts.audit
    recorder. Afterwards every write asks accounts.policy, whose restriction rule (moderation.restrictions) sees it.
    """
    if (target_user is None) == (public_account is None):
        raise ValueError("penalty_apply needs exactly one of target_user and public_account")
    try:
        action = Rung(int(action))
    except (TypeError, ValueError):
        raise PenaltyError(_("Choose an action of the ladder.")) from None
    if rule not in Rule.values:
        raise PenaltyError(_("Choose the rule that was broken."))
    reason = (reason or "").strip()
    if not reason:
        raise PenaltyError(_("Write the reason: the user reads it."))
    if action in TIMED_RUNGS:
        duration_days = _clean_days(duration_days, message=_("Choose a duration of 1 to %(max)d days.")
                                    % {"max": MAX_DURATION_DAYS})
    else:
        duration_days = None
    if action == Rung.CLOSE and not may_close(moderator):
        raise PenaltyError(_("Only a senior moderator may close an account."))
    ban = _clean_ban(ban_days) if action == Rung.CLOSE and target_user is not None else None
    if public_account is not None:
        subject_type = targets.for_object(public_account)
        if subject_type is None:
            raise ValueError(f"no target type is registered for {type(public_account).__name__}")
        owner = subject_type.owner(public_account)
    else:
        owner = target_user
    if owner is not None and owner.pk == moderator.pk:
        raise PenaltyError(_("You may not act on your own account."))
    removed_type = targets.for_object(remove_content) if remove_content is not None else None
    if remove_content is not None and (removed_type is None or not removed_type.removable):
        raise PenaltyError(_("This content cannot be removed."))

    now = timezone.now()
    with transaction.atomic():
        if target_user is not None:
            # Decisions on one account are taken one at a time (two moderators, two cases).
            User.objects.select_for_update().filter(pk=target_user.pk).first()
        penalty = Penalty.objects.create(
            user=target_user, owner=owner, action=action, rule=rule, reason=reason, moderator=moderator, case=case,
            content_type=ContentType.objects.get_for_model(public_account) if public_account is not None else None,
            object_id=public_account.pk if public_account is not None else None,
            created_at=now, ends_at=now + timedelta(days=duration_days) if duration_days else None,
        )
        Strike.objects.create(user=owner, penalty=penalty, severity=action, rule=rule, created_at=now)
        if removed_type is not None:
            removed_type.remove(remove_content, moderator)
            penalty.removed = {"key": removed_type.key, "pk": remove_content.pk}
            penalty.save(update_fields=["removed"])
        fingerprints = []
        if ban is not None:
            fingerprints = _identity_fingerprints(target_user)
            until = None if ban == FOREVER else now + timedelta(days=ban)
            IdentityBan.objects.bulk_create([IdentityBan(fingerprint=fp, until=until, penalty=penalty, created_at=now)
                                             for fp in fingerprints])
        extra = dict(extra_audit or {})
        # Free text belongs to the erasable note, never to the entry's data.
        rung_reason = str(extra.pop("rung_reason", "") or "").strip()
        if rung_reason:
            extra["rung_reason_given"] = True
        note = f"{reason}\n\n[another rung than suggested] {rung_reason}" if rung_reason else reason
        data = {
            "subject": f"user:{target_user.pk}" if target_user is not None else f"public_account:{public_account.pk}",
            "owner": owner.pk if owner is not None else None, "rule": rule, "duration_days": duration_days,
            "ends_at": penalty.ends_at.isoformat() if penalty.ends_at else None, "removed": penalty.removed or None,
            "identity_ban": ban, "identities_banned": len(fingerprints), "case": case.pk if case else None,
            **extra,
        }
        audit.record(actor=moderator, action=f"penalty.{action.name.lower()}", target=penalty, reason=note,
                     subject=owner, data=data)
        if action == Rung.CLOSE and target_user is not None:
            hooks.on_user_closed.send(user=target_user, penalty=penalty, actor=moderator)
        hooks.on_penalty_applied.send(penalty=penalty, actor=moderator)
        if owner is not None:
            _notify_applied(penalty, owner=owner, public_account=public_account, ban=ban)
    selectors.forget_penalties(target_user)
    if public_account is not None:
        selectors.forget_penalties(public_account)
    return penalty


def _title(action: int, public_name: str | None) -> str:
    if public_name is not None:
        titles = {
            Rung.WARN: _("Your public account “%(name)s” received a warning"),
            Rung.RESTRICT: _("Publishing is restricted on your public account “%(name)s”"),
            Rung.SUSPEND: _("Your public account “%(name)s” is suspended"),
            Rung.CLOSE: _("Your public account “%(name)s” is closed"),
        }
        return titles[action] % {"name": public_name}
    return {
        Rung.WARN: _("You received a warning"),
        Rung.RESTRICT: _("Your publishing is restricted"),
        Rung.SUSPEND: _("Your account is suspended"),
        Rung.CLOSE: _("Your account is closed"),
    }[action]


def _effect(action: int) -> str:
    return {
        Rung.WARN: _("This is a warning: nothing is taken away, but it stays on your record and a further breach "
                     "leads to a stronger measure."),
        Rung.RESTRICT: _("Until then, no new moments, comments or articles can be published."),
        Rung.SUSPEND: _("Until then, nothing new can be published and nothing can be changed."),
        Rung.CLOSE: _("The account can no longer be used and its content is hidden."),
    }[action]


def penalty_notice(penalty: Penalty, *, public_account=None, ban=None) -> tuple[str, str, str]:
    """(title, body, url) the owner reads about `penalty`, in the active language (saved or not yet saved)."""
    lines = [
        _("What: %(action)s") % {"action": penalty.get_action_display()},
        _("Why: %(reason)s") % {"reason": penalty.reason},
        _("Rule broken: %(rule)s") % {"rule": penalty.get_rule_display()},
    ]
    if penalty.ends_at:
        lines.append(_("Until: %(until)s (it ends by itself)") % {"until": _when(penalty.ends_at)})
    elif penalty.action == Rung.CLOSE:
        lines.append(_("Until: no end date"))
    lines.append(_effect(penalty.action))
    if ban == FOREVER:
        lines.append(_("Your real identity may not be used to open a new account."))
    elif ban is not None:
        lines.append(_("Your real identity may not be used to open a new account before %(until)s.")
                     % {"until": _when(penalty.created_at + timedelta(days=ban))})
    lines.append(_("How to appeal: you may appeal once, within %(days)d days (until %(deadline)s), from your "
                   "status page. Someone other than the moderator who acted decides.")
                 % {"days": selectors.appeal_window().days, "deadline": _when(penalty.created_at + selectors.appeal_window())})
    title = _title(penalty.action, str(public_account) if public_account is not None else None)
    url = "/me/closed/" if penalty.action == Rung.CLOSE and public_account is None else "/me/status/"
    return title, "\n".join(lines), url


def penalty_preview(*, action, rule, reason, duration_days=None, ban_days=None, public_account=None,
                    now=None) -> Penalty:
    """An unsaved penalty as penalty_apply() would create it now, for a confirmation page (nothing is written)."""
    now = now or timezone.now()
    action = Rung(int(action))
    days = int(duration_days) if action in TIMED_RUNGS and duration_days else None
    return Penalty(action=action, rule=rule, reason=(reason or "").strip(), created_at=now,
                   ends_at=now + timedelta(days=days) if days else None)


def penalty_notice_translations(penalty: Penalty, *, public_account=None, ban=None) -> list[dict]:
    """The notice in every language of the site: [{"code", "name", "title", "body"}] for a confirmation page."""
    rows = []
    for code, name in settings.LANGUAGES:
        with translation.override(code):
            title, body, _url = penalty_notice(penalty, public_account=public_account, ban=ban)
            rows.append({"code": code, "name": translation.gettext(name), "title": title, "body": body})
    return rows


def _notify_applied(penalty: Penalty, *, owner, public_account, ban) -> None:
    """Tell the owner what happened, why, which rule, until when and how to appeal (in-app and by email)."""
    with translation.override(getattr(owner, "language", None) or settings.LANGUAGE_CODE):
        title, body, url = penalty_notice(penalty, public_account=public_account, ban=ban)
        notify(user=owner, kind=f"penalty.{Rung(penalty.action).name.lower()}", title=title, body=body, url=url)


def penalty_overturn(*, penalty: Penalty, actor, reason: str = "") -> Penalty:
    """Undo exactly this action: lift it now, overturn its strike, restore its content, lift its closure and bans.

    Fires (inside the transaction): moderation.targets — the removed content's `restore`; moderation.hooks
    user_reopened (undoing a closure: publicaccounts reopens what it closed) and penalty_overturned
    (publicaccounts reopens a closed public account, verification.vouching lifts the voucher's strike).
    """
    now = timezone.now()
    with transaction.atomic():
        penalty = Penalty.objects.select_for_update(of=("self",)).select_related("user").get(pk=penalty.pk)
        if penalty.status == PenaltyStatus.OVERTURNED:
            return penalty  # idempotent: a repeat changes nothing
        # Only a senior moderator may close an account, so only a senior moderator may undo a closure.
        if penalty.action >= Rung.CLOSE and actor is not None and not may_close(actor):
            raise PenaltyError(_("Only a senior moderator may undo a closure."))
        penalty.transition(to=PenaltyStatus.OVERTURNED)
        penalty.overturned_at = now
        penalty.overturned_by = actor
        if penalty.ends_at is None or penalty.ends_at > now:
            penalty.ends_at = now
        # The decision on the appeal tells the owner; the "it ended" notice must not follow it.
        penalty.notified_end_at = penalty.notified_end_at or now
        penalty.save(update_fields=["status", "overturned_at", "overturned_by", "ends_at", "notified_end_at"])
        Strike.objects.filter(penalty=penalty, overturned_at__isnull=True).update(overturned_at=now)
        restored = False
        if penalty.removed:
            removed_type, obj = targets.resolve(penalty.removed.get("key", ""), penalty.removed.get("pk"))
            if removed_type is not None and obj is not None:
                removed_type.restore(obj, actor)
                restored = True
        lifted = IdentityBan.objects.filter(penalty=penalty, lifted_at__isnull=True).update(lifted_at=now)
        if penalty.action == Rung.CLOSE and penalty.user is not None:
            hooks.on_user_reopened.send(user=penalty.user, penalty=penalty, actor=actor)
        hooks.on_penalty_overturned.send(penalty=penalty, actor=actor)
        audit.record(actor=actor, action="penalty.overturn", target=penalty, reason=reason,
                     data={"content_restored": restored, "identity_bans_lifted": lifted})
    selectors.forget_penalties(penalty.user)
    return penalty


def penalty_notify_ended(*, penalty_id: int) -> bool:
    """Tell the owner that a timed penalty ended by itself; once only (True when told now)."""
    now = timezone.now()
    with transaction.atomic():
        penalty = (Penalty.objects.select_for_update(of=("self",)).select_related("owner")
                   .filter(pk=penalty_id, status=PenaltyStatus.ACTIVE, action__in=TIMED_RUNGS,
                           notified_end_at__isnull=True, ends_at__lte=now).first())
        if penalty is None:
            return False
        penalty.notified_end_at = now
        penalty.save(update_fields=["notified_end_at"])
        owner = penalty.owner
        if owner is None:
            return False
        with translation.override(getattr(owner, "language", None) or settings.LANGUAGE_CODE):
            title = (_("Your publishing restriction has ended") if penalty.action == Rung.RESTRICT
                     else _("Your suspension has ended"))
            body = _("The measure “%(action)s” applied on %(start)s ended on %(end)s. It stays on your record.") % {
                "action": penalty.get_action_display(), "start": _when(penalty.created_at), "end": _when(penalty.ends_at)}
            notify(user=owner, kind="penalty.ended", title=title, body=body, url="/me/status/")
    return True
