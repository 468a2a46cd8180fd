from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ModerationConfig(AppConfig):
    name = "moderation"
    verbose_name = _("Moderation")

    def ready(self):
        # Penalties reach every write through the one policy, which cannot import moderation.
        from accounts import audit as accounts_audit
        from accounts import policy

        from . import audit, registry, restrictions, targets
        from .kinds import AppealReviewKind, ReportReviewKind

        # accounts' services (the identity reveal) write the audit log through this door.
        accounts_audit.connect(audit.record)
        policy.register_restriction(restrictions.user_rule)
        policy.register_identity_check(restrictions.identity_rule)
        registry.register(ReportReviewKind())
        registry.register(AppealReviewKind())
        targets.register(targets.user_target())
