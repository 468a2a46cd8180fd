from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PublicAccountsConfig(AppConfig):
    name = "publicaccounts"
    verbose_name = _("Public accounts")

    def ready(self):
        # The queue learns about names and qualifications from here; moderation never imports this app.
        from moderation import hooks, registry, targets

        from . import closure
        from .review import NameReviewKind, QualificationReviewKind
        from .targets import article_target, public_account_target

        registry.register(NameReviewKind())
        registry.register(QualificationReviewKind())
        # Reports and penalties: an account is penalised as a whole, an article can be taken down.
        targets.register(public_account_target())
        targets.register(article_target())
        # An erased account's public accounts go with it (accounts cannot import this app).
        from accounts import erasure

        from .erasure import erase_public_accounts

        erasure.register(erase_public_accounts)
        # Closing the owner closes their public accounts; overturning a closure reopens what it closed.
        hooks.on_user_closed.connect(closure.accounts_close_for_user)
        hooks.on_penalty_applied.connect(closure.account_close_for_penalty)
        hooks.on_user_reopened.connect(closure.accounts_reopen)
        hooks.on_penalty_overturned.connect(closure.accounts_reopen)
