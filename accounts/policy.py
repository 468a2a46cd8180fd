"""The one place that answers "may this user do X now?".

Services call `require()` before a write; pages call `check()` to show the reason and
how to unlock. An account waiting to be deleted may do nothing until its owner cancels
(accounts' own rule, checked here). Apps above accounts add their rules (moderation's penalties) with
`register_restriction()`, and checks on a real identity with `register_identity_check()`,
so a rule lives in one function only and accounts imports none of them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, TypeAlias

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core import wiring

from .models import DeletionRequest, Level, User
from .selectors import deletion_pending_for

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser


class Action(StrEnum):
    POST_MOMENT = "post_moment"
    COMMENT = "comment"
    ADD_FRIEND = "add_friend"
    # Undoing a relation (decline or withdraw a friend request, unfriend): no level needed, but a
    # suspended account, one waiting to be deleted or an inactive one changes nothing.
    CHANGE_FRIENDS = "change_friends"
    REPORT = "report"
    EDIT_PROFILE = "edit_profile"
    START_VERIFICATION = "start_verification"
    VOUCH = "vouch"
    REGISTER_PUBLIC_ACCOUNT = "register_public_account"
    APPLY_QUALIFICATION = "apply_qualification"
    # Changing something already published (a moment, a comment, an article).
    EDIT_CONTENT = "edit_content"
    PUBLISH_ARTICLE = "publish_article"
    # Using the site at all once logged in; the closed-account gate asks this on every request.
    LOG_IN = "log_in"


# The level each action needs (DOMAIN.md §1, verification levels).
REQUIRED_LEVEL: dict[Action, int] = {
    Action.POST_MOMENT: Level.INDIRECT,
    Action.COMMENT: Level.INDIRECT,
    Action.ADD_FRIEND: Level.INDIRECT,
    Action.CHANGE_FRIENDS: Level.REGISTERED,
    Action.REPORT: Level.INDIRECT,
    Action.EDIT_PROFILE: Level.REGISTERED,
    Action.START_VERIFICATION: Level.REGISTERED,
    Action.VOUCH: Level.VERIFIED,
    Action.REGISTER_PUBLIC_ACCOUNT: Level.VERIFIED,
    Action.APPLY_QUALIFICATION: Level.VERIFIED,
    Action.EDIT_CONTENT: Level.REGISTERED,
    # Articles belong to public accounts, which need level 2 to exist; publishing needs no more.
    Action.PUBLISH_ARTICLE: Level.VERIFIED,
    Action.LOG_IN: Level.REGISTERED,
}


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str = ""
    unlock_url: str = ""
    unlock_label: str = ""
    # When a refusal ends by itself (a timed penalty); None when it does not.
    until: datetime | None = None

    def __bool__(self) -> bool:
        return self.allowed


class PolicyDenied(Exception):
    """Raised by services when the policy refuses; carries the Decision for the page."""

    def __init__(self, decision: Decision):
        super().__init__(str(decision.reason))
        self.decision = decision


ALLOWED = Decision(allowed=True)
VERIFY_HUB_URL = "/verify/"


def _level_decision(user: User, needed: int) -> Decision:
    if user.level >= needed:
        return ALLOWED
    if needed == Level.INDIRECT:
        return Decision(
            False,
            reason=str(_("You need to confirm a mobile number first (level 1).")),
            unlock_url=reverse("accounts:phone"),
            unlock_label=str(_("Confirm your phone number")),
        )
    if user.level < Level.INDIRECT:
        return Decision(
            False,
            reason=str(_("Only users with a verified real identity (level 2) can do this.")),
            unlock_url=reverse("accounts:phone"),
            unlock_label=str(_("Start by confirming your phone number")),
        )
    return Decision(
        False,
        reason=str(_("Only users with a verified real identity (level 2) can do this.")),
        # A stable URL (ARCHITECTURE.md) rather than a reverse(): accounts imports no app above it.
        unlock_url=VERIFY_HUB_URL,
        unlock_label=str(_("Verify your identity")),
    )


# Apps above accounts (moderation's penalties) add their rules here in AppConfig.ready(), so this
# module stays the one place every write asks, without importing them.
RestrictionRule: TypeAlias = Callable[[User, Action], "Decision | None"]
IdentityCheck: TypeAlias = Callable[[str], "Decision | None"]
_restrictions: list[RestrictionRule] = []


def register_restriction(rule: RestrictionRule) -> None:
    """Add `rule(user, action) -> Decision | None`; a Decision that is not allowed refuses the action."""
    if rule not in _restrictions:
        _restrictions.append(rule)


def unregister_restriction(rule: RestrictionRule) -> None:
    """Remove a rule (for tests and the benchmark that compare with and without it)."""
    if rule in _restrictions:
        _restrictions.remove(rule)


_identity_checks: list[IdentityCheck] = []


def register_identity_check(rule: IdentityCheck) -> None:
    """Add `rule(fingerprint) -> Decision | None` asked before a real identity is accepted for an account."""
    if rule not in _identity_checks:
        _identity_checks.append(rule)


def unregister_identity_check(rule: IdentityCheck) -> None:
    """Remove an identity check (for tests)."""
    if rule in _identity_checks:
        _identity_checks.remove(rule)


def restrictions() -> list[RestrictionRule]:
    """The registered restriction rules, in the order they are asked."""
    return list(_restrictions)


def identity_checks() -> list[IdentityCheck]:
    """The registered identity checks, in the order they are asked."""
    return list(_identity_checks)


wiring.extension_point("accounts.policy restrictions", "rule(user, action) -> Decision | None, asked before every write",
                       lambda: [wiring.name_of(rule) for rule in restrictions()])
wiring.extension_point("accounts.policy identity checks",
                       "rule(fingerprint) -> Decision | None, asked before a real identity is accepted",
                       lambda: [wiring.name_of(rule) for rule in identity_checks()])


def identity_allowed(fingerprint: str) -> Decision:
    """Whether the identity with this fingerprint may be used for an account now (e.g. not banned)."""
    for rule in _identity_checks:
        decision = rule(fingerprint)
        if decision is not None and not decision.allowed:
            return decision
    return ALLOWED


def _deletion_decision(pending: DeletionRequest) -> Decision:
    # The account is hidden while its deletion waits: using it again means cancelling first,
    # so nothing new appears under a name others can no longer see.
    when = timezone.localtime(pending.erase_after).strftime("%Y-%m-%d")
    return Decision(False, reason=str(_("Your account is waiting to be deleted on %(date)s. Cancel the deletion "
                                        "to use it again.") % {"date": when}),
                    unlock_url=reverse("accounts:delete_cancel"), unlock_label=str(_("Cancel the deletion")))


def check(user: User | AnonymousUser | None, action: Action) -> Decision:
    """Whether `user` may do `action` now, and if not, why and how to unlock it."""
    if user is None or not user.is_authenticated:
        return Decision(False, reason=str(_("Please log in first.")), unlock_url=reverse("account_login"),
                        unlock_label=str(_("Log in")))
    if not user.is_active:
        return Decision(False, reason=str(_("This account is not active.")))
    pending = deletion_pending_for(user)
    if pending is not None:
        return _deletion_decision(pending)
    for rule in _restrictions:
        decision = rule(user, action)
        if decision is not None and not decision.allowed:
            return decision
    return _level_decision(user, REQUIRED_LEVEL[action])


def require(user: User | AnonymousUser | None, action: Action) -> None:
    """Raise PolicyDenied unless `user` may do `action` now."""
    decision = check(user, action)
    if not decision.allowed:
        raise PolicyDenied(decision)
