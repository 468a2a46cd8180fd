from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VerificationConfig(AppConfig):
    """One app (label `verification`, its tables and migrations) holding two rooms: documents/ and vouching/."""

    name = "verification"
    verbose_name = _("Verification")

    def ready(self):
        # Imported here, not at the top: Django imports this module before any app's models are loaded.
        # Django's admin autodiscovery imports only `verification.admin`; each room keeps its own.
        from .documents import admin as documents_admin  # noqa: F401
        from .vouching import admin as vouching_admin  # noqa: F401
        from .wiring import wire

        # Review kinds, erasers and the strike hook of both rooms: verification/wiring.py.
        wire()
