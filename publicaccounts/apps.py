from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PublicAccountsConfig(AppConfig):
    name = "publicaccounts"
    verbose_name = _("Public accounts")

    def ready(self):
        # Imported here, not at the top: Django imports this module before any app's models are loaded.
        from .wiring import wire

        # Review kinds, report targets, the eraser and the closure hooks: publicaccounts/wiring.py.
        wire()
