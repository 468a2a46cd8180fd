"""The targets registry, the hooks, the tombstone, and what survives an account's deletion."""

import pytest
from django.template.loader import render_to_string

from accounts import policy
from accounts.models import Profile, User
from accounts.services import identity_store
from accounts.tests.factories import Level1UserFactory, Level2UserFactory
from moderation import hooks, reports, selectors, targets
from moderation.models import IdentityBan, Penalty, Report, ReportCase, Rung, Strike

from .conftest import CONTENT_KEY, apply_rung

pytestmark = pytest.mark.django_db


def test_registry_finds_types_by_key_and_by_object(content_target):
    user = Level1UserFactory()
    assert targets.get(CONTENT_KEY) is content_target and CONTENT_KEY in targets.types()
    assert targets.for_object(user.profile) is content_target
    assert targets.for_object(user) is targets.get("user")
    assert targets.resolve(CONTENT_KEY, user.profile.pk) == (content_target, user.profile)
    assert targets.resolve(CONTENT_KEY, 999999) == (content_target, None)
    assert targets.resolve("nothing", 1) == (None, None)
    with pytest.raises(KeyError):
        targets.get("nothing")
    with pytest.raises(ValueError):
        targets.register(targets.TargetType(key="a/b", label="x", model=Profile, owner=lambda o: None,
                                            snapshot=lambda o: {}))


def test_snapshot_is_plain_json_whatever_the_app_returns(content_target):
    weird = targets.TargetType(key="weird", label="Weird", model=Profile, owner=lambda o: o.user,
                               snapshot=lambda o: {"text": 42, "images": ["a.jpg", "", None], "secret": "no"})
    snapshot = targets.safe_snapshot(weird, Level1UserFactory().profile)
    assert snapshot == {"text": "42", "images": ["a.jpg"], "label": "Weird"}


def test_hooks_connect_once_and_disconnect():
    calls = []

    def callback(**kwargs):
        calls.append(kwargs)

    hook = hooks.Hook("test")
    hook.connect(callback)
    hook.connect(callback)
    hook.send(a=1)
    hook.disconnect(callback)
    hook.send(a=2)
    assert calls == [{"a": 1}]


def test_tombstone_text_in_both_languages():
    from django.utils import translation

    assert "removed for breaking the rules" in render_to_string("moderation/tombstone.html")
    assert str(targets.TOMBSTONE_TEXT) == "This content was removed for breaking the rules"
    with translation.override("zh-hans"):
        # Until the catalogue has it, the English text shows; never an empty box.
        assert render_to_string("moderation/tombstone.html").strip()


def test_deleting_a_closed_account_keeps_the_record_and_the_identity_ban(senior, content_target):
    user = Level2UserFactory()
    fingerprint = identity_store(user=user, real_name="王五", document_type="resident_id",
                                 document_number="110105199003071001").fingerprint
    reports.report_create(reporter=user, target_key=CONTENT_KEY, obj=Level1UserFactory().profile, category="other")
    penalty = apply_rung(user, Rung.CLOSE, moderator=senior, ban_days="forever")
    User.objects.filter(pk=user.pk).delete()
    penalty.refresh_from_db()
    assert penalty.user_id is None and penalty.owner_id is None and penalty.reason
    assert Strike.objects.get(penalty=penalty).user_id is None
    assert IdentityBan.objects.filter(fingerprint=fingerprint).exists() and not policy.identity_allowed(fingerprint)
    assert Report.objects.get().reporter_id is None and ReportCase.objects.count() == 1
    assert Penalty.objects.count() == 1
    assert not list(selectors.closed_user_ids())
