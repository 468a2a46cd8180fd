"""Free text staff type stays out of the permanent record: an erasable note, never on an audit page or in the export."""

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse

from accounts import deletion
from accounts.tests.factories import Level2UserFactory
from moderation import audit, ladder, services
from moderation.models import AuditEntry, AuditNote, Rule, Rung

from .conftest import make_moderator, open_item

pytestmark = pytest.mark.django_db

NAME, ID_NUMBER, PHONE = "张三丰", "11010519491231002X", "13800138000"
SECRETS = (NAME, ID_NUMBER, PHONE, "110105194912310", "138 0013 8000", "1380013")
NOTE = f"Called {NAME} ({ID_NUMBER}) on {PHONE}: the profile is his."


@pytest.fixture(autouse=True)
def checkpoint_storage(settings, tmp_path):
    settings.STORAGES = {**settings.STORAGES, "private": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(tmp_path / "private"), "base_url": "/no-public-url/"}}}


@pytest.fixture
def seeded(db):
    """Notes holding a name, an ID number and a phone number, through the real services and record() itself."""
    moderator, senior = make_moderator(), make_moderator("senior moderator")
    member = Level2UserFactory()
    item = open_item(subject=member)
    services.review_item_claim(item=item, reviewer=moderator)
    services.review_item_decide(item=item, reviewer=moderator, decision="approve", note=NOTE)
    ladder.penalty_apply(target_user=member, action=Rung.WARN, rule=Rule.COMMUNITY, reason=NOTE, moderator=senior,
                         extra_audit={"rung_reason": NOTE})
    audit.record(actor=moderator, action="test.note", target=member, reason=NOTE, data={"n": 1})
    audit.chain_pending()
    audit.record(actor=moderator, action="test.pending_note", target=member, reason=NOTE)  # not chained yet
    return {"member": member, "moderator": moderator}


def _assert_clean(text: str, where: str) -> None:
    for secret in SECRETS:
        assert secret not in text, f"{secret!r} shown in {where}"


def test_no_audit_page_and_no_export_shows_a_note(staff_client, seeded):
    assert AuditNote.objects.filter(text__contains=ID_NUMBER).count() == 4  # the notes are there...
    entries = list(AuditEntry.objects.order_by("pk"))
    for entry in entries:  # ...and the entries' data holds none of it
        _assert_clean(str(entry.data), f"the data of entry {entry.pk}")
    export = staff_client.get(reverse("moderation:audit_export"))
    body = b"".join(export.streaming_content).decode()
    _assert_clean(body, "the CSV export")
    assert body.count("note (") == 4
    changelist = reverse("admin:moderation_auditentry_changelist")
    pages = {
        "the changelist": changelist,
        "the changelist filtered": f"{changelist}?action__exact=test.note",
        "the changelist by actor": f"{changelist}?actor__id__exact={seeded['moderator'].pk}",
        "the changelist by target": f"{changelist}?q={seeded['member'].pk}",
    }
    for entry in entries:
        pages[f"entry {entry.pk}"] = reverse("admin:moderation_auditentry_change", args=[entry.pk])
        pages[f"history of entry {entry.pk}"] = reverse("admin:moderation_auditentry_history", args=[entry.pk])
    for where, url in pages.items():
        response = staff_client.get(url)
        assert response.status_code == 200, where
        _assert_clean(response.content.decode(), where)
    page = staff_client.get(pages["the changelist"]).content.decode()
    assert f"note ({len(NOTE)} chars)" in page


def test_erasing_an_account_erases_the_notes_about_it(seeded, capsys):
    from django.core.management import call_command

    member = seeded["member"]
    other = Level2UserFactory()
    audit.record(actor=seeded["moderator"], action="test.note", target=other, reason="about someone else")
    about_member = AuditNote.objects.filter(subject_id=member.pk)
    assert about_member.count() == 4  # the decision (item's subject), the warning, and two notes on the account
    request = deletion.deletion_start(user=member)
    with time_machine.travel(request.erase_after + timedelta(minutes=1)):
        assert deletion.deletion_erase(deletion_request_id=request.pk)
    assert not AuditNote.objects.filter(text__contains=NAME).exists()
    assert all(note.erased_at and note.text == "" for note in about_member)
    assert AuditNote.objects.get(subject_id=other.pk).text == "about someone else"
    erasure = AuditEntry.objects.get(action="audit.notes_erase")
    assert erasure.data == {"user": member.pk, "notes": 4}
    # The entries stay, and an erased note is reported as erased, not as tampering.
    audit.chain_pending()
    result = audit.verify()
    assert result.ok and result.erased_notes == 4, result.problems
    call_command("verify_audit_log")
    assert "4 erased notes" in capsys.readouterr().out


def test_an_erased_note_is_told_apart_from_an_edited_one(seeded):
    from django.db import connection

    audit.erase_notes_about(user=seeded["member"])
    audit.chain_pending()
    assert audit.verify().ok and audit.verify().erased_notes == 4
    note = AuditNote.objects.filter(entry__seq__isnull=False).order_by("entry_id").first()
    with connection.cursor() as cursor:  # "un-erased" with other words: that is tampering
        cursor.execute(f"UPDATE {AuditNote._meta.db_table} SET text = %s, erased_at = NULL WHERE entry_id = %s",
                       ["written after the erasure", note.entry_id])
    assert audit.verify_chain() == [f"entry #{note.entry_id} (seq {note.entry.seq}): its note was edited"]


def test_callers_put_no_free_text_in_data():
    """Every audit.record() call in the code passes free text only as reason=, never in data= (a scan)."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    suspicious = re.compile(r"data=\{[^}]*\b(note|reason|text|comment|message|body|rung_reason)\b\s*\"?\s*:", re.S)
    offenders = []
    for path in root.glob("*/**/*.py"):
        if "tests" in path.parts or ".venv" in path.parts or "migrations" in path.parts:
            continue
        source = path.read_text(encoding="utf-8")
        for call in re.finditer(r"audit\.record\((.*?)\)\n", source, re.S):
            if suspicious.search(call.group(1)):
                offenders.append(f"{path.relative_to(root)}: {call.group(0)[:80]}")
    assert offenders == []
