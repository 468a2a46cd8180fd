"""Staff notes about an account: audited by reference (the text never in the entry's data), erased with it."""

from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts import deletion
from accounts.tasks import erase_deleted_accounts
from accounts.tests.factories import Level2UserFactory, UserFactory
from moderation.models import AccountNote, AuditEntry
from moderation.notes import account_note_add

pytestmark = pytest.mark.django_db

TEXT = "Called the support line twice; says the phone is shared with a sister."


def test_a_note_is_recorded_by_reference_without_its_text_in_the_data():
    staff = UserFactory(is_staff=True)
    user = Level2UserFactory()
    note = account_note_add(user=user, author=staff, text=f"  {TEXT}  ")
    assert note.text == TEXT and note.author == staff and note.user == user
    [entry] = AuditEntry.objects.filter(action="account.note")
    assert entry.target_type == "moderation.accountnote" and entry.target_id == str(note.pk)
    assert entry.data == {"user": user.pk} and TEXT not in str(entry.data)


def test_an_empty_note_or_a_non_staff_author_is_refused():
    user = Level2UserFactory()
    with pytest.raises(ValidationError):
        account_note_add(user=user, author=UserFactory(is_staff=True), text="   ")
    with pytest.raises(ValidationError):
        account_note_add(user=user, author=Level2UserFactory(), text=TEXT)
    assert not AccountNote.objects.exists() and not AuditEntry.objects.exists()


def test_notes_about_an_account_are_erased_with_it():
    staff = UserFactory(is_staff=True)
    user, other = Level2UserFactory(), Level2UserFactory()
    account_note_add(user=user, author=staff, text=TEXT)
    kept = account_note_add(user=other, author=staff, text="About someone else")
    request = deletion.deletion_start(user=user)
    with time_machine.travel(request.erase_after + timedelta(minutes=1)):
        assert erase_deleted_accounts() == 1
    assert list(AccountNote.objects.all()) == [kept]


def test_staff_add_a_note_in_the_console_and_cannot_edit_it(staff_client):
    user = Level2UserFactory()
    add = reverse("admin:moderation_accountnote_add")
    assert staff_client.get(add).status_code == 200
    response = staff_client.post(add, {"user": user.pk, "text": TEXT})
    assert response.status_code == 302
    note = AccountNote.objects.get()
    assert note.user == user and note.text == TEXT
    assert AuditEntry.objects.filter(action="account.note", target_id=str(note.pk)).exists()
    page = staff_client.get(reverse("admin:moderation_accountnote_change", args=[note.pk])).content.decode()
    assert TEXT in page and 'name="text"' not in page
    staff_client.post(reverse("admin:moderation_accountnote_change", args=[note.pk]), {"user": user.pk, "text": "x"})
    note.refresh_from_db()
    assert note.text == TEXT
