from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ModerationConfig(AppConfig):
    name = "moderation"
    verbose_name = _("Moderation")

    def ready(self):
        # Penalties reach every write through the one policy, which cannot import moderation.
        from accounts import erasure, policy

        from . import audit, registry, restrictions, targets
        from .kinds import AppealReviewKind, ReportReviewKind

        policy.register_restriction(restrictions.user_rule)
        policy.register_identity_check(restrictions.identity_rule)
        registry.register(ReportReviewKind())
        registry.register(AppealReviewKind())
        targets.register(targets.user_target())
        # Staff notes about an erased account are erased with it (the audit entries stay).
        erasure.register(audit.erase_notes_about)
