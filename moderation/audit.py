"""The audit log every app writes to: record() appends one hash-chained entry."""

from django.db import transaction

from .models import AuditChainHead, AuditEntry


def target_ref(target) -> tuple[str, str]:
    """The (target_type, target_id) pair under which entries about `target` are stored."""
    if target is None:
        return "", ""
    meta = target._meta
    return f"{meta.app_label}.{meta.model_name}", str(target.pk)


def record(*, actor, action: str, target=None, reason: str = "", data: dict | None = None) -> AuditEntry:
    """Append an entry; call it inside the transaction of the change it records.

    Never put a real name, a document number or a phone number in `reason` or `data`.
    """
    target_type, target_id = target_ref(target)
    with transaction.atomic():
        head, _created = AuditChainHead.objects.select_for_update().get_or_create(pk=1)
        entry = AuditEntry(actor=actor if getattr(actor, "pk", None) else None, action=action,
                           target_type=target_type, target_id=target_id, reason=str(reason or ""),
                           data=data or {}, prev_hash=head.last_hash)
        entry.entry_hash = entry.compute_hash()
        entry.save()
        AuditChainHead.objects.filter(pk=1).update(last_hash=entry.entry_hash)
    return entry


def verify_chain() -> list[str]:
    """Walk the log oldest first; return a description of every break (empty when intact)."""
    problems: list[str] = []
    previous = ""
    last_pk = None
    for entry in AuditEntry.objects.order_by("pk").iterator(chunk_size=2000):
        if entry.prev_hash != previous:
            problems.append(f"entry {entry.pk}: does not follow entry {last_pk} (an entry was removed or reordered)")
        if entry.compute_hash() != entry.entry_hash:
            problems.append(f"entry {entry.pk}: content does not match its hash (it was edited)")
        previous = entry.entry_hash
        last_pk = entry.pk
    head = AuditChainHead.objects.filter(pk=1).first()
    if head is None:
        if last_pk is not None:
            # record() creates the head with the first entry; without it the newest entries cannot be checked.
            problems.append("the chain head is missing (it was deleted): removal of the newest entries cannot be ruled out")
    elif head.last_hash != previous:
        problems.append("the newest entries were removed (the chain head does not match the last entry)")
    return problems
