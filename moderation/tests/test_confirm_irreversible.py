"""Confirm before the irreversible: closing, identity bans, publishing an agreement, changing rights and levels.

Each confirmation page states what will happen and renders what the user(s) will read, in both
languages; a GET or the first POST changes nothing; the confirming POST changes it and writes audit.
The console's ladder uses the queue's checks: suggested rung, a reason for another, close for seniors.
"""

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.models import Group, Permission
from django.urls import reverse

from accounts import services as account_services
from accounts.models import AgreementVersion, Level, User
from accounts.tests.factories import Level1UserFactory, Level2UserFactory
from conftest import mfa_login
from moderation import selectors
from moderation.models import AuditEntry, IdentityBan, Penalty, ReviewItem, Rung
from social.models import Moment
from social.tests.factories import MomentFactory

from .conftest import apply_rung, make_moderator

pytestmark = pytest.mark.django_db

APPLY = reverse("admin:moderation_penalty_apply")
NUMBER = "11010519491231002X"
CLOSED_EN, CLOSED_ZH = "Your account is closed", "你的账号已被封禁"
AGREEMENT_EN = "A new version of the service agreement is in force."
AGREEMENT_ZH = "新版服务协议已生效"


def _console(client, user):
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    user.user_permissions.add(Permission.objects.get(codename="add_penalty"))
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return mfa_login(client, user)


@pytest.fixture
def senior_client(client):
    return _console(client, make_moderator("moderator", "senior moderator"))


@pytest.fixture
def target():
    user = Level2UserFactory(language="zh-hans")
    account_services.identity_store(user=user, real_name="张三", document_type="resident_id", document_number=NUMBER)
    return user


CLOSE = {"action": Rung.CLOSE, "rule": "laws", "reason": "Selling forged documents", "ban": "forever",
         "rung_reason": "Forged documents are never a first warning"}


# --- Closing with an identity ban from the console ------------------------------------------------

def test_the_console_form_shows_the_suggested_rung_and_strikes_and_changes_nothing(senior_client, target):
    apply_rung(target, Rung.WARN, moderator=make_moderator(), rule="authenticity")
    html = senior_client.get(APPLY, {"ids": str(target.pk)}).content.decode()
    assert '<td class="suggested"><strong>Restrict publishing</strong></td>' in html
    assert '<option value="20" selected>' in html and "The authenticity of information" in html
    assert 'name="rung_reason"' in html and 'name="ban"' in html
    assert Penalty.objects.count() == 1


def test_closing_shows_what_happens_and_the_notice_in_both_languages_before_anything_changes(senior_client, target):
    entries = AuditEntry.objects.count()
    response = senior_client.post(APPLY, {"ids": str(target.pk), **CLOSE})
    html = response.content.decode()
    assert response.status_code == 200 and "Yes, apply it" in html
    assert "The account is closed: it can no longer be used and all its content is hidden." in html
    assert "Identity ban: the real identity behind the account may never open a new account." in html
    # What the user reads, rendered by the service's own notice function, in English and in Chinese.
    assert CLOSED_EN in html and CLOSED_ZH in html and "Selling forged documents" in html
    assert "Your real identity may not be used to open a new account." in html
    assert not Penalty.objects.exists() and not IdentityBan.objects.exists()
    assert AuditEntry.objects.count() == entries
    assert not selectors.user_is_closed(User.objects.get(pk=target.pk))


def test_the_confirming_post_closes_bans_the_identity_and_writes_audit(senior_client, target):
    response = senior_client.post(APPLY, {"ids": str(target.pk), **CLOSE, "confirm": "yes"})
    assert response.status_code == 302
    penalty = Penalty.objects.get(user=target)
    assert penalty.action == Rung.CLOSE and IdentityBan.objects.filter(penalty=penalty, until__isnull=True).count() == 1
    assert selectors.user_is_closed(User.objects.get(pk=target.pk))
    entry = AuditEntry.objects.get(action="penalty.close")
    assert entry.data["identity_ban"] == "forever" and entry.data["suggested"] == Rung.WARN
    assert entry.data["rung_reason_given"] is True and entry.data["via"] == "console"
    assert CLOSE["rung_reason"] in entry.reason  # free text lives in the erasable note, not in data


