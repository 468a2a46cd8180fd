"""Staff notes about an account: written through one audited service, erased with the account."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User

from . import audit
from .models import AccountNote

NOTE_MAX_CHARS = 4000


def account_note_add(*, user: User, author: User, text: str) -> AccountNote:
    """Add a note about `user`; the audit entry points at the note and carries the text only as its reason.

    The text goes in `reason=`, which the audit log keeps in its erasable table; `data` holds no text.
    """
    text = (text or "").strip()
    if not text:
        raise ValidationError(_("Write the note."))
    if len(text) > NOTE_MAX_CHARS:
        raise ValidationError(_("A note has at most %(n)d characters.") % {"n": NOTE_MAX_CHARS})
    if not (author and author.is_active and author.is_staff):
        raise ValidationError(_("Only staff may write notes about an account."))
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        note = AccountNote.objects.create(user=locked, author=author, text=text)
        audit.record(actor=author, action="account.note", target=note, reason=text, data={"user": locked.pk})
    return note


def erase_account_notes(*, user) -> None:
    """Registered with accounts.erasure: the notes about an erased account go with it."""
    AccountNote.objects.filter(user=user).delete()
