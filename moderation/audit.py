"""The audit log every app writes to (docs/audit.md).

- record() inserts one UNCHAINED entry in the caller's transaction and locks nothing shared, so audited
  writes never wait for one another. Free text (`reason`) goes to an erasable AuditNote.
- chain_pending(), the sequencer, runs after each commit and on a short beat. One sequencer at a time
  (a PostgreSQL advisory lock, tried without waiting; a process lock on SQLite) gives the committed
  unchained entries the next `seq` in id order, the previous entry's hash and an HMAC-SHA256 under
  AUDIT_LOG_KEY, which lives in the environment, never in the database.
- checkpoint_write() (beat) signs {seq, entry id, chain hash, time, key id} into the private storage under
  audit/checkpoints/: a rewrite by someone who holds the key but not the storage no longer matches them.
- verify() walks the chain and the checkpoints (manage.py verify_audit_log).
"""

import hashlib
import hmac
import json
import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.db import connection, models, transaction
from django.utils import timezone

from accounts.models import User

from .models import AuditChainHead, AuditEntry, AuditNote

logger = logging.getLogger(__name__)

# Chained per transaction of the sequencer; small enough to keep each one short.
BATCH = 500
# The advisory lock only the sequencer takes (an arbitrary constant no other code uses).
SEQUENCER_LOCK = 0x617564_6974  # "audit"
_process_lock = threading.Lock()


# --- Keys -------------------------------------------------------------------------------------

def key_id_for(secret: str) -> str:
    """A short public id of a secret (an HMAC of a constant: it reveals nothing about the secret)."""
    return hmac.new(secret.encode("utf-8"), b"audit-log key id", hashlib.sha256).hexdigest()[:12]


def keyring() -> tuple[str, dict[str, bytes]]:
    """(the current key id, {key id: secret}) from AUDIT_LOG_KEY and AUDIT_LOG_OLD_KEYS."""
    current = settings.AUDIT_LOG_KEY
    if not current:
        raise RuntimeError("AUDIT_LOG_KEY is not set")
    keys = {key_id_for(secret): secret.encode("utf-8") for secret in settings.AUDIT_LOG_OLD_KEYS if secret}
    current_id = key_id_for(current)
    keys[current_id] = current.encode("utf-8")
    return current_id, keys


def _canonical(payload: dict) -> bytes:
    return json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str).encode("utf-8")


def _mac(key: bytes, message: bytes) -> str:
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def note_digest(key: bytes, text: str) -> str:
    """The keyed digest of a note that the entry keeps (a dictionary of guesses cannot be checked against it)."""
    return _mac(key, b"note\x00" + text.encode("utf-8"))


def entry_hash(entry: AuditEntry, key: bytes) -> str:
    """HMAC-SHA256 over the entry's position, its predecessor's hash and every recorded field."""
    created = entry.created_at.astimezone(UTC).isoformat() if entry.created_at else None
    return _mac(key, _canonical({
        "v": 1, "seq": entry.seq, "prev": entry.prev_hash, "id": entry.pk, "actor": entry.actor_id,
        "action": entry.action, "target_type": entry.target_type, "target_id": entry.target_id,
        "note": entry.note_digest, "data": entry.data, "created_at": created, "key_id": entry.key_id,
    }))


# --- Writing ----------------------------------------------------------------------------------

def target_ref(target) -> tuple[str, str]:
    """The (target_type, target_id) pair under which entries about `target` are stored."""
    if target is None:
        return "", ""
    meta = target._meta
    return f"{meta.app_label}.{meta.model_name}", str(target.pk)


# Foreign keys to the user an object is about, tried in this order when record() is given no subject.
_SUBJECT_FIELDS = ("user", "subject", "applicant", "appellant", "owner", "voucher")


def _subject_id(subject, target) -> int | None:

    if subject is not None:
        return subject.pk
    if isinstance(target, User):
        return target.pk
    if target is None:
        return None
    for name in _SUBJECT_FIELDS:
        try:
            model_field = target._meta.get_field(name)
        except Exception:  # noqa: BLE001 - FieldDoesNotExist: try the next name
            continue
        if getattr(model_field, "related_model", None) is User and getattr(target, f"{name}_id", None):
            return getattr(target, f"{name}_id")
    return None


