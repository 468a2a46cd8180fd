"""One service sets a user's level, up or down, under a lock and with an audit entry."""

import re

import pytest
from django.core.exceptions import ValidationError

from accounts import services
from accounts.models import Level, LevelSource, User
from accounts.services import user_level_set
from accounts.tests.factories import Level2UserFactory, UserFactory
from moderation.models import AuditEntry

pytestmark = pytest.mark.django_db


def _entries(user):
    return list(AuditEntry.objects.filter(action="user.level_set", target_id=str(user.pk)).order_by("pk"))


def test_lowering_and_raising_change_the_level_and_leave_an_entry_each():
    staff, user = UserFactory(is_staff=True), Level2UserFactory()
    returned = user_level_set(user=user, level=Level.INDIRECT, actor=staff, reason="identity found false")
    fresh = User.objects.get(pk=user.pk)
    assert (fresh.level, fresh.level_source) == (Level.INDIRECT, LevelSource.PHONE) and fresh.level_changed_at
    assert (returned.level, user.level) == (Level.INDIRECT, Level.INDIRECT)  # the caller's object follows
    user_level_set(user=user, level=Level.REGISTERED, actor=staff, reason="phone number withdrawn")
    user_level_set(user=user, level=Level.VERIFIED, actor=staff, reason="document seen at the desk",
                   source=LevelSource.DOCUMENT)
    fresh = User.objects.get(pk=user.pk)
    assert (fresh.level, fresh.level_source) == (Level.VERIFIED, LevelSource.DOCUMENT)
    entries = _entries(user)
    assert [(e.data["from"], e.data["to"]) for e in entries] == [(2, 1), (1, 0), (0, 2)]
    assert {e.actor_id for e in entries} == {staff.pk}
    assert entries[0].target_type == "accounts.user"


def test_setting_the_same_level_changes_and_records_nothing():
    user = Level2UserFactory()
    before = User.objects.get(pk=user.pk).level_changed_at
    user_level_set(user=user, level=Level.VERIFIED, actor=None, reason="re-check")
    assert User.objects.get(pk=user.pk).level_changed_at == before and _entries(user) == []


@pytest.mark.parametrize(("level", "reason", "source"), [(7, "typo", None), (1, "   ", None), (1, "x", "magic")])
def test_a_bad_level_source_or_missing_reason_is_refused(level, reason, source):
    user = Level2UserFactory()
    with pytest.raises(ValidationError):
        user_level_set(user=user, level=level, actor=None, reason=reason, source=source)
    assert User.objects.get(pk=user.pk).level == Level.VERIFIED and _entries(user) == []


def test_level_raise_never_lowers_and_goes_through_the_service():
    user = Level2UserFactory()
    services.level_raise(user=user, to=Level.INDIRECT, source=LevelSource.PHONE)
    assert User.objects.get(pk=user.pk).level == Level.VERIFIED and _entries(user) == []


def test_a_confirmed_phone_raises_the_level_through_the_service(sms_outbox, django_capture_on_commit_callbacks):
    user = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        services.phone_send_code(user=user, number="+8613800138000")
    code = re.search(r"\b(\d{6})\b", sms_outbox[-1]["text"]).group(1)
    services.phone_confirm(user=user, code=code)
    assert User.objects.get(pk=user.pk).level == Level.INDIRECT
    [entry] = _entries(user)
    assert entry.actor_id == user.pk and entry.data == {"from": 0, "to": 1, "source": "phone"}
