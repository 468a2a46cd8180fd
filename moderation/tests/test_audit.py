"""The audit log: keyed chain, sequencer, checkpoints outside the database, verification, read-only console."""

import hashlib
import json

import pytest
from django.core.files.storage import storages
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.urls import reverse

from accounts.tests.factories import Level1UserFactory
from moderation import audit
from moderation.models import AuditChainHead, AuditEntry, AuditNote

pytestmark = pytest.mark.django_db

TABLE = AuditEntry._meta.db_table
NOTES = AuditNote._meta.db_table
HEAD = AuditChainHead._meta.db_table


@pytest.fixture(autouse=True)
def checkpoint_storage(settings, tmp_path):
    """A private storage of this test's own: checkpoints of other tests must not be checked here."""
    settings.STORAGES = {**settings.STORAGES, "private": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(tmp_path / "private"), "base_url": "/no-public-url/"}}}
    return storages["private"]


@pytest.fixture
def actor():
    return Level1UserFactory()


@pytest.fixture
def entries(actor):
    written = [audit.record(actor=actor, action="test.step", target=actor, reason=f"step {n}", data={"n": n})
               for n in range(4)]
    assert audit.chain_pending() == 4
    return [AuditEntry.objects.get(pk=e.pk) for e in written]


def _raw(sql: str, params=()) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _verify(capsys) -> tuple[int, str]:
    """(exit status, stderr + stdout) of manage.py verify_audit_log."""
    try:
        call_command("verify_audit_log")
        code = 0
    except CommandError as exc:
        code = exc.returncode
    captured = capsys.readouterr()
    return code, captured.err + captured.out


def _plain_sha256(row: dict) -> str:
    """What an attacker without the key computes: the entry's fields, hashed without a key."""
    return hashlib.sha256(json.dumps(row, sort_keys=True, default=str).encode()).hexdigest()


def _rewrite_from(entry_pk: int, *, data: dict, key: bytes | None) -> None:
    """Edit one entry's data, then recompute every later link (with `key`, or plain SHA-256) and the head."""
    _raw(f"UPDATE {TABLE} SET data = %s WHERE id = %s", [json.dumps(data), entry_pk])
    start = AuditEntry.objects.get(pk=entry_pk)
    prev = AuditEntry.objects.get(seq=start.seq - 1).entry_hash if start.seq > 1 else ""
    for entry in AuditEntry.objects.filter(seq__gte=start.seq).order_by("seq"):
        entry.prev_hash = prev
        if key is None:
            new = _plain_sha256({"prev": prev, "data": entry.data, "action": entry.action, "id": entry.pk})
        else:
            new = audit.entry_hash(entry, key)
        _raw(f"UPDATE {TABLE} SET prev_hash = %s, entry_hash = %s WHERE id = %s", [prev, new, entry.pk])
        prev = new
    _raw(f"UPDATE {HEAD} SET last_hash = %s WHERE id = 1", [prev])


# --- Writing and chaining --------------------------------------------------------------------

def test_record_inserts_an_unchained_entry_that_the_sequencer_chains(actor):
    entry = audit.record(actor=actor, action="test.one", target=actor, reason="why", data={"n": 1})
    assert (entry.seq, entry.entry_hash, entry.key_id) == (None, None, "")
    assert audit.verify().pending == 1
    assert audit.chain_pending() == 1
    entry = AuditEntry.objects.get(pk=entry.pk)
    key_id, keys = audit.keyring()
    assert entry.seq == 1 and entry.prev_hash == "" and entry.key_id == key_id
    assert entry.entry_hash == audit.entry_hash(entry, keys[key_id])
    assert entry.note_digest == audit.note_digest(keys[key_id], "why")
    assert audit.chain_pending() == 0  # nothing left


def test_entries_chain_to_each_other(entries):
    assert [e.seq for e in entries] == [1, 2, 3, 4]
    assert entries[0].prev_hash == ""
    assert [e.prev_hash for e in entries[1:]] == [e.entry_hash for e in entries[:-1]]
    head = AuditChainHead.objects.get(pk=1)
    assert (head.last_seq, head.last_hash) == (4, entries[-1].entry_hash)
    assert audit.verify_chain() == []


def test_the_reason_is_a_note_about_the_target_user(entries, actor):
    entry = entries[1]
    assert (entry.action, entry.target_type, entry.target_id, entry.data) == (
        "test.step", "accounts.user", str(actor.pk), {"n": 1})
    note = AuditNote.objects.get(entry=entry)
    assert (note.text, note.subject_id) == ("step 1", actor.pk)
    assert entry.reason == "step 1"
    # No reason, no note.
    assert not AuditNote.objects.filter(entry=audit.record(actor=None, action="system.job")).exists()


