from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VerificationConfig(AppConfig):
    name = "verification"
    verbose_name = _("Verification")

    def ready(self):
        # The queue learns about document reviews from here; moderation never imports verification.
        from moderation import registry

        from .review import DocumentReviewKind
        from .vouch_review import VouchReviewKind

        registry.register(DocumentReviewKind())
        registry.register(VouchReviewKind())
