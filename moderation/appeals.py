"""Appeals: one per action, within APPEAL_WINDOW_DAYS, judged by someone other than the moderator who acted
(and, against a closure, by a senior moderator)."""

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.notifications import notify

from . import audit, ladder, services
from .models import Appeal, AppealStatus, Penalty, Rung
from .selectors import appeal_refusal

APPEAL_KIND = "appeal"
STATEMENT_MAX_CHARS = 2000


class AppealError(Exception):
    """An appeal step refused for a reason the user or moderator can understand; the message is safe to show."""


def judge_refusal(penalty: Penalty, reviewer) -> str:
    """Why `reviewer` may not judge an appeal against `penalty` ("" when they may).

    Never the moderator who acted; and a closure, which only a senior moderator may make, is only
    undone (or confirmed) by a senior moderator.
    """
    if penalty.moderator_id is not None and penalty.moderator_id == reviewer.pk:
        return _("You took the action under appeal: someone else must judge the appeal.")
    if penalty.action >= Rung.CLOSE and not ladder.may_close(reviewer):
        return _("Only a senior moderator may judge an appeal against a closure.")
    return ""


def appeal_create(*, penalty: Penalty, appellant, statement: str) -> Appeal:
    """The penalty's owner appeals it once, with a statement; the appeal goes to the queue."""
    statement = (statement or "").strip()
    if not statement:
        raise AppealError(_("Say why the action was wrong."))
    if len(statement) > STATEMENT_MAX_CHARS:
        raise AppealError(_("Please keep it under %(n)d characters.") % {"n": STATEMENT_MAX_CHARS})
    with transaction.atomic():
        penalty = Penalty.objects.select_for_update().get(pk=penalty.pk)
        if penalty.owner_id != appellant.pk:
            raise PermissionDenied("only the owner of a penalty may appeal it")
        refusal = appeal_refusal(penalty)
        if refusal:
            raise AppealError(refusal)
        try:
            with transaction.atomic():
                appeal = Appeal.objects.create(penalty=penalty, appellant=appellant, statement=statement)
        except IntegrityError:  # a double submit on a backend without row locks
            raise AppealError(_("You have already appealed this action. There is one appeal per action.")) from None
        with translation.override(settings.LANGUAGE_CODE):
            summary = _("Appeal against “%(action)s” (%(rule)s)") % {
                "action": penalty.get_action_display(), "rule": penalty.get_rule_display()}
        services.review_item_open(kind=APPEAL_KIND, target=appeal, subject=appellant, summary=summary)
    return appeal


def appeal_decide(*, appeal: Appeal, reviewer, uphold: bool, reply: str = "") -> Appeal:
    """Uphold (undo exactly that action) or deny (a written reply is required); the appellant is told either way.

    Fires: upholding calls moderation.ladder.penalty_overturn, so the hooks user_reopened and penalty_overturned
    and the target's `restore`.
    """
    reply = (reply or "").strip()
    with transaction.atomic():
        appeal = Appeal.objects.select_for_update(of=("self",)).select_related("penalty", "appellant").get(pk=appeal.pk)
        if appeal.status != AppealStatus.PENDING:
            raise AppealError(_("This appeal has already been decided."))
        refusal = judge_refusal(appeal.penalty, reviewer)
        if refusal:
            raise AppealError(refusal)
        if not uphold and not reply:
            raise AppealError(_("Write a reply to the user: it tells them why the appeal is denied."))
        appeal.transition(to=AppealStatus.UPHELD if uphold else AppealStatus.DENIED)
        appeal.decided_at = timezone.now()
        appeal.decided_by = reviewer
        appeal.reply = reply
        appeal.save(update_fields=["status", "decided_at", "decided_by", "reply"])
        if uphold:
            ladder.penalty_overturn(penalty=appeal.penalty, actor=reviewer, reason=reply or "appeal upheld")
        audit.record(actor=reviewer, action="appeal.uphold" if uphold else "appeal.deny", target=appeal, reason=reply,
                     data={"penalty": appeal.penalty_id})
        _tell(appeal)
    return appeal


def _tell(appeal: Appeal) -> None:
    user = appeal.appellant
    if user is None:
        return
    penalty = appeal.penalty
    with translation.override(user.language or settings.LANGUAGE_CODE):
        when = timezone.localtime(penalty.created_at).strftime("%Y-%m-%d %H:%M")
        if appeal.status == AppealStatus.UPHELD:
            title = _("Your appeal was upheld")
            body = _("The action “%(action)s” of %(when)s has been undone, and its strike removed from your record.") % {
                "action": penalty.get_action_display(), "when": when}
        else:
            title = _("Your appeal was denied")
            body = _("The action “%(action)s” of %(when)s stays.") % {"action": penalty.get_action_display(), "when": when}
        if appeal.reply:
            body = f"{body}\n{_('Reply from the moderator: %(reply)s') % {'reply': appeal.reply}}"
        notify(user=user, kind=f"appeal.{appeal.status}", title=title, body=body, url="/me/status/")