def record(*, actor, action: str, target=None, reason: str = "", data: dict | None = None,
           subject=None) -> AuditEntry:
    """Append an entry; call it inside the transaction of the change it records.

    `reason`: free text staff typed (a note, a reason). It is kept in an erasable AuditNote about `subject`
    (default: the target if it is a user, else the target's user/subject/applicant/appellant/owner), which
    erasing that account erases; pages and the export show only its length. `data`: ids, codes and numbers,
    never free text, a real name, a document number or a phone number.
    """
    target_type, target_id = target_ref(target)
    text = str(reason or "")
    entry = AuditEntry(actor=actor if getattr(actor, "pk", None) else None, action=action,
                       target_type=target_type, target_id=target_id, data=data or {})
    if text:
        with transaction.atomic():  # the entry and its note, or neither
            entry.save()
            AuditNote.objects.create(entry=entry, text=text, subject_id=_subject_id(subject, target))
    else:
        entry.save()  # one INSERT: no savepoint needed
    _chain_after_commit()
    return entry


def _chain_after_commit() -> None:
    """Run the sequencer once the caller's transaction commits (once per transaction, however many entries)."""
    conn = transaction.get_connection()
    if conn.in_atomic_block and any(item[1] is _sequence_quietly for item in conn.run_on_commit):
        return
    transaction.on_commit(_sequence_quietly, robust=True)


_last_sequenced = [0.0]  # monotonic time this process last ran the sequencer after a commit


def _sequence_quietly() -> None:
    # Under a burst of writes, chaining after every commit would double each writer's statements; once per
    # AUDIT_CHAIN_INTERVAL_SECONDS per process is enough, and the beat (every 15 s) chains the tail of a burst.
    interval = settings.AUDIT_CHAIN_INTERVAL_SECONDS
    now = time.monotonic()
    if interval and now - _last_sequenced[0] < interval:
        return
    _last_sequenced[0] = now
    try:
        chain_pending()
    except Exception:  # the beat chains it later; the committed change must not fail for it
        logger.exception("audit log: chaining after commit failed (the beat task will retry)")


# --- The sequencer ----------------------------------------------------------------------------

def _sql(statement: str, params=()):
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.fetchone() if cursor.description else None


def _any_pending() -> bool:
    return AuditEntry.objects.filter(seq__isnull=True).exists()


def chain_pending(*, batch: int = BATCH) -> int:
    """Chain every committed unchained entry in id order; return how many were chained.

    Returns at once when another sequencer is running: that one picks up what is pending. The holder
    looks once more after letting go, so an entry whose writer found the sequencer busy is never left
    behind (its commit came before that writer's try, which came before the holder let go).
    """
    postgres = connection.vendor == "postgresql"
    total = 0
    while True:
        if postgres and connection.in_atomic_block:
            # Inside someone's transaction (a test, a shell): the lock lasts until that transaction ends.
            if not _sql("SELECT pg_try_advisory_xact_lock(%s)", [SEQUENCER_LOCK])[0]:
                return total
            return total + _chain_all(batch)
        if postgres:
            if not _sql("SELECT pg_try_advisory_lock(%s)", [SEQUENCER_LOCK])[0]:
                return total
            try:
                total += _chain_all(batch)
            finally:
                _sql("SELECT pg_advisory_unlock(%s)", [SEQUENCER_LOCK])
        else:
            if not _process_lock.acquire(blocking=False):
                return total
            try:
                total += _chain_all(batch)
            finally:
                _process_lock.release()
        if not _any_pending():
            return total


def _chain_all(batch: int) -> int:
    total = 0
    # Only in a transaction of its own: never change how the caller's own transaction commits.
    relaxed = connection.vendor == "postgresql" and not connection.in_atomic_block
    while True:
        with transaction.atomic():
            if relaxed:
                # The chain is derived from committed entries: a crash that loses the newest chaining only
                # leaves those entries unchained again, so the sequencer need not wait for the disk.
                # checkpoint_write() forces a synchronous commit before it anchors anything.
                _sql("SET LOCAL synchronous_commit TO OFF")
            chained = _chain_batch(batch)
        total += chained
        if chained < batch:
            return total


