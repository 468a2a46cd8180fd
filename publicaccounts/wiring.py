"""Everything publicaccounts plugs into the extension points, in one place; PublicAccountsConfig.ready() calls wire().

Moderation and accounts never import this app; they learn about it here.
"""

from accounts import erasure
from moderation import hooks, registry, targets

from . import closure
from .erasure import erase_public_accounts
from .review import NameReviewKind, QualificationReviewKind
from .targets import article_target, public_account_target


def names_and_qualifications_in_the_queue() -> None:
    registry.register(NameReviewKind())
    registry.register(QualificationReviewKind())


def accounts_and_articles_can_be_reported() -> None:
    """An account is penalised as a whole, an article can be taken down."""
    targets.register(public_account_target())
    targets.register(article_target())


def public_accounts_erased_with_the_owner() -> None:
    erasure.register(erase_public_accounts)


def closures_follow_the_owner() -> None:
    """Closing the owner closes their public accounts; overturning a closure reopens what it closed."""
    hooks.on_user_closed.connect(closure.accounts_close_for_user)
    hooks.on_penalty_applied.connect(closure.account_close_for_penalty)
    hooks.on_user_reopened.connect(closure.accounts_reopen)
    hooks.on_penalty_overturned.connect(closure.accounts_reopen)


def wire() -> None:
    names_and_qualifications_in_the_queue()
    accounts_and_articles_can_be_reported()
    public_accounts_erased_with_the_owner()
    closures_follow_the_owner()
