from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    """Demo data and the wiring listing: the one app allowed to import every other app (no app imports it)."""

    name = "demo"
    verbose_name = _("Demo data")
