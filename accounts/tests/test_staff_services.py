"""Staff changes to an account's rights and level: one audited service each, refused to who may not make them."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import PermissionDenied

from accounts import access, services
from accounts.models import AgreementVersion, Level, User
from accounts.tests.factories import Level2UserFactory, UserFactory
from moderation.models import AuditEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser(db):
    return UserFactory(is_staff=True, is_superuser=True)


def _entries(action):
    return list(AuditEntry.objects.filter(action=action).order_by("pk"))


def test_level_set_lowers_the_level_and_records_who_and_why(superuser):
    user = Level2UserFactory()
    services.user_level_set(user=user, level=Level.REGISTERED, actor=superuser, reason="Document found forged")
    user.refresh_from_db()
    assert user.level == Level.REGISTERED and user.level_source == "" and user.level_changed_at is not None
    [entry] = _entries("user.level_set")
    assert entry.actor_id == superuser.pk and entry.target_id == str(user.pk)
    assert (entry.data["from"], entry.data["to"]) == (Level.VERIFIED, Level.REGISTERED)
    assert entry.reason == "Document found forged"


def test_level_set_to_the_same_level_records_nothing(superuser):
    user = Level2UserFactory()
    services.user_level_set(user=user, level=Level.VERIFIED, actor=superuser, reason="No change")
    assert _entries("user.level_set") == []


def test_groups_permissions_and_flags_are_recorded_with_what_changed(superuser):
    user = UserFactory()
    moderators = Group.objects.get(name="moderator")
    perm = Permission.objects.get(codename="add_penalty")
    access.user_access_set(user=user, groups=[moderators], permissions=[perm], is_staff=True, is_superuser=False,
                           actor=superuser, reason="New moderator for the night shift")
    user = User.objects.get(pk=user.pk)
    assert list(user.groups.values_list("name", flat=True)) == ["moderator"]
    assert user.has_perm("moderation.add_penalty") and user.is_staff and not user.is_superuser
    assert _entries("user.groups")[0].data == {"added": ["moderator"], "removed": []}
    assert _entries("user.permissions")[0].data == {"added": ["moderation.add_penalty"], "removed": []}
    assert _entries("user.staff_flags")[0].data == {
        "before": {"is_staff": False, "is_superuser": False}, "after": {"is_staff": True, "is_superuser": False}}
    access.user_groups_set(user=user, groups=[], actor=superuser, reason="Left the team")
    assert _entries("user.groups")[1].data == {"added": [], "removed": ["moderator"]}


def test_only_another_superuser_changes_rights(superuser):
    user = UserFactory()
    staff = UserFactory(is_staff=True)
    with pytest.raises(PermissionDenied):
        access.user_staff_flags_set(user=user, is_staff=True, is_superuser=True, actor=staff, reason="Promotion")
    with pytest.raises(PermissionDenied, match="your own"):
        access.user_staff_flags_set(user=superuser, is_staff=True, is_superuser=False, actor=superuser,
                                    reason="Stepping down")
    with pytest.raises(PermissionDenied, match="your own"):
        access.user_groups_set(user=superuser, groups=list(Group.objects.all()), actor=superuser, reason="More")
    assert not AuditEntry.objects.exists()
    assert not User.objects.get(pk=user.pk).is_superuser


def test_a_refused_part_rolls_back_the_whole_change_of_rights(superuser):
    user = UserFactory()
    with pytest.raises(PermissionDenied):
        access.user_access_set(user=user, groups=[Group.objects.get(name="moderator")], permissions=[],
                               is_staff=False, is_superuser=True, actor=superuser, reason="Superuser, not staff")
    assert not user.groups.exists() and not AuditEntry.objects.exists()


def test_publishing_an_agreement_version_is_recorded_once(superuser):
    draft = AgreementVersion.objects.create(version="2026.9", title="T", body_zh="中文", body_en="English")
    services.agreement_publish(version=draft, actor=superuser, reason="Privacy section rewritten")
    services.agreement_publish(version=draft, actor=superuser)  # a second click changes nothing
    [entry] = _entries("agreement.publish")
    assert entry.data == {"version": "2026.9", "replaces": "2026.1"} and entry.actor_id == superuser.pk
    assert services.agreement_current() == draft
