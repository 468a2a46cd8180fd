from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ModerationConfig(AppConfig):
    name = "moderation"
    verbose_name = _("Moderation")

    def ready(self):
        # Penalties reach every write through the one policy, which cannot import moderation.
        from accounts import audit as accounts_audit
        from accounts import erasure, policy

        from . import audit, registry, restrictions, targets
        from .kinds import AppealReviewKind, ReportReviewKind
        from .notes import erase_account_notes

        policy.register_restriction(restrictions.user_rule)
        policy.register_identity_check(restrictions.identity_rule)
        registry.register(ReportReviewKind())
        registry.register(AppealReviewKind())
        targets.register(targets.user_target())
        # Accounts' staff services (levels, groups, flags, agreements, identity reveals) write to this log without importing it.
        accounts_audit.register_recorder(audit.record)
        # Staff notes about an erased account are erased with it: the account notes, and the free text of
        # audit entries about it (the entries themselves stay, with a keyed digest of the erased text).
        erasure.register(erase_account_notes)
        erasure.register(audit.erase_notes_about)
