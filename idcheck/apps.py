from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IdcheckConfig(AppConfig):
    name = "idcheck"
    verbose_name = _("ID-number checks")
