"""Entries written before the keyed chain: their reasons move to notes and the log is re-chained under the key."""

import importlib

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from accounts.tests.factories import Level1UserFactory
from moderation import audit
from moderation.models import AuditEntry, AuditNote

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("moderation", "0003_enforcement")]
rechain = importlib.import_module("moderation.migrations.0005_audit_move_notes_and_rechain")


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def test_old_entries_are_moved_and_rechained(settings, tmp_path):
    settings.STORAGES = {**settings.STORAGES, "private": {
        "BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path)}}}
    member = Level1UserFactory()
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()
    try:
        old_apps = _migrate(BEFORE)
        Entry, Head = old_apps.get_model("moderation", "AuditEntry"), old_apps.get_model("moderation", "AuditChainHead")
        prev = ""
        for n, reason in enumerate(["", "Called 张三丰 about it", ""]):
            entry = Entry(action=f"old.{n}", target_type="accounts.user", target_id=str(member.pk), reason=reason,
                          data={"n": n}, created_at=timezone.now(), prev_hash=prev)
            entry.entry_hash = rechain._old_hash(entry)
            entry.save()
            prev = entry.entry_hash
        Head.objects.create(pk=1, last_hash=prev)
    finally:
        _migrate(latest)
    entries = list(AuditEntry.objects.order_by("pk"))
    assert [e.action for e in entries] == ["old.0", "old.1", "old.2", "audit.rekey"]
    assert [e.seq for e in entries] == [1, 2, 3, 4]
    assert entries[-1].data == {"entries": 3, "old_chain_intact": True, "old_last_hash": prev}
    note = AuditNote.objects.get()
    assert (note.entry_id, note.text, note.subject_id) == (entries[1].pk, "Called 张三丰 about it", member.pk)
    assert entries[1].reason == "Called 张三丰 about it"
    result = audit.verify()
    assert result.ok and result.chained == 4, result.problems
