from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VerificationConfig(AppConfig):
    """One app (label `verification`, its tables and migrations) holding two rooms: documents/ and vouching/."""

    name = "verification"
    verbose_name = _("Verification")

    def ready(self):
        # Imported here, not at the top: Django imports this module before any app's models are loaded.
        from accounts import erasure
        from moderation import hooks, registry

        # Django's admin autodiscovery imports only `verification.admin`; each room keeps its own.
        from .documents import admin as documents_admin  # noqa: F401
        from .documents.erasure import erase_document_data
        from .documents.review import DocumentReviewKind
        from .vouching import admin as vouching_admin  # noqa: F401
        from .vouching.accountability import voucher_strikes_lift
        from .vouching.erasure import erase_vouching_data
        from .vouching.review import VouchReviewKind

        # The queue learns about document and vouch reviews from here; moderation never imports verification.
        registry.register(DocumentReviewKind())
        registry.register(VouchReviewKind())
        # Accounts erases a deleted account without importing us: each room erases its own part.
        erasure.register(erase_document_data)
        erasure.register(erase_vouching_data)
        # A voucher's strike is a warning on the ladder: an upheld appeal of it restores the right to vouch.
        hooks.on_penalty_overturned.connect(voucher_strikes_lift)
