import time

import pytest
from allauth.mfa.totp.internal.auth import hotp_value
from django.contrib.auth.models import Group, Permission
from django.urls import reverse

from accounts import services
from accounts.models import AgreementVersion, IdentityReveal
from accounts.tests.factories import Level2UserFactory, UserFactory
from conftest import mfa_login

pytestmark = pytest.mark.django_db

SECRET = "JBSWY3DPEHPK3PXP"


def test_groups_exist_from_data_migration():
    assert set(Group.objects.values_list("name", flat=True)) >= {"moderator", "senior moderator", "compliance"}


def test_staff_without_mfa_is_sent_to_set_it_up(client):
    staff = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(staff)
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("mfa_activate_totp"))


def test_staff_with_mfa_but_not_passed_in_session_must_reauthenticate(client):
    staff = UserFactory(is_staff=True, is_superuser=True)
    mfa_login(client, staff)
    session = client.session
    session["account_authentication_methods"] = [{"method": "password", "at": time.time()}]
    session.save()
    response = client.get("/admin/")
    assert response["Location"].startswith(reverse("mfa_reauthenticate"))


def test_moderator_group_member_needs_mfa_too(client):
    moderator = UserFactory()
    moderator.groups.add(Group.objects.get(name="moderator"))
    client.force_login(moderator)
    assert client.get("/review/")["Location"].startswith(reverse("mfa_activate_totp"))


def test_ordinary_user_is_not_bothered_by_mfa(client, user):
    client.force_login(user)
    response = client.get("/friends/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>Friends</h1>" in html and "authenticator" not in html.lower()


def test_full_login_with_password_and_totp_opens_the_admin(client):
    staff = UserFactory(is_staff=True, is_superuser=True, email="boss@example.com")
    mfa_login(client, staff)
    client.logout()
    response = client.post(reverse("account_login"), {"login": "boss@example.com", "password": "Demo-pass-2026"})
    assert response["Location"] == reverse("mfa_authenticate")
    counter = int(time.time()) // 30
    code = f"{hotp_value(SECRET, counter):06d}"
    response = client.post(reverse("mfa_authenticate"), {"code": code})
    assert response.status_code == 302
    admin = client.get("/admin/", HTTP_ACCEPT_LANGUAGE="en")
    assert admin.status_code == 200
    html = admin.content.decode()
    assert "Site administration" in html
    assert 'href="/admin/accounts/user/"' in html and 'name="password"' not in html


def test_admin_user_list_shows_masked_identity_only(staff_client):
    owner = Level2UserFactory()
    services.identity_store(user=owner, real_name="张三丰", document_type="resident_id",
                            document_number="11010519491231002X")
    page = staff_client.get(reverse("admin:accounts_user_change", args=[owner.pk])).content.decode()
    assert "张**" in page and "1101**********002X" in page
    assert "张三丰" not in page and "11010519491231002X" not in page


def test_reveal_needs_permission_and_is_recorded(client):
    owner = Level2UserFactory()
    identity = services.identity_store(user=owner, real_name="张三丰", document_type="resident_id",
                                       document_number="11010519491231002X")
    staff = UserFactory(is_staff=True)
    mfa_login(client, staff)
    # The admin's address leads to the one reveal page (accounts/reveal.py); more in test_identity_reveal.py.
    url = reverse("admin:accounts_realidentity_reveal", args=[identity.pk])
    assert client.get(url, follow=True).status_code == 403
    staff.user_permissions.add(Permission.objects.get(codename="reveal_identity"))
    page = client.post(url, {"reason_code": "lawful_request", "reason_text": ""}, follow=True).content.decode()
    assert "张三丰" not in page and not IdentityReveal.objects.exists()
    page = client.post(reverse("accounts:identity_reveal", args=[identity.pk]),
                       {"reason_code": "lawful_request", "reason_text": "Police request #42"},
                       follow=True).content.decode()
    assert "张三丰" in page and "11010519491231002X" in page
    reveal = IdentityReveal.objects.get()
    assert (reveal.staff, reveal.identity, reveal.reason_code, reveal.reason) == (
        staff, identity, "lawful_request", "Police request #42")


def test_staff_publish_new_agreement_version_from_admin(staff_client, user):
    version = AgreementVersion.objects.create(version="2027.2", title="T", body_zh="z", body_en="e")
    # The first POST only asks for confirmation (moderation/tests/test_confirm_irreversible.py); "post" confirms.
    response = staff_client.post(reverse("admin:accounts_agreementversion_changelist"),
                                 {"action": "publish", "_selected_action": [version.pk], "post": "yes"})
    assert response.status_code == 302
    version.refresh_from_db()
    assert version.published_at is not None
    assert services.agreement_current() == version
    # Once published, the text is read-only.
    page = staff_client.get(reverse("admin:accounts_agreementversion_change", args=[version.pk])).content.decode()
    assert 'name="body_en"' not in page
