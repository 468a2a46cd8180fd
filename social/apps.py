from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SocialConfig(AppConfig):
    name = "social"
    verbose_name = _("Social")

    def ready(self):
        # Imported here, not at the top: Django imports this module before any app's models are loaded.
        from .wiring import wire

        # Friends as a review conflict, moments and comments as report targets, the eraser: social/wiring.py.
        wire()
