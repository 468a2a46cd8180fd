"""No nickname is ever taken from the email (its local part is often the real name)."""

import re

import pytest
from django.urls import reverse

from accounts import services
from accounts.models import Profile, User
from accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_an_account_without_a_profile_gets_a_neutral_nickname_not_its_email(client):
    user = UserFactory(email="zhang.wei.1990@example.com")
    Profile.objects.filter(user=user).delete()
    client.force_login(user)
    page = client.get(reverse("accounts:me"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    nickname = Profile.objects.get(user=user).nickname
    assert re.fullmatch(r"user-[a-z0-9]{6}", nickname)
    assert "zhang" not in nickname.lower() and "zhang.wei" not in page
    assert f'value="{nickname}"' in page


def test_the_neutral_nickname_is_in_the_users_language_and_differs_each_time():
    user = User.objects.create_user(email="li.na@example.com", password="x-Secret-2026", language="zh-hans")
    profile = services.profile_create(user=user, nickname="   ")
    assert "li" not in profile.nickname.lower() and len(profile.nickname) <= 30
    names = {services.neutral_nickname(language="en") for _i in range(20)}
    assert len(names) == 20


def test_signup_requires_a_nickname_and_never_falls_back_to_the_email(client):
    response = client.post(reverse("account_signup"), {
        "email": "wang.fang@example.com", "nickname": "  ", "password1": "Correct-horse-42",
        "password2": "Correct-horse-42", "accept_agreement": "on"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert response.context["form"].errors["nickname"] == ["This field is required."]
    assert not User.objects.filter(email="wang.fang@example.com").exists()


def test_a_typed_nickname_is_kept(user):
    user.profile.delete()
    assert services.profile_create(user=User.objects.get(pk=user.pk), nickname=" Blue Sky ").nickname == "Blue Sky"
