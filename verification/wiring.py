"""Everything the two verification rooms plug into the extension points, in one place; VerificationConfig.ready() calls wire().

Moderation and accounts never import verification; they learn about its reviews and erasers here.
"""

from accounts import erasure
from moderation import hooks, registry

from .documents.erasure import erase_document_data
from .documents.review import DocumentReviewKind
from .vouching.accountability import voucher_strikes_lift
from .vouching.erasure import erase_vouching_data
from .vouching.review import VouchReviewKind


def documents_and_vouches_in_the_queue() -> None:
    registry.register(DocumentReviewKind())
    registry.register(VouchReviewKind())


def each_room_erases_its_part() -> None:
    erasure.register(erase_document_data)
    erasure.register(erase_vouching_data)


def upheld_appeal_lifts_voucher_strike() -> None:
    """A voucher's strike is a warning on the ladder: an upheld appeal of it restores the right to vouch."""
    hooks.on_penalty_overturned.connect(voucher_strikes_lift)


def wire() -> None:
    documents_and_vouches_in_the_queue()
    each_room_erases_its_part()
    upheld_appeal_lifts_voucher_strike()
