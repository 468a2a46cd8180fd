from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SocialConfig(AppConfig):
    name = "social"
    verbose_name = _("Social")

    def ready(self):
        # Moderators may not judge their friends; moderation asks through this hook
        # because it must not import social.
        from moderation import registry, targets

        from . import selectors
        from .targets import comment_target, moment_target

        registry.register_conflict_check(selectors.are_friends)
        # Moments and comments can be reported, and taken down behind a tombstone.
        targets.register(moment_target())
        targets.register(comment_target())
        # An erased account's content goes with it (accounts cannot import social).
        from accounts import erasure

        from .erasure import erase_social_content

        erasure.register(erase_social_content)
