"""The append-only, hash-chained audit log: tampering is detected, changes through the ORM are refused."""

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.urls import reverse

from accounts.tests.factories import Level1UserFactory
from moderation import audit
from moderation.models import AuditChainHead, AuditEntry

pytestmark = pytest.mark.django_db

TABLE = AuditEntry._meta.db_table


@pytest.fixture
def entries():
    actor = Level1UserFactory()
    return [audit.record(actor=actor, action="test.step", target=actor, reason=f"step {n}", data={"n": n})
            for n in range(4)]


def _raw(sql: str, params) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _verify() -> tuple[int, str]:
    try:
        call_command("verify_audit_log")
    except CommandError as exc:
        return exc.returncode, str(exc)
    return 0, ""


def test_entries_chain_to_each_other(entries):
    assert entries[0].prev_hash == ""
    assert [e.prev_hash for e in entries[1:]] == [e.entry_hash for e in entries[:-1]]
    assert AuditChainHead.objects.get(pk=1).last_hash == entries[-1].entry_hash
    assert audit.verify_chain() == []


def test_record_stores_who_what_which_and_why(entries):
    entry = AuditEntry.objects.get(pk=entries[1].pk)
    assert (entry.action, entry.target_type, entry.target_id, entry.reason, entry.data) == (
        "test.step", "accounts.user", str(entries[1].actor_id), "step 1", {"n": 1})


def test_intact_log_command_exits_0(entries, capsys):
    call_command("verify_audit_log")
    assert "Audit log intact: 4 entries" in capsys.readouterr().out


def test_empty_log_is_intact(capsys):
    call_command("verify_audit_log")
    assert "Audit log intact: 0 entries" in capsys.readouterr().out


def test_entry_edited_with_raw_sql_is_detected(entries, capsys):
    _raw(f"UPDATE {TABLE} SET reason = %s WHERE id = %s", ["nothing happened", entries[1].pk])
    problems = audit.verify_chain()
    assert problems == [f"entry {entries[1].pk}: content does not match its hash (it was edited)"]
    code, _message = _verify()
    assert code == 1
    assert f"entry {entries[1].pk}: content does not match its hash" in capsys.readouterr().err


def test_rehashed_edit_is_still_detected_by_the_next_entry(entries):
    """Editing an entry and fixing up its own hash breaks the link from the entry after it."""
    forged = AuditEntry.objects.get(pk=entries[1].pk)
    forged.reason = "forged"
    _raw(f"UPDATE {TABLE} SET reason = %s, entry_hash = %s WHERE id = %s",
         ["forged", forged.compute_hash(), entries[1].pk])
    assert audit.verify_chain() == [
        f"entry {entries[2].pk}: does not follow entry {entries[1].pk} (an entry was removed or reordered)"]


def test_deleted_entry_is_detected(entries, capsys):
    _raw(f"DELETE FROM {TABLE} WHERE id = %s", [entries[1].pk])
    assert audit.verify_chain() == [
        f"entry {entries[2].pk}: does not follow entry {entries[0].pk} (an entry was removed or reordered)"]
    assert _verify()[0] == 1
    assert "an entry was removed" in capsys.readouterr().err


def test_deleted_oldest_entry_is_detected(entries):
    _raw(f"DELETE FROM {TABLE} WHERE id = %s", [entries[0].pk])
    assert len(audit.verify_chain()) == 1


def test_deleted_newest_entry_is_detected_by_the_chain_head(entries, capsys):
    _raw(f"DELETE FROM {TABLE} WHERE id = %s", [entries[-1].pk])
    assert audit.verify_chain() == [
        "the newest entries were removed (the chain head does not match the last entry)"]
    assert _verify()[0] == 1
    assert "chain head" in capsys.readouterr().err


def test_deleted_chain_head_is_reported(entries):
    _raw(f"DELETE FROM {AuditChainHead._meta.db_table}", [])
    assert len(audit.verify_chain()) == 1


def test_every_problem_is_listed(entries, capsys):
    _raw(f"UPDATE {TABLE} SET action = %s WHERE id = %s", ["edited", entries[0].pk])
    _raw(f"DELETE FROM {TABLE} WHERE id = %s", [entries[2].pk])
    code, message = _verify()
    err = capsys.readouterr().err
    assert code == 1 and "2 problem(s)" in message
    assert f"entry {entries[0].pk}" in err and f"entry {entries[3].pk}" in err


def test_orm_changes_are_refused(entries):
    entry = AuditEntry.objects.get(pk=entries[0].pk)
    entry.reason = "changed"
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete()
    with pytest.raises(PermissionError):
        AuditEntry.objects.update(reason="changed")
    with pytest.raises(PermissionError):
        AuditEntry.objects.filter(pk=entry.pk).update(reason="changed")
    with pytest.raises(PermissionError):
        AuditEntry.objects.all().delete()
    with pytest.raises(PermissionError):
        AuditEntry.objects.filter(pk=entry.pk).delete()
    assert AuditEntry.objects.count() == 4 and audit.verify_chain() == []


def test_record_without_an_actor_or_target():
    entry = audit.record(actor=None, action="system.job")
    assert (entry.actor, entry.target_type, entry.target_id, entry.data) == (None, "", "", {})
    assert audit.verify_chain() == []


# --- Staff console -------------------------------------------------------------------

def test_admin_audit_log_is_read_only_with_filters_and_search(staff_client, entries):
    changelist = reverse("admin:moderation_auditentry_changelist")
    page = staff_client.get(changelist).content.decode()
    assert "step 3" in page and "By action" in page and "By actor" in page
    assert '<nav class="toplinks">' in page and "created_at__year=" in page  # the date hierarchy
    assert reverse("admin:moderation_auditentry_add") not in page
    page = staff_client.get(changelist, {"q": str(entries[0].actor_id)}).content.decode()
    assert "step 0" in page
    page = staff_client.get(changelist, {"q": "999999"}).content.decode()
    assert "step 0" not in page
    page = staff_client.get(changelist, {"action__exact": "test.step"}).content.decode()
    assert "step 2" in page
    change = reverse("admin:moderation_auditentry_change", args=[entries[0].pk])
    page = staff_client.get(change).content.decode()
    assert "step 0" in page and 'name="reason"' not in page and 'name="_save"' not in page
    assert staff_client.post(change, {"reason": "changed"}).status_code == 403
    assert staff_client.get(reverse("admin:moderation_auditentry_add")).status_code == 403
    assert staff_client.get(reverse("admin:moderation_auditentry_delete", args=[entries[0].pk])).status_code == 403
    assert AuditEntry.objects.get(pk=entries[0].pk).reason == "step 0"


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
