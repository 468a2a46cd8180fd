"""Existing audit entries: their `reason` text moves to the erasable note table, and the log is re-chained.

The old chain was plain SHA-256 (anyone could recompute it). It is checked once more here, and the result is
itself recorded as the last entry ("audit.rekey": how many entries, whether the old chain was intact, its last
hash), then every entry is chained again in id order with HMAC-SHA256 under AUDIT_LOG_KEY (moderation.audit).
"""

import hashlib
import json

from django.conf import settings
from django.db import migrations, models
from django.utils import timezone

BATCH = 1000


def _old_hash(entry) -> str:
    """The unkeyed hash of 0001-0003 (moderation.models.AuditEntry.compute_hash before the keyed chain)."""
    payload = json.dumps({
        "prev": entry.prev_hash, "actor": entry.actor_id, "action": entry.action, "target_type": entry.target_type,
        "target_id": entry.target_id, "reason": entry.reason, "data": entry.data,
        "created_at": entry.created_at.isoformat(),
    }, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _subjects(apps, entries) -> dict[int, int | None]:
    """Best effort: the user each note is about, by the entry's target (for erasure)."""
    owners = {
        "moderation.penalty": (apps.get_model("moderation", "Penalty"), "owner_id"),
        "moderation.reviewitem": (apps.get_model("moderation", "ReviewItem"), "subject_id"),
        "moderation.appeal": (apps.get_model("moderation", "Appeal"), "appellant_id"),
    }
    found = {}
    for entry in entries:
        subject = None
        if entry.target_type == "accounts.user" and entry.target_id.isdigit():
            subject = int(entry.target_id)
        elif entry.target_type in owners and entry.target_id.isdigit():
            model, column = owners[entry.target_type]
            subject = model.objects.filter(pk=int(entry.target_id)).values_list(column, flat=True).first()
        found[entry.pk] = subject
    return found


def forwards(apps, schema_editor):
    from moderation.audit import entry_hash, key_id_for, note_digest

    AuditEntry = apps.get_model("moderation", "AuditEntry")
    AuditNote = apps.get_model("moderation", "AuditNote")
    AuditChainHead = apps.get_model("moderation", "AuditChainHead")
    if not AuditEntry.objects.exists():
        return
    # 1. The old chain, checked one last time.
    previous, intact, count = "", True, 0
    for entry in AuditEntry.objects.order_by("pk").iterator(chunk_size=BATCH):
        intact = intact and entry.prev_hash == previous and _old_hash(entry) == entry.entry_hash
        previous, count = entry.entry_hash, count + 1
    head = AuditChainHead.objects.filter(pk=1).first()
    intact = intact and head is not None and head.last_hash == previous
    AuditEntry.objects.create(action="audit.rekey", created_at=timezone.now(), entry_hash=None, data={
        "entries": count, "old_chain_intact": intact, "old_last_hash": previous})
    # 2. Reasons to notes.
    with_reason = AuditEntry.objects.exclude(reason="").order_by("pk")
    batch = []
    for entry in with_reason.iterator(chunk_size=BATCH):
        batch.append(entry)
        if len(batch) >= BATCH:
            _move_notes(apps, AuditNote, batch)
            batch = []
    _move_notes(apps, AuditNote, batch)
    # 3. The keyed chain, in id order.
    secret = settings.AUDIT_LOG_KEY
    key, key_id = secret.encode("utf-8"), key_id_for(secret)
    notes = dict(AuditNote.objects.values_list("entry_id", "text"))
    seq, prev, batch = 0, "", []
    plain = models.QuerySet(AuditEntry)
    # Hashes must stay unique while rows are rewritten: clear them first.
    plain.update(entry_hash=None, prev_hash="")
    for entry in plain.order_by("pk").iterator(chunk_size=BATCH):
        seq += 1
        entry.seq, entry.prev_hash, entry.key_id = seq, prev, key_id
        entry.note_digest = note_digest(key, notes[entry.pk]) if entry.pk in notes else ""
        entry.entry_hash = entry_hash(entry, key)
        prev = entry.entry_hash
        batch.append(entry)
        if len(batch) >= BATCH:
            plain.bulk_update(batch, ["seq", "prev_hash", "key_id", "note_digest", "entry_hash"])
            batch = []
    if batch:
        plain.bulk_update(batch, ["seq", "prev_hash", "key_id", "note_digest", "entry_hash"])
    AuditChainHead.objects.update_or_create(pk=1, defaults={"last_seq": seq, "last_hash": prev})


def _move_notes(apps, AuditNote, entries) -> None:
    if not entries:
        return
    subjects = _subjects(apps, entries)
    AuditNote.objects.bulk_create([AuditNote(entry_id=e.pk, text=e.reason, subject_id=subjects[e.pk])
                                   for e in entries], ignore_conflicts=True)


def backwards(apps, schema_editor):
    """The notes' text goes back to `reason` (the keyed chain stays: the old verifier will not accept it)."""
    AuditEntry = apps.get_model("moderation", "AuditEntry")
    AuditNote = apps.get_model("moderation", "AuditNote")
    plain = models.QuerySet(AuditEntry)
    for note in AuditNote.objects.iterator(chunk_size=BATCH):
        plain.filter(pk=note.entry_id).update(reason=note.text)
    AuditNote.objects.all().delete()


class Migration(migrations.Migration):

    dependencies = [
        ("moderation", "0004_audit_keyed_chain_and_notes"),
    ]

    operations = [
        migrations.RunPython(forwards, backwards),
    ]
