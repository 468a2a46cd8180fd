from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PublicAccountsConfig(AppConfig):
    name = "publicaccounts"
    verbose_name = _("Public accounts")

    def ready(self):
        # The queue learns about names and qualifications from here; moderation never imports this app.
        from moderation import registry

        from .review import NameReviewKind, QualificationReviewKind

        registry.register(NameReviewKind())
        registry.register(QualificationReviewKind())