def _note_of(entry: AuditEntry) -> AuditNote | None:
    try:
        return entry.note
    except AuditNote.DoesNotExist:
        return None


def _chain_batch(batch: int) -> int:
    head = AuditChainHead.objects.select_for_update().filter(pk=1).first()
    if head is None:
        head = AuditChainHead.objects.create(pk=1)
    entries = list(AuditEntry.objects.filter(seq__isnull=True).select_related("note").order_by("pk")[:batch])
    if not entries:
        return 0
    key_id, keys = keyring()
    key = keys[key_id]
    seq, prev = head.last_seq, head.last_hash
    for entry in entries:
        seq += 1
        note = _note_of(entry)
        entry.seq, entry.prev_hash, entry.key_id = seq, prev, key_id
        entry.note_digest = note_digest(key, note.text) if note is not None else ""
        entry.entry_hash = entry_hash(entry, key)
        prev = entry.entry_hash
    _store_chain(entries)
    AuditChainHead.objects.filter(pk=1).update(last_seq=seq, last_hash=prev)
    return len(entries)


def _store_chain(entries: list[AuditEntry]) -> None:
    """Write the chaining columns (and only those) of `entries` in one statement."""
    if connection.vendor != "postgresql":
        # The plain QuerySet: AuditEntry's own refuses every update, and only the sequencer may chain.
        models.QuerySet(AuditEntry).bulk_update(entries, ["seq", "prev_hash", "key_id", "note_digest", "entry_hash"])
        return
    table = connection.ops.quote_name(AuditEntry._meta.db_table)
    rows = ", ".join(["(%s::bigint, %s::bigint, %s, %s, %s, %s)"] * len(entries))
    params = [value for e in entries for value in (e.pk, e.seq, e.prev_hash, e.key_id, e.note_digest, e.entry_hash)]
    _sql(f"UPDATE {table} AS e SET seq = v.seq, prev_hash = v.prev_hash, key_id = v.key_id, "
         f"note_digest = v.note_digest, entry_hash = v.entry_hash "
         f"FROM (VALUES {rows}) AS v(id, seq, prev_hash, key_id, note_digest, entry_hash) "
         f"WHERE e.id = v.id AND e.seq IS NULL", params)


# --- Checkpoints outside the database ---------------------------------------------------------

def _checkpoint_storage():
    return storages[settings.AUDIT_CHECKPOINT_STORAGE]


def _prefix() -> str:
    return settings.AUDIT_CHECKPOINT_PREFIX.rstrip("/") + "/"


def checkpoint_names() -> list[str]:
    """Every checkpoint file, oldest first (their names start with the time they were written)."""
    try:
        _dirs, files = _checkpoint_storage().listdir(_prefix().rstrip("/"))
    except FileNotFoundError:
        return []
    return sorted(_prefix() + name for name in files if name.endswith(".json"))


def checkpoint_signature(body: dict, key: bytes) -> str:
    return _mac(key, b"checkpoint\x00" + _canonical({k: v for k, v in body.items() if k != "signature"}))


def _read_checkpoint(name: str) -> dict:
    with _checkpoint_storage().open(name, "rb") as fh:
        body = json.loads(fh.read().decode("utf-8"))
    if not isinstance(body, dict):
        raise ValueError("not an object")
    return body


