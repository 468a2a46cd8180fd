"""Everything moderation plugs into the extension points, in one place; ModerationConfig.ready() calls wire().

`python manage.py show_wiring` lists the result. Imported from ready() only: the registrations import models.
"""

from accounts import audit as accounts_audit
from accounts import erasure, policy

from . import audit, registry, restrictions, targets
from .kinds import AppealReviewKind, ReportReviewKind
from .notes import erase_account_notes


def penalties_restrict_every_write() -> None:
    """A suspension or closure refuses the user's writes; a banned identity cannot verify another account."""
    policy.register_restriction(restrictions.user_rule)
    policy.register_identity_check(restrictions.identity_rule)


def reports_and_appeals_in_the_queue() -> None:
    """Reports and appeals are review kinds like any app's; users can be reported."""
    registry.register(ReportReviewKind())
    registry.register(AppealReviewKind())
    targets.register(targets.user_target())


def staff_changes_write_the_audit_log() -> None:
    """Accounts' staff services (levels, groups, flags, agreements, identity reveals) write to this log."""
    accounts_audit.register_recorder(audit.record)


def staff_notes_erased_with_the_account() -> None:
    """The account notes, and the free text of audit entries about the account (the entries stay, with a
    keyed digest of the erased text)."""
    erasure.register(erase_account_notes)
    erasure.register(audit.erase_notes_about)


def wire() -> None:
    penalties_restrict_every_write()
    reports_and_appeals_in_the_queue()
    staff_changes_write_the_audit_log()
    staff_notes_erased_with_the_account()
