"""Showing a full real identity outside a review claim: who may, on which grounds, and for how long.

Permission-based: whoever holds `accounts.reveal_identity` (directly, through a group, or as a
superuser) may reveal; no staff group is granted it by default. A moderator sees the identity of
the item they hold the claim on without it; a reveal is the exceptional path (a lawful request, a
fraud investigation, a user's own data request, an appeal) and every one leaves an IdentityReveal
row and an "identity.reveal" audit entry.

Post/redirect/get: identity_reveal() records once; the result page (reveal_for()) shows the
identity only to the same actor for IDENTITY_REVEAL_MINUTES, and reloading it records nothing.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from . import audit
from .models import IdentityReveal, RealIdentity, RevealReason, User

logger = logging.getLogger(__name__)

PERMISSION = "accounts.reveal_identity"
REASON_MIN_LENGTH = 10
REASON_MAX_LENGTH = 300


def may_reveal(user) -> bool:
    """Whether `user` may reveal full identities (an active account holding the permission)."""
    return bool(user.is_authenticated and user.is_active and user.has_perm(PERMISSION))


def reveal_window() -> timedelta:
    """How long the result page of one reveal shows the identity."""
    return timedelta(minutes=settings.IDENTITY_REVEAL_MINUTES)


def identity_reveal(*, identity: RealIdentity, actor: User, reason_code: str, reason_text: str) -> IdentityReveal:
    """Record that `actor` is shown `identity` in full, on a listed ground with a written reason.

    Refuses without the permission (PermissionDenied), without a ground from RevealReason or with
    fewer than REASON_MIN_LENGTH characters of reason (ValidationError by field). Writes the
    IdentityReveal row and the "identity.reveal" audit entry in one transaction; show the result
    through reveal_for(pk=reveal.pk, viewer=actor).

    Fires: accounts.audit recorder (moderation.audit.record).
    """
    if not may_reveal(actor):
        raise PermissionDenied(_("You do not hold the permission to reveal real identities."))
    text = " ".join((reason_text or "").split())
    errors = {}
    if reason_code not in RevealReason.values:
        errors["reason_code"] = _("Choose the ground for this reveal.")
    if len(text) < REASON_MIN_LENGTH:
        errors["reason_text"] = _("Explain why in at least %(n)d characters (a case or request number, what you "
                                  "need to check).") % {"n": REASON_MIN_LENGTH}
    elif len(text) > REASON_MAX_LENGTH:
        errors["reason_text"] = _("Keep the reason under %(n)d characters.") % {"n": REASON_MAX_LENGTH}
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        # The identity may have been erased since the form was shown: then there is nothing to reveal.
        identity = RealIdentity.objects.select_for_update().get(pk=identity.pk)
        reveal = IdentityReveal.objects.create(identity=identity, staff=actor, reason_code=reason_code, reason=text)
        audit.record(actor=actor, action="identity.reveal", target=identity, reason=text,
                     data={"reveal": reveal.pk, "reason_code": reason_code, "user": identity.user_id})
    logger.info("identity %s revealed to staff user %s (reveal %s)", identity.pk, actor.pk, reveal.pk)
    return reveal


def reveal_for(*, pk: int, viewer) -> IdentityReveal | None:
    """The reveal `pk` if `viewer` made it, still holds the permission, and its window is open; None otherwise."""
    if not may_reveal(viewer):
        return None
    return (IdentityReveal.objects.select_related("identity")
            .filter(pk=pk, staff=viewer, revealed_at__gt=timezone.now() - reveal_window()).first())
