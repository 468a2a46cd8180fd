"""Signup -> agreement -> email confirmation -> phone -> level 1 -> post a moment -> a friend sees it."""

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from accounts.models import Level, User
from accounts.tests.factories import Level1UserFactory
from core import sms
from e2e.helpers import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_new_user_reaches_level_1_and_a_friend_sees_the_moment(new_page):
    mail.outbox.clear()
    sms.outbox.clear()
    friend = Level1UserFactory(email="friend@example.com")
    friend.profile.nickname = "Old Friend"
    friend.profile.save()

    me = new_page()
    # Sign up: the agreement with its seven bottom lines is on the page and must be ticked.
    me.goto("/accounts/signup/")
    expect(me.locator("ol.bottom-lines li")).to_have_count(7)
    me.fill("input[name=email]", "newcomer@example.com")
    me.fill("input[name=nickname]", "Newcomer")
    me.fill("input[name=password1]", "Correct-horse-42")
    me.fill("input[name=password2]", "Correct-horse-42")
    me.click("form[action='/accounts/signup/'] button[type=submit]")
    # Without the tick nothing is created and what was typed stays.
    expect(me.get_by_text("You must accept the service agreement")).to_be_visible()
    expect(me.locator("input[name=nickname]")).to_have_value("Newcomer")
    me.fill("input[name=password1]", "Correct-horse-42")
    me.fill("input[name=password2]", "Correct-horse-42")
    me.check("input[name=accept_agreement]")
    me.click("form[action='/accounts/signup/'] button[type=submit]")
    me.wait_for_url(re.compile(r"/accounts/confirm-email/"))

    # Email confirmation: follow the link from the email and confirm.
    link = re.search(r"https?://[^/\s]+(/accounts/confirm-email/\S+/)", mail.outbox[-1].body).group(1)
    me.goto(link)
    me.click("main form button[type=submit]")
    me.wait_for_url(lambda url: "/confirm-email/" not in url)

    # Phone: code by SMS, then level 1.
    me.goto("/me/phone/")
    me.fill("input[name=number]", "13800138000")
    me.click("form:has(input[name=step][value=send]) button[type=submit]")
    expect(me.get_by_text("We sent a 6-digit code by SMS.")).to_be_visible()
    code = re.search(r"\b(\d{6})\b", sms.outbox[-1]["text"]).group(1)
    me.fill("input[name=code]", code)
    me.click("form:has(input[name=step][value=confirm]) button[type=submit]")
    expect(me.get_by_text("Your phone number is confirmed. You are now at level 1.")).to_be_visible()
    newcomer = User.objects.get(email="newcomer@example.com")
    assert newcomer.level == Level.INDIRECT

    # Ask the friend, who accepts in their own browser.
    me.goto(f"/u/{friend.pk}/")
    me.click(f"form[action='/friends/add/{friend.pk}/'] button[type=submit]")
    expect(me.get_by_text("Your friend request is sent.")).to_be_visible()
    other = new_page()
    log_in(other, "friend@example.com")
    other.goto("/friends/")
    other.click("form[action$='/accept/'] button[type=submit]")
    expect(other.get_by_text("You are now friends.")).to_be_visible()
    expect(other.get_by_text("Newcomer").first).to_be_visible()

    # Post a moment; the friend sees it in their feed.
    me.goto("/")
    me.fill("textarea[name=text]", "Hello from the browser test")
    me.click("form:has(textarea[name=text]) button[type=submit]")
    expect(me.get_by_text("Your moment is posted.")).to_be_visible()
    expect(me.get_by_text("Hello from the browser test").first).to_be_visible()
    other.goto("/")
    expect(other.get_by_text("Hello from the browser test").first).to_be_visible()