def checkpoint_write(*, now: datetime | None = None) -> str | None:
    """Chain what is pending, check the chain since the last checkpoint, then sign a new one.

    Returns the file name, or None when there is nothing new or the chain does not check out (logged:
    a checkpoint must never vouch for a log that was tampered with).
    """
    chain_pending()
    with transaction.atomic():
        # A synchronous write: every chaining committed before it is on disk before anything is anchored.
        AuditChainHead.objects.filter(pk=1).update(last_seq=models.F("last_seq"))
    head = AuditChainHead.objects.filter(pk=1).first()
    if head is None or not head.last_seq:
        return None
    key_id, keys = keyring()
    start_seq, start_hash = 0, ""
    names = checkpoint_names()
    if names:
        try:
            last = _read_checkpoint(names[-1])
            start_seq, start_hash = int(last["seq"]), str(last["chain_hash"])
        except (OSError, ValueError, KeyError, TypeError):
            logger.error("audit log: the newest checkpoint %s is unreadable; checking the whole chain", names[-1])
        if start_seq == head.last_seq:
            return None
    result = Verification()
    # From the entry the newest checkpoint anchors (its content included) to the head.
    walk_from, walk_hash = 0, ""
    if start_seq:
        anchor = AuditEntry.objects.filter(seq=start_seq).only("pk", "prev_hash", "entry_hash").first()
        if anchor is None or anchor.entry_hash != start_hash:
            result.problem(None, None, f"the entry at seq {start_seq} no longer matches the newest checkpoint")
        else:
            walk_from, walk_hash = start_seq - 1, anchor.prev_hash
    _walk(AuditEntry.objects.filter(seq__gt=walk_from, seq__lte=head.last_seq), start_seq=walk_from,
          start_hash=walk_hash, keys=keys, result=result)
    if result.last_seq != head.last_seq or result.problems:
        logger.error("audit log: not writing a checkpoint, the chain does not verify (run verify_audit_log)")
        return None
    last_entry = AuditEntry.objects.only("pk", "entry_hash").get(seq=head.last_seq)
    now = now or timezone.now()
    body = {"v": 1, "seq": head.last_seq, "entry_id": last_entry.pk, "chain_hash": last_entry.entry_hash,
            "time": now.astimezone(UTC).isoformat(), "key_id": key_id}
    body["signature"] = checkpoint_signature(body, keys[key_id])
    name = f"{_prefix()}{now.astimezone(UTC):%Y%m%dT%H%M%S%fZ}-{head.last_seq:012d}.json"
    return _checkpoint_storage().save(name, ContentFile(json.dumps(body, sort_keys=True).encode("utf-8")))


# --- Verification ------------------------------------------------------------------------------

@dataclass
class Verification:
    """What verify() found: problems (in chain order, then checkpoints) and counts."""

    problems: list[str] = field(default_factory=list)
    first_bad: tuple[int, int] | None = None  # (seq, entry id) of the earliest bad entry named
    chained: int = 0
    pending: int = 0
    erased_notes: int = 0
    checkpoints: int = 0
    last_seq: int = 0
    last_hash: str = ""

    def problem(self, seq: int | None, entry_id: int | None, message: str) -> int:
        self.problems.append(message)
        if entry_id is not None and seq is not None and (self.first_bad is None or seq < self.first_bad[0]):
            self.first_bad = (seq, entry_id)
        return len(self.problems) - 1

    @property
    def ok(self) -> bool:
        return not self.problems


def _walk(entries, *, start_seq: int, start_hash: str, keys: dict[str, bytes], result: Verification) -> None:
    """Check consecutive chained entries after (start_seq, start_hash): position, link, HMAC and note."""
    expected, prev, prev_id = start_seq + 1, start_hash, None
    unknown: dict[str, list] = {}
    for entry in entries.select_related("note").order_by("seq").iterator(chunk_size=2000):
        where = f"entry #{entry.pk} (seq {entry.seq})"
        result.chained += 1
        if entry.seq != expected:
            result.problem(entry.seq, entry.pk, f"{where}: the entries at seq {expected} to {entry.seq - 1} are "
                                                f"missing (removed)")
        elif not hmac.compare_digest(entry.prev_hash or "", prev or ""):
            after = f"entry #{prev_id}" if prev_id else (f"seq {start_seq}" if start_seq else "the start")
            result.problem(entry.seq, entry.pk, f"{where}: does not follow {after} (an entry was removed, "
                                                f"reordered or rewritten)")
        key = keys.get(entry.key_id)
        if key is None:
            if entry.key_id not in unknown:
                unknown[entry.key_id] = [0, result.problem(entry.seq, entry.pk, "")]
            unknown[entry.key_id][0] += 1
            result.problems[unknown[entry.key_id][1]] = (
                f"{where} and {unknown[entry.key_id][0] - 1} later entries are signed with key id "
                f"'{entry.key_id}', which is not configured: is AUDIT_LOG_KEY right, and are the old keys in "
                f"AUDIT_LOG_OLD_KEYS?")
        elif not hmac.compare_digest(entry_hash(entry, key), entry.entry_hash or ""):
            result.problem(entry.seq, entry.pk, f"{where}: content does not match its HMAC (it was edited)")
        else:
            note = _note_of(entry)
            if note is None and entry.note_digest:
                result.problem(entry.seq, entry.pk, f"{where}: its note was deleted")
            elif note is not None and not entry.note_digest:
                result.problem(entry.seq, entry.pk, f"{where}: a note was added to it afterwards")
            elif note is not None and note.erased_at:
                result.erased_notes += 1
            elif note is not None and not hmac.compare_digest(note_digest(key, note.text), entry.note_digest):
                result.problem(entry.seq, entry.pk, f"{where}: its note was edited")
        expected, prev, prev_id = entry.seq + 1, entry.entry_hash, entry.pk
        result.last_seq, result.last_hash = entry.seq, entry.entry_hash or ""


