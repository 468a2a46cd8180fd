from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VerificationConfig(AppConfig):
    name = "verification"
    verbose_name = _("Verification")

    def ready(self):
        # The queue learns about document reviews from here; moderation never imports verification.
        from accounts import erasure
        from moderation import hooks, registry

        from .erasure import erase_verification_data
        from .review import DocumentReviewKind
        from .vouch_accountability import voucher_strikes_lift
        from .vouch_review import VouchReviewKind

        registry.register(DocumentReviewKind())
        registry.register(VouchReviewKind())
        # Accounts erases a deleted account without importing us: our part is the document pictures.
        erasure.register(erase_verification_data)
        # A voucher's strike is a warning on the ladder: an upheld appeal of it restores the right to vouch.
        hooks.on_penalty_overturned.connect(voucher_strikes_lift)
