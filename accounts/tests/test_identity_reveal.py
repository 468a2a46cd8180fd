"""Issue 9, point 5: the identity reveal — permission, a ground and a reason, audited, post/redirect/get."""

from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from accounts import reveal, services
from accounts.models import IdentityReveal
from accounts.tests.factories import Level2UserFactory, UserFactory
from conftest import mfa_login
from moderation.models import AuditEntry

pytestmark = pytest.mark.django_db

NAME, NUMBER = "张三丰", "11010519491231002X"
REASON = "Police request 2026-117: confirm the account holder"


@pytest.fixture
def identity():
    return services.identity_store(user=Level2UserFactory(), real_name=NAME, document_type="resident_id",
                                   document_number=NUMBER)


def grant(user):
    user.user_permissions.add(Permission.objects.get(codename="reveal_identity", content_type__app_label="accounts"))
    return type(user).objects.get(pk=user.pk)  # a fresh object: permissions are cached on the instance


@pytest.fixture
def officer():
    """Staff holding the reveal permission."""
    return grant(UserFactory(is_staff=True))


@pytest.fixture
def officer_client(client, officer):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return mfa_login(client, officer)


def form_url(identity):
    return reverse("accounts:identity_reveal", kwargs={"pk": identity.pk})


def post(client, identity, *, code="lawful_request", text=REASON, **extra):
    return client.post(form_url(identity), {"reason_code": code, "reason_text": text, **extra})


# --- The service --------------------------------------------------------------------------

def test_the_service_refuses_without_the_permission(identity):
    staff = UserFactory(is_staff=True)
    with pytest.raises(PermissionDenied):
        reveal.identity_reveal(identity=identity, actor=staff, reason_code="lawful_request", reason_text=REASON)
    assert not IdentityReveal.objects.exists() and not AuditEntry.objects.filter(action="identity.reveal").exists()


@pytest.mark.parametrize(("code", "text", "field"), [
    ("", REASON, "reason_code"),
    ("curiosity", REASON, "reason_code"),
    ("fraud_investigation", "", "reason_text"),
    ("fraud_investigation", "   too  short ", "reason_text"),  # 9 characters once the spaces are squeezed
    ("fraud_investigation", "x" * 301, "reason_text"),
])
def test_the_service_needs_a_listed_ground_and_ten_characters_of_reason(identity, officer, code, text, field):
    with pytest.raises(ValidationError) as refused:
        reveal.identity_reveal(identity=identity, actor=officer, reason_code=code, reason_text=text)
    assert field in refused.value.message_dict
    assert not IdentityReveal.objects.exists() and not AuditEntry.objects.filter(action="identity.reveal").exists()


def test_the_service_records_the_reveal_and_an_audit_entry(identity, officer):
    done = reveal.identity_reveal(identity=identity, actor=officer, reason_code="fraud_investigation",
                                  reason_text="  Fraud case  F-88:   two accounts, one card ")
    assert (done.identity, done.staff, done.reason_code, done.reason) == (
        identity, officer, "fraud_investigation", "Fraud case F-88: two accounts, one card")
    entry = AuditEntry.objects.get(action="identity.reveal")
    assert entry.actor == officer
    assert (entry.target_type, entry.target_id) == ("accounts.realidentity", str(identity.pk))
    assert entry.data == {"reveal": done.pk, "reason_code": "fraud_investigation", "user": identity.user_id}
    assert entry.reason == "Fraud case F-88: two accounts, one card"
    assert NAME not in str(entry.data) and NUMBER not in str(entry.data)


def test_a_group_granted_the_permission_may_reveal(identity):
    """The rule is the permission, however it is held: a group an administrator grants it to works too."""
    group = Group.objects.create(name="identity officers")
    group.permissions.add(Permission.objects.get(codename="reveal_identity"))
    moderator = UserFactory()
    moderator.groups.add(group, Group.objects.get_or_create(name="moderator")[0])
    assert reveal.identity_reveal(identity=identity, actor=moderator, reason_code="appeal_review",
                                  reason_text="Appeal 31 says the account was stolen")


# --- The pages ----------------------------------------------------------------------------