def test_a_plain_moderator_cannot_close_from_the_console(client, target):
    _console(client, make_moderator("moderator"))
    for data in ({"ids": str(target.pk), **CLOSE}, {"ids": str(target.pk), **CLOSE, "confirm": "yes"}):
        html = client.post(APPLY, data).content.decode()
        assert "Only a senior moderator may close an account." in html and "Yes, apply it" not in html
    assert not Penalty.objects.exists() and not IdentityBan.objects.exists()


def test_another_rung_than_the_suggested_one_needs_a_reason(senior_client, target):
    data = {"ids": str(target.pk), "action": Rung.SUSPEND, "rule": "laws", "reason": "Scam", "duration": "7",
            "confirm": "yes"}
    html = senior_client.post(APPLY, data).content.decode()
    assert "You chose another action than the suggested one: say why." in html and "Yes, apply it" not in html
    assert not Penalty.objects.exists()
    # The suggested rung itself needs none.
    response = senior_client.post(APPLY, {**data, "action": Rung.WARN})
    assert response.status_code == 302
    assert Penalty.objects.get().action == Rung.WARN


# --- Closing from the queue -----------------------------------------------------------------------

@pytest.fixture
def reported(content_target):
    from moderation import reports

    author = Level1UserFactory(language="en")
    author.profile.bio = "Forged diplomas for sale"
    author.profile.save()
    reports.report_create(reporter=Level1UserFactory(), target_key=content_target.key, obj=author.profile,
                          category="fraud", text="")
    return author, ReviewItem.objects.get(kind="report")


def test_closing_from_the_queue_is_confirmed_on_its_own_page(client, reported):
    author, item = reported
    senior = make_moderator("moderator", "senior moderator")
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    mfa_login(client, senior)
    client.post(reverse("moderation:claim", args=[item.pk]))
    url = reverse("moderation:decide", args=[item.pk])
    data = {"decision": "close", "note": "Forged diplomas", "rule": "laws", "duration": "7", "ban": "days",
            "ban_days": "365", "rung_reason": "Forgery is closed at once"}
    html = client.post(url, data).content.decode()
    assert "Confirm the closure" in html and "Yes, close it" in html
    assert "may not open a new account for 365 days" in html
    assert CLOSED_EN in html and CLOSED_ZH in html and "Forged diplomas" in html
    assert not Penalty.objects.exists() and ReviewItem.objects.get(pk=item.pk).decision == ""
    # Going back keeps everything typed.
    html = client.post(url, {**data, "confirmed": "back"}).content.decode()
    assert "Forgery is closed at once" in html and not Penalty.objects.exists()
    response = client.post(url, {**data, "confirmed": "yes"})
    assert response.status_code == 302
    assert selectors.user_is_closed(User.objects.get(pk=author.pk))
    assert AuditEntry.objects.filter(action="penalty.close").count() == 1


def test_a_warning_from_the_queue_needs_no_confirmation(client, reported):
    author, item = reported
    moderator = make_moderator("moderator")
    mfa_login(client, moderator)
    client.post(reverse("moderation:claim", args=[item.pk]))
    response = client.post(reverse("moderation:decide", args=[item.pk]),
                           {"decision": "warn", "note": "Spam", "rule": "community", "duration": "7"})
    assert response.status_code == 302 and Penalty.objects.get().action == Rung.WARN


# --- Taking content down from the console ----------------------------------------------------------