def test_chaining_runs_after_commit_once_per_transaction(actor, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with transaction.atomic():
            first = audit.record(actor=actor, action="test.a")
            second = audit.record(actor=actor, action="test.b")
            assert AuditEntry.objects.get(pk=first.pk).seq is None  # not before the commit
    assert len(callbacks) == 1
    assert list(AuditEntry.objects.filter(pk__in=[first.pk, second.pk]).order_by("pk").values_list("seq", flat=True)) \
        == [1, 2]


def test_a_rolled_back_transaction_leaves_no_entry_and_no_note(actor):
    with pytest.raises(RuntimeError), transaction.atomic():
        audit.record(actor=actor, action="test.rolled_back", reason="never happened")
        raise RuntimeError
    assert not AuditEntry.objects.filter(action="test.rolled_back").exists()
    assert not AuditNote.objects.exists()


def test_intact_log_command_exits_0(entries, capsys):
    audit.record(actor=None, action="test.pending")
    code, out = _verify(capsys)
    assert code == 0
    assert "Audit log intact: 4 chained entries, 1 pending (not yet chained), 0 erased notes" in out


def test_empty_log_is_intact(capsys):
    assert _verify(capsys) == (0, "Audit log intact: 0 chained entries, 0 pending (not yet chained), "
                                  "0 erased notes, 0 checkpoints\n")


def test_orm_changes_are_refused(entries):
    entry = AuditEntry.objects.get(pk=entries[0].pk)
    entry.action = "changed"
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete()
    with pytest.raises(PermissionError):
        AuditEntry.objects.update(action="changed")
    with pytest.raises(PermissionError):
        AuditEntry.objects.filter(pk=entry.pk).update(seq=None)
    with pytest.raises(PermissionError):
        AuditEntry.objects.all().delete()
    with pytest.raises(PermissionError):
        AuditEntry.objects.filter(pk=entry.pk).delete()
    assert AuditEntry.objects.count() == 4 and audit.verify_chain() == []


# --- Tampering ---------------------------------------------------------------------------------

def test_entry_edited_with_raw_sql_is_detected(entries, capsys):
    _raw(f"UPDATE {TABLE} SET action = %s WHERE id = %s", ["nothing.happened", entries[1].pk])
    assert audit.verify_chain() == [f"entry #{entries[1].pk} (seq 2): content does not match its HMAC (it was edited)"]
    code, out = _verify(capsys)
    assert code == 1
    assert f"First bad entry: #{entries[1].pk} (seq 2)" in out


def test_an_edit_with_every_later_hash_recomputed_without_the_key_is_detected(entries, capsys):
    """(a) The attacker writes to the database but has no key: plain SHA-256 cannot pass for the HMAC."""
    _rewrite_from(entries[1].pk, data={"n": 99}, key=None)
    problems = audit.verify_chain()
    assert problems[0] == f"entry #{entries[1].pk} (seq 2): content does not match its HMAC (it was edited)"
    code, out = _verify(capsys)
    assert code == 1 and f"First bad entry: #{entries[1].pk} (seq 2)" in out


def test_a_full_rewrite_with_the_key_is_detected_by_the_checkpoints(entries, capsys, checkpoint_storage):
    """(b) The attacker also holds AUDIT_LOG_KEY, but not the storage where the checkpoints were signed."""
    name = audit.checkpoint_write()
    assert name and name.startswith("audit/checkpoints/")
    key_id, keys = audit.keyring()
    _rewrite_from(entries[1].pk, data={"n": 99}, key=keys[key_id])
    assert audit.verify_chain() == []  # the chain alone is self-consistent again...
    code, out = _verify(capsys)
    assert code == 1  # ...the checkpoint is not
    assert f"checkpoint {name}: the chain at seq 4 differs from what was signed then" in out
    assert f"First bad entry: #{entries[0].pk} (seq 1)" in out


def test_a_deleted_newest_entry_is_detected(entries, capsys):
    """(c) Without touching the head it breaks the head; with the head fixed up, the checkpoint."""
    audit.checkpoint_write()
    _raw(f"DELETE FROM {NOTES} WHERE entry_id = %s", [entries[-1].pk])
    _raw(f"DELETE FROM {TABLE} WHERE id = %s", [entries[-1].pk])
    assert audit.verify_chain() == ["the newest entries were removed: the chain head names seq 4 but the log ends "
                                    "at seq 3"]
    assert _verify(capsys)[0] == 1
    _raw(f"UPDATE {HEAD} SET last_seq = 3, last_hash = %s WHERE id = 1", [entries[2].entry_hash])
    assert audit.verify_chain() == []
    code, out = _verify(capsys)
    assert code == 1 and "anchors seq 4" in out and "the newest entries were removed" in out


def test_a_wrong_key_exits_non_zero(entries, capsys, settings):
    """(d) Verifying with another AUDIT_LOG_KEY than the log was chained with fails, and says why."""
    audit.checkpoint_write()
    settings.AUDIT_LOG_KEY = "not-the-key-the-log-was-chained-with-0123456789"
    code, out = _verify(capsys)
    assert code == 1
    assert "is AUDIT_LOG_KEY right" in out and f"First bad entry: #{entries[0].pk} (seq 1)" in out


def test_a_deleted_entry_is_detected(entries, capsys):
    _raw(f"DELETE FROM {NOTES} WHERE entry_id = %s", [entries[1].pk])
    _raw(f"DELETE FROM {TABLE} WHERE id = %s", [entries[1].pk])
    assert audit.verify_chain() == [
        f"entry #{entries[2].pk} (seq 3): the entries at seq 2 to 2 are missing (removed)"]
    assert _verify(capsys)[0] == 1


def test_reordering_is_detected(entries):
    _raw(f"UPDATE {TABLE} SET seq = NULL WHERE id IN (%s, %s)", [entries[1].pk, entries[2].pk])
    _raw(f"UPDATE {TABLE} SET seq = 3 WHERE id = %s", [entries[1].pk])
    _raw(f"UPDATE {TABLE} SET seq = 2 WHERE id = %s", [entries[2].pk])
    problems = audit.verify_chain()
    assert problems and problems[0].startswith(f"entry #{entries[2].pk} (seq 2): does not follow")


def test_a_deleted_chain_head_is_reported(entries):
    _raw(f"DELETE FROM {HEAD}")
    assert len(audit.verify_chain()) == 1


def test_an_edited_or_deleted_note_is_detected(entries):
    _raw(f"UPDATE {NOTES} SET text = %s WHERE entry_id = %s", ["something else", entries[0].pk])
    _raw(f"DELETE FROM {NOTES} WHERE entry_id = %s", [entries[2].pk])
    assert audit.verify_chain() == [f"entry #{entries[0].pk} (seq 1): its note was edited",
                                    f"entry #{entries[2].pk} (seq 3): its note was deleted"]


def test_a_forged_checkpoint_is_detected(entries, checkpoint_storage):
    name = audit.checkpoint_write()
    path = checkpoint_storage.path(name)
    body = json.loads(open(path).read())
    body["seq"] = 2
    body["chain_hash"] = entries[1].entry_hash
    with open(path, "w") as fh:
        json.dump(body, fh)
    assert f"checkpoint {name}: its signature does not match (a forged checkpoint)" in audit.verify().problems


def test_every_problem_is_listed(entries, capsys):
    _raw(f"UPDATE {TABLE} SET action = %s WHERE id = %s", ["edited", entries[0].pk])
    _raw(f"DELETE FROM {NOTES} WHERE entry_id = %s", [entries[2].pk])
    _raw(f"DELETE FROM {TABLE} WHERE id = %s", [entries[2].pk])
    code, out = _verify(capsys)
    assert code == 1 and f"entry #{entries[0].pk}" in out and f"entry #{entries[3].pk}" in out
    assert f"First bad entry: #{entries[0].pk} (seq 1)" in out


# --- Keys and checkpoints ------------------------------------------------------------------------

def test_key_rotation_keeps_old_entries_verifiable(entries, settings, capsys):
    old_key = settings.AUDIT_LOG_KEY
    audit.checkpoint_write()
    settings.AUDIT_LOG_KEY = "the-next-audit-log-key-0123456789abcdefghijkl"
    settings.AUDIT_LOG_OLD_KEYS = [old_key]
    audit.record(actor=None, action="test.after_rotation", reason="new key")
    audit.chain_pending()
    newest = AuditEntry.objects.get(action="test.after_rotation")
    assert newest.key_id == audit.key_id_for(settings.AUDIT_LOG_KEY) != entries[0].key_id
    assert audit.checkpoint_write()
    assert _verify(capsys) == (0, "Audit log intact: 5 chained entries, 0 pending (not yet chained), 0 erased notes, "
                                  "2 checkpoints\n")
    settings.AUDIT_LOG_OLD_KEYS = []  # the old key forgotten: its entries and checkpoint cannot be checked
    code, out = _verify(capsys)
    assert code == 1 and "not configured" in out


def test_a_checkpoint_is_signed_and_written_only_when_there_is_something_new(entries, checkpoint_storage):
    name = audit.checkpoint_write()
    body = json.loads(checkpoint_storage.open(name).read())
    key_id, keys = audit.keyring()
    assert (body["seq"], body["entry_id"], body["chain_hash"], body["key_id"]) == (
        4, entries[-1].pk, entries[-1].entry_hash, key_id)
    assert body["signature"] == audit.checkpoint_signature(body, keys[key_id]) and body["time"]
    assert audit.checkpoint_write() is None  # nothing new
    audit.record(actor=None, action="test.more")
    assert audit.checkpoint_write() != name  # chains what is pending, then anchors it
    assert len(audit.checkpoint_names()) == 2


def test_no_checkpoint_vouches_for_a_tampered_log(entries):
    audit.checkpoint_write()
    audit.record(actor=None, action="test.more")
    audit.chain_pending()
    newest = AuditEntry.objects.get(action="test.more")
    for edited in (entries[3].pk, newest.pk):  # the entry the checkpoint anchors, and one after it
        _raw(f"UPDATE {TABLE} SET action = %s WHERE id = %s", ["edited", edited])
        assert audit.checkpoint_write() is None
        _raw(f"UPDATE {TABLE} SET action = %s WHERE id = %s", ["test.step" if edited == entries[3].pk
                                                              else "test.more", edited])
    assert audit.checkpoint_write()
    assert len(audit.checkpoint_names()) == 2


def test_the_beat_tasks_chain_and_checkpoint(actor, settings):
    from moderation.tasks import audit_log_chain, audit_log_checkpoint

    schedule = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {"moderation.tasks.audit_log_chain", "moderation.tasks.audit_log_checkpoint"} <= schedule
    audit.record(actor=actor, action="test.one")
    assert audit_log_chain.delay().get() == 1
    audit.record(actor=actor, action="test.two")
    name = audit_log_checkpoint.delay().get()
    assert name and AuditEntry.objects.filter(seq__isnull=True).count() == 0


# --- Staff console -------------------------------------------------------------------

def test_admin_audit_log_is_read_only_with_filters_and_search(staff_client, entries):
    changelist = reverse("admin:moderation_auditentry_changelist")
    page = staff_client.get(changelist).content.decode()
    assert "note (6 chars)" in page and "By action" in page and "By actor" in page
    assert "step 3" not in page  # a note's length, never its text
    assert '<nav class="toplinks">' in page and "created_at__year=" in page  # the date hierarchy
    assert reverse("admin:moderation_auditentry_add") not in page
    page = staff_client.get(changelist, {"q": str(entries[0].actor_id)}).content.decode()
    assert f"#{entries[0].seq}" in page
    page = staff_client.get(changelist, {"q": "999999"}).content.decode()
    assert "note (6 chars)" not in page
    change = reverse("admin:moderation_auditentry_change", args=[entries[0].pk])
    page = staff_client.get(change).content.decode()
    assert "note (6 chars)" in page and "step 0" not in page and entries[0].entry_hash in page
    assert 'name="action"' not in page and 'name="_save"' not in page
    assert staff_client.post(change, {"action": "changed"}).status_code == 403
    assert staff_client.get(reverse("admin:moderation_auditentry_add")).status_code == 403
    assert staff_client.get(reverse("admin:moderation_auditentry_delete", args=[entries[0].pk])).status_code == 403
    assert AuditEntry.objects.get(pk=entries[0].pk).action == "test.step"


def test_admin_review_items_are_read_only(staff_client):
    from .conftest import open_item

    item = open_item()
    changelist = reverse("admin:moderation_reviewitem_changelist")
    page = staff_client.get(changelist).content.decode()
    assert "test.profile" in page
    assert reverse("admin:moderation_reviewitem_add") not in page
    change = reverse("admin:moderation_reviewitem_change", args=[item.pk])
    assert 'name="status"' not in staff_client.get(change).content.decode()
    assert staff_client.get(reverse("admin:moderation_reviewitem_delete", args=[item.pk])).status_code == 403


def test_deleting_an_audited_user_keeps_the_log_intact(staff_client, entries):
    actor_id = entries[0].actor_id
    entries[0].actor.delete()
    assert AuditEntry.objects.filter(actor_id=actor_id).count() == 4
    assert audit.verify_chain() == []
    page = staff_client.get(reverse("admin:moderation_auditentry_change", args=[entries[0].pk])).content.decode()
    assert f"#{actor_id}" in page
    assert f"#{actor_id}" in staff_client.get(reverse("admin:moderation_auditentry_changelist")).content.decode()
