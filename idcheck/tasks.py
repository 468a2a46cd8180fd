"""Thin, idempotent tasks: ids through the broker, never a name or a number."""

from celery import shared_task
from django.contrib.auth import get_user_model

from accounts.models import DocumentType, RealIdentity

from .selectors import idcheck_result_for
from .services import idcheck_query


@shared_task(acks_late=True)
def run_idcheck_for_identity(*, identity_id: int, requested_by_id: int | None = None) -> str | None:
    """Check a stored identity once; quietly nothing if it is gone, not a resident ID, or already checked."""
    identity = RealIdentity.objects.filter(pk=identity_id).first()
    if identity is None or identity.document_type != DocumentType.RESIDENT_ID:
        return None
    if idcheck_result_for(fingerprint=identity.fingerprint) is not None:
        return None
    requested_by = get_user_model().objects.filter(pk=requested_by_id).first() if requested_by_id else None
    # No autoretry: every attempt may cost money; an "error" outcome is for a person to retry.
    outcome = idcheck_query(fingerprint=identity.fingerprint, real_name=identity.real_name,
                            id_number=identity.document_number, requested_by=requested_by)
    return outcome.status