def _check_head(result: Verification) -> None:
    head = AuditChainHead.objects.filter(pk=1).first()
    if head is None:
        if result.chained:
            result.problem(None, None, "the chain head is missing (it was deleted): removal of the newest entries "
                                       "cannot be ruled out")
    elif head.last_seq != result.last_seq or head.last_hash != result.last_hash:
        result.problem(None, None, f"the newest entries were removed: the chain head names seq {head.last_seq} but "
                                   f"the log ends at seq {result.last_seq}")


def _check_checkpoints(result: Verification, keys: dict[str, bytes]) -> None:
    good_seq = 0
    for name in checkpoint_names():
        result.checkpoints += 1
        try:
            body = _read_checkpoint(name)
            seq, entry_id, chain_hash = int(body["seq"]), int(body["entry_id"]), str(body["chain_hash"])
            key_id, signature = str(body["key_id"]), str(body["signature"])
        except (OSError, ValueError, KeyError, TypeError):
            result.problem(None, None, f"checkpoint {name}: unreadable")
            continue
        key = keys.get(key_id)
        if key is None:
            result.problem(None, None, f"checkpoint {name}: signed with key id '{key_id}', which is not configured "
                                       f"(is AUDIT_LOG_KEY right?)")
            continue
        if not hmac.compare_digest(checkpoint_signature(body, key), signature):
            result.problem(None, None, f"checkpoint {name}: its signature does not match (a forged checkpoint)")
            continue
        if seq > result.last_seq:
            result.problem(None, None, f"checkpoint {name} anchors seq {seq} (entry #{entry_id}) but the log ends at "
                                       f"seq {result.last_seq}: the newest entries were removed")
            continue
        entry = AuditEntry.objects.filter(seq=seq).only("pk", "seq", "entry_hash").first()
        if entry is None:
            result.problem(None, None, f"checkpoint {name}: the entry at seq {seq} (#{entry_id}) is missing")
        elif entry.pk != entry_id or not hmac.compare_digest(entry.entry_hash or "", chain_hash):
            first = AuditEntry.objects.filter(seq=good_seq + 1).only("pk", "seq").first() or entry
            result.problem(first.seq, first.pk,
                           f"checkpoint {name}: the chain at seq {seq} differs from what was signed then: the log "
                           f"was rewritten between seq {good_seq + 1} (entry #{first.pk}) and seq {seq}")
        else:
            good_seq = max(good_seq, seq)


def verify(*, checkpoints: bool = True) -> Verification:
    """Walk the whole chain (and the checkpoints): every break, the first bad entry, the counts."""
    _key_id, keys = keyring()
    result = Verification()
    _walk(AuditEntry.objects.filter(seq__isnull=False), start_seq=0, start_hash="", keys=keys, result=result)
    _check_head(result)
    if checkpoints:
        _check_checkpoints(result, keys)
    result.pending = AuditEntry.objects.filter(seq__isnull=True).count()
    return result


def verify_chain() -> list[str]:
    """The chain's breaks only (no checkpoints): empty when intact."""
    return verify(checkpoints=False).problems


# --- Erasure -----------------------------------------------------------------------------------

def erase_notes_about(*, user) -> None:
    """The eraser (accounts.erasure): empty every note about `user`; the entries and their digests stay."""
    erased = AuditNote.objects.filter(subject_id=user.pk, erased_at__isnull=True).update(
        text="", erased_at=timezone.now())
    if erased:
        record(actor=None, action="audit.notes_erase", data={"user": user.pk, "notes": erased})