def test_a_moment_is_taken_down_through_the_ladder_from_its_admin(staff_client):
    senior_client = staff_client
    senior_client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    moment = MomentFactory(author=Level2UserFactory(language="en"), text="Fake cures")
    response = senior_client.post(reverse("admin:social_moment_changelist"),
                                  {"action": "take_down_with_ladder_action", ACTION_CHECKBOX_NAME: [moment.pk]})
    assert response.status_code == 302 and "content=moment" in response["Location"]
    html = senior_client.get(response["Location"]).content.decode()
    assert "Take down" in html and Moment.objects.get(pk=moment.pk).removed_at is None
    data = {"content": f"moment:{moment.pk}", "ids": "0", "action": Rung.WARN, "rule": "authenticity",
            "reason": "False health claims", "duration": "7"}
    html = senior_client.post(APPLY, data).content.decode()
    assert "a tombstone shows in its place" in html and "You received a warning" in html
    assert Moment.objects.get(pk=moment.pk).removed_at is None
    assert senior_client.post(APPLY, {**data, "confirm": "yes"}).status_code == 302
    penalty = Penalty.objects.get()
    assert penalty.user == moment.author and penalty.removed == {"key": "moment", "pk": moment.pk}
    assert Moment.objects.get(pk=moment.pk).removed_at is not None


# --- Publishing an agreement version ---------------------------------------------------------------

def test_publishing_an_agreement_is_confirmed_with_what_users_will_read(staff_client):
    staff_client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    Level2UserFactory(), Level2UserFactory()
    draft = AgreementVersion.objects.create(version="2026.2", title="Service agreement 2", body_zh="第二版正文",
                                            body_en="Second version text")
    changelist = reverse("admin:accounts_agreementversion_changelist")
    response = staff_client.post(changelist, {"action": "publish", ACTION_CHECKBOX_NAME: [draft.pk]})
    html = response.content.decode()
    assert response.status_code == 200 and "Yes, publish it" in html
    assert "It replaces version 2026.1." in html
    active = User.objects.filter(is_active=True).count()
    assert f"{active} accounts must accept it before using the network again." in html
    assert AGREEMENT_EN in html and AGREEMENT_ZH in html and "第二版正文" in html and "Second version text" in html
    draft.refresh_from_db()
    assert draft.published_at is None and not AuditEntry.objects.filter(action="agreement.publish").exists()
    response = staff_client.post(changelist, {"action": "publish", ACTION_CHECKBOX_NAME: [draft.pk], "post": "yes",
                                              "reason": "Privacy section"})
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.published_at is not None and account_services.agreement_current() == draft
    assert AuditEntry.objects.get(action="agreement.publish").data["version"] == "2026.2"


# --- Levels and rights on the user's own pages ------------------------------------------------------

def test_changing_a_level_is_confirmed_then_recorded(staff_client):
    staff_client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    user = Level2UserFactory()
    url = reverse("admin:accounts_user_level", args=[user.pk])
    assert staff_client.get(url).status_code == 200
    data = {"level": Level.INDIRECT, "reason": "Document withdrawn by the issuer"}
    html = staff_client.post(url, data).content.decode()
    assert "Set the level to: Phone verified?" in html and User.objects.get(pk=user.pk).level == Level.VERIFIED
    assert "at least 10" in staff_client.post(url, {**data, "reason": "short", "confirm": "yes"}).content.decode()
    assert staff_client.post(url, {**data, "confirm": "yes"}).status_code == 302
    assert User.objects.get(pk=user.pk).level == Level.INDIRECT
    assert AuditEntry.objects.get(action="user.level_set").reason == data["reason"]


def test_changing_rights_is_confirmed_then_recorded_and_needs_a_superuser(client, staff_client):
    staff_client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    user = Level2UserFactory()
    url = reverse("admin:accounts_user_access", args=[user.pk])
    group = Group.objects.get(name="senior moderator")
    data = {"groups": [group.pk], "is_staff": "on", "reason": "Promoted after training"}
    html = staff_client.post(url, data).content.decode()
    assert "Joins the group “senior moderator”" in html and "Becomes staff" in html
    assert not User.objects.get(pk=user.pk).is_staff and not user.groups.exists()
    assert staff_client.post(url, {**data, "confirm": "yes"}).status_code == 302
    user = User.objects.get(pk=user.pk)
    assert user.is_staff and list(user.groups.all()) == [group]
    assert {e.action for e in AuditEntry.objects.all()} == {"user.groups", "user.staff_flags"}
    # Staff who are not superusers do not even see the page.
    staff = Level2UserFactory(is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="change_user"))
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    mfa_login(client, staff)
    assert client.get(url).status_code == 403
