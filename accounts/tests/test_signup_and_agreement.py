import re

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from accounts import services
from accounts.models import AgreementAcceptance, AgreementVersion, Level, User

pytestmark = pytest.mark.django_db

SEVEN_LINES_EN = ["laws and regulations", "the socialist system", "national interests",
                  "the lawful rights and interests of citizens", "public order", "social morality",
                  "the authenticity of information"]


def _signup(client, **overrides):
    data = {"email": "new@example.com", "nickname": "Blue Sky", "password1": "Correct-horse-42",
            "password2": "Correct-horse-42", "accept_agreement": "on"}
    data.update(overrides)
    return client.post(reverse("account_signup"), data, HTTP_ACCEPT_LANGUAGE="en",
                       HTTP_USER_AGENT="pytest-browser/1.0", REMOTE_ADDR="203.0.113.7")


def test_signup_page_shows_agreement_with_seven_bottom_lines(client):
    page = client.get(reverse("account_signup"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    for line in SEVEN_LINES_EN:
        assert line in page
    assert 'name="accept_agreement"' in page
    assert "2026.1" in page


def test_signup_page_in_chinese_by_accept_language(client):
    page = client.get(reverse("account_signup"), HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9").content.decode()
    assert "七条底线" in page
    assert "社会主义制度" in page


def test_signup_without_ticking_the_agreement_keeps_what_was_typed(client):
    response = _signup(client, accept_agreement="")
    assert response.status_code == 200
    page = response.content.decode()
    assert "You must accept the service agreement to sign up." in page
    assert 'value="new@example.com"' in page
    assert 'value="Blue Sky"' in page
    assert not User.objects.filter(email="new@example.com").exists()


def test_signup_stores_acceptance_and_sends_confirmation_email(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = _signup(client)
    assert response.status_code == 302
    user = User.objects.get(email="new@example.com")
    assert user.profile.nickname == "Blue Sky"
    assert user.level == Level.REGISTERED
    acceptance = AgreementAcceptance.objects.get(user=user)
    assert acceptance.version == services.agreement_current()
    assert acceptance.ip_address == "203.0.113.7"
    assert acceptance.user_agent == "pytest-browser/1.0"
    assert acceptance.accepted_at <= timezone.now()
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["new@example.com"]
    # The confirmation link logs the user in.
    link = re.search(r"https?://[^/\s]+(/accounts/confirm-email/\S+/)", mail.outbox[0].body).group(1)
    client.post(link)
    assert user.emailaddress_set.get().verified


def test_login_is_rate_limited_after_failed_attempts(client, user):
    for _ in range(5):
        client.post(reverse("account_login"), {"login": user.email, "password": "wrong-password"})
    response = client.post(reverse("account_login"), {"login": user.email, "password": "wrong-password"},
                           HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 429 or "Too many failed login attempts" in response.content.decode()


@pytest.fixture
def new_version(admin_user):
    version = AgreementVersion.objects.create(version="2027.1", title="Agreement 2027", body_zh="新版本", body_en="New text")
    services.agreement_publish(version=version, actor=admin_user)
    return version


def test_new_agreement_version_sends_every_user_to_accept(client, user, new_version):
    client.force_login(user)
    response = client.get("/friends/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:agreement"))
    # Reading the agreement and logging out stay possible.
    page = client.get(reverse("accounts:agreement"), HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    assert "Agreement 2027" in page.content.decode() and 'name="accept"' in page.content.decode()
    response = client.post(reverse("accounts:agreement"), {"accept": "on", "next": "/friends/"},
                           REMOTE_ADDR="198.51.100.1")
    assert response["Location"] == "/friends/"
    assert AgreementAcceptance.objects.get(user=user, version=new_version).ip_address == "198.51.100.1"
    friends = client.get("/friends/", HTTP_ACCEPT_LANGUAGE="en")
    assert friends.status_code == 200 and "<h1>Friends</h1>" in friends.content.decode()


def test_accepting_twice_records_once(client, user, new_version):
    client.force_login(user)
    client.post(reverse("accounts:agreement"), {"accept": "on"})
    client.post(reverse("accounts:agreement"), {"accept": "on"})
    assert AgreementAcceptance.objects.filter(user=user, version=new_version).count() == 1


def test_logout_stays_possible_before_accepting(client, user, new_version):
    client.force_login(user)
    response = client.post(reverse("account_logout"))
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def test_draft_version_is_not_in_force(client, user):
    AgreementVersion.objects.create(version="draft", title="Draft", body_zh="草稿", body_en="Draft")
    client.force_login(user)
    response = client.get("/friends/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert "<h1>Friends</h1>" in response.content.decode() and "Draft" not in response.content.decode()
