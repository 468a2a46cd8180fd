from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PublicAccountsConfig(AppConfig):
    name = "publicaccounts"
    verbose_name = _("Public accounts")
