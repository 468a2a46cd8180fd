"""How penalties reach every write: rules registered with accounts.policy in ModerationConfig.ready().

Personal accounts: `accounts.policy.check(user, action)` asks `user_rule` below, so nothing else
needs calling. Public accounts: publicaccounts calls `public_account_check(account, action)` (or
`public_account_require`) before an account publishes, in addition to the operator's own
`policy.require(user, Action.PUBLISH_ARTICLE)`.
"""

from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.policy import Action, Decision, PolicyDenied

from . import selectors
from .models import Rung

STATUS_URL = "/me/status/"
CLOSED_URL = "/me/closed/"

_RESTRICTED = frozenset({Action.POST_MOMENT, Action.COMMENT, Action.PUBLISH_ARTICLE})
# Suspended: nothing new and nothing edited. Still open: reporting (someone frozen may still see
# abuse), identity verification (a compliance step, not content) and, outside the policy, appeals.
_SUSPENDED = _RESTRICTED | frozenset({
    Action.EDIT_CONTENT, Action.EDIT_PROFILE, Action.ADD_FRIEND, Action.CHANGE_FRIENDS, Action.VOUCH,
    Action.REGISTER_PUBLIC_ACCOUNT, Action.APPLY_QUALIFICATION,
})

# What each rung takes away; a rung added later in a gap takes what the rung below it takes.
BLOCKED_BY_RUNG: dict[int, frozenset] = {
    Rung.WARN: frozenset(),
    Rung.RESTRICT: _RESTRICTED,
    Rung.SUSPEND: _SUSPENDED,
    Rung.CLOSE: frozenset(Action),
}


def blocked_actions(rung: int) -> frozenset:
    """The actions a penalty of this rung refuses."""
    return BLOCKED_BY_RUNG[max((r for r in BLOCKED_BY_RUNG if r <= rung), default=Rung.WARN)]


def _when(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def _decision(penalty, *, public: bool) -> Decision:
    """The refusal for one penalty: what, until when, and where to read why and appeal."""
    until = penalty.ends_at
    if penalty.action >= Rung.CLOSE:
        reason = (_("This public account is closed for breaking the rules.") if public
                  else _("Your account is closed for breaking the rules."))
        return Decision(False, reason=reason, unlock_url=STATUS_URL if public else CLOSED_URL,
                        unlock_label=_("See why and how to appeal"))
    if penalty.action >= Rung.SUSPEND:
        reason = (_("This public account is suspended until %(until)s: it cannot publish or change anything.") if public
                  else _("Your account is suspended until %(until)s: you cannot publish or change anything."))
    else:
        reason = (_("Publishing is restricted on this public account until %(until)s.") if public
                  else _("Your publishing is restricted until %(until)s: no new moments, comments or articles."))
    return Decision(False, reason=reason % {"until": _when(until)}, unlock_url=STATUS_URL,
                    unlock_label=_("See why and how to appeal"), until=until)


def user_rule(user, action) -> Decision | None:
    """The accounts.policy restriction: refuse what the personal account's penalties in force take away."""
    for penalty in selectors.penalties_in_force(user):  # most severe first
        if action in blocked_actions(penalty.action):
            return _decision(penalty, public=False)
    return None


def public_account_check(account, action) -> Decision:
    """Whether a public account may do `action` now, given the penalties on it (one query per account object).

    A suspended public account publishes nothing; a restricted one publishes no articles; a closed one
    does nothing. The operator's own penalties are checked separately by accounts.policy.
    """
    penalty = selectors.public_account_penalty(account)
    if penalty is not None and action in blocked_actions(penalty.action):
        return _decision(penalty, public=True)
    return Decision(True)


def public_account_require(account, action) -> None:
    """Raise accounts.policy.PolicyDenied unless the public account may do `action` now."""
    decision = public_account_check(account, action)
    if not decision.allowed:
        raise PolicyDenied(decision)


def identity_rule(fingerprint: str) -> Decision | None:
    """The accounts.policy identity check: a banned identity may not open a new account."""
    ban = selectors.identity_banned(fingerprint)
    if ban is None:
        return None
    if ban.until is None:
        reason = _("This identity belongs to an account that was closed; it may not be used for a new account.")
    else:
        reason = _("This identity belongs to an account that was closed; it may not be used for a new account "
                   "before %(until)s.") % {"until": _when(ban.until)}
    return Decision(False, reason=reason, until=ban.until)
