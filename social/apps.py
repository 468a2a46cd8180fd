from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SocialConfig(AppConfig):
    name = "social"
    verbose_name = _("Social")

    def ready(self):
        # Moderators may not judge their friends; moderation asks through this hook
        # because it must not import social.
        from moderation import registry

        from . import selectors

        registry.register_conflict_check(selectors.are_friends)