def test_staff_without_the_permission_get_a_clear_403_and_others_a_404(client, identity):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    for staff in (UserFactory(is_staff=True), UserFactory()):
        if not staff.is_staff:
            staff.groups.add(Group.objects.get_or_create(name="moderator")[0])
        mfa_login(client, staff)
        for response in (client.get(form_url(identity)), post(client, identity)):
            assert response.status_code == 403
            html = response.content.decode()
            assert "You do not hold the permission to reveal real identities." in html
            assert NAME not in html and NUMBER not in html
    # An ordinary user does not learn that the page exists.
    client.force_login(Level2UserFactory())
    assert client.get(form_url(identity)).status_code == 404
    assert post(client, identity).status_code == 404
    assert not IdentityReveal.objects.exists()


def test_the_old_admin_address_leads_to_the_reveal_form(officer_client, identity):
    response = officer_client.get(reverse("admin:accounts_realidentity_reveal", args=[identity.pk]))
    assert response.status_code == 302 and response["Location"] == form_url(identity)


def test_the_form_shows_the_masked_identity_and_asks_for_ground_and_reason(officer_client, identity):
    html = officer_client.get(form_url(identity)).content.decode()
    assert "张**" in html and "1101**********002X" in html and NAME not in html and NUMBER not in html
    for code in ("lawful_request", "fraud_investigation", "own_data_request", "appeal_review", "other"):
        assert f'value="{code}"' in html
    response = post(officer_client, identity, code="", text="short")
    assert response.status_code == 400
    html = response.content.decode()
    assert "Choose the ground for this reveal." in html and "Explain why in at least 10 characters." in html
    assert "short" in html  # what was typed comes back
    assert NAME not in html and NUMBER not in html and not IdentityReveal.objects.exists()


def test_post_redirect_get_a_reload_neither_reveals_nor_records_again(officer_client, identity, officer):
    response = post(officer_client, identity, next="/review/items/7/")
    assert response.status_code == 302
    [done] = IdentityReveal.objects.all()
    result_url = reverse("accounts:identity_revealed", kwargs={"pk": done.pk})
    assert response["Location"].startswith(result_url)
    assert NAME not in response["Location"] and NUMBER not in response["Location"]
    for _ in range(3):  # reloads
        page = officer_client.get(response["Location"])
        assert page.status_code == 200 and page["Cache-Control"] == "no-store"
        html = page.content.decode()
        assert NAME in html and NUMBER in html and 'href="/review/items/7/"' in html
    assert IdentityReveal.objects.count() == 1
    assert AuditEntry.objects.filter(action="identity.reveal").count() == 1


def test_the_result_expires_and_needs_a_new_reveal(officer_client, identity, settings):
    post(officer_client, identity)
    url = reverse("accounts:identity_revealed", kwargs={"pk": IdentityReveal.objects.get().pk})
    with time_machine.travel(timezone.now() + timedelta(minutes=settings.IDENTITY_REVEAL_MINUTES, seconds=1)):
        assert officer_client.get(url).status_code == 404


def test_another_actor_cannot_open_the_result(client, officer_client, identity):
    post(officer_client, identity)
    url = reverse("accounts:identity_revealed", kwargs={"pk": IdentityReveal.objects.get().pk})
    assert officer_client.get(url).status_code == 200
    # Another holder of the same permission, and a plain moderator: neither sees this reveal.
    for other in (grant(UserFactory(is_staff=True)), UserFactory(is_staff=True)):
        mfa_login(client, other)
        response = client.get(url)
        assert response.status_code == 404
        assert NAME not in response.content.decode()


def test_the_result_closes_when_the_permission_is_withdrawn(officer_client, identity, officer):
    post(officer_client, identity)
    url = reverse("accounts:identity_revealed", kwargs={"pk": IdentityReveal.objects.get().pk})
    officer.user_permissions.clear()
    assert officer_client.get(url).status_code == 404


def test_the_reveal_pages_are_behind_the_staff_second_factor(client, identity, officer):
    client.force_login(officer)  # password only, no TOTP in this session
    response = client.get(form_url(identity))
    assert response.status_code == 302 and "/accounts/" in response["Location"]
