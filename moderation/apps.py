from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ModerationConfig(AppConfig):
    name = "moderation"
    verbose_name = _("Moderation")

    def ready(self):
        # Imported here, not at the top: Django imports this module before any app's models are loaded.
        from .wiring import wire
        # Penalties, the audit recorder, review kinds and erasers: every registration is in moderation/wiring.py.
        wire()
