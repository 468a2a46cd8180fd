"""A friend reports a moment -> a moderator restricts its author for 7 days -> the author cannot post and sees
why -> the author appeals -> a second moderator upholds the appeal -> the author posts again."""

import re

import pytest
from allauth.mfa.totp.internal.auth import TOTP
from django.contrib.auth.models import Group
from django.utils import timezone

from accounts.tests.factories import Level1UserFactory, Level2UserFactory
from e2e.helpers import TOTP_SECRET, log_in
from moderation.models import Appeal, AppealStatus, Penalty, PenaltyStatus, ReportCase, Rung
from social.models import Moment
from social.tests.factories import make_friends

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]





def _moderator(email: str):
    user = Level2UserFactory(email=email)
    user.groups.add(Group.objects.get_or_create(name="moderator")[0])
    TOTP.activate(user, TOTP_SECRET)
    return user


def _post(page, text: str):
    page.goto("/")
    page.fill("textarea[name=text]", text)
    page.click("form[action='/'] button[type=submit]")
    page.wait_for_url(re.compile(r"/$"))


def _claim_next(page, kind: str):
    page.goto(f"/review/?kind={kind}")
    # One "claim next" form per kind on the page: take the one of this kind.
    page.locator(f"form[action='/review/claim-next/']:has(input[name=kind][value={kind}]) button").first.click()
    page.wait_for_url(re.compile(r"/review/items/\d+/$"))


def test_report_restrict_appeal_uphold_and_post_again(new_page):
    author = Level1UserFactory(email="author@example.com")
    friend = Level1UserFactory(email="friend@example.com")
    make_friends(author, friend)
    first_moderator = _moderator("m1@example.com")
    second_moderator = _moderator("m2@example.com")

    # 1. The author posts a moment.
    a = new_page()
    log_in(a, author.email)
    _post(a, "Cheap followers, message me")
    moment = Moment.objects.get(author=author)

    # 2. The friend sees it in the feed and reports it.
    b = new_page()
    log_in(b, friend.email)
    b.goto("/")
    b.click(f"#moment-{moment.pk} a.report-link")
    b.wait_for_url(re.compile(rf"/report/moment/{moment.pk}/"))
    b.check("input[name=category][value=fraud]")
    b.fill("textarea[name=text]", "Selling fake followers.")
    b.click("main form button[type=submit]")
    b.wait_for_url(re.compile(r"/$"))
    assert b.locator("text=A moderator will look at your report").first.is_visible()
    assert ReportCase.objects.get().target_key == "moment"

    # 3. The first moderator claims the report and restricts the author for 7 days.
    m1 = new_page()
    log_in(m1, first_moderator.email, totp_secret=TOTP_SECRET)
    _claim_next(m1, "report")
    assert "Cheap followers, message me" in m1.locator(".item-body").inner_text()
    m1.check("input[name=decision][value=restrict]")
    m1.select_option("select[name=rule]", "community")
    m1.select_option("select[name=duration]", "7")
    # The suggestion for a first breach is a warning: stepping up needs a reason.
    m1.fill("textarea[name=rung_reason]", "Commercial spam to friends; a warning is not enough.")
    m1.fill("textarea[name=note]", "Advertising fake followers in moments.")
    m1.click("form.decision-form button[type=submit]")
    m1.wait_for_url(re.compile(r"/review/$"))
    penalty = Penalty.objects.get(user=author)
    assert penalty.action == Rung.RESTRICT

    # 4. The author cannot post and sees why, with the way to the status page.
    a.goto("/")
    assert a.locator("textarea[name=text]").count() == 0
    denied = a.locator(".notice-locked").first
    assert "Your publishing is restricted until" in denied.inner_text()
    a.click(".notice-locked a[href='/me/status/']")
    a.wait_for_url(re.compile(r"/me/status/$"))
    in_force = a.locator(f"#in-force-{penalty.pk}").inner_text()
    assert str(Rung.RESTRICT.label) in in_force and "Advertising fake followers in moments." in in_force
    # Until when: the end of the 7 days, in the site's time.
    assert timezone.localtime(penalty.ends_at).strftime("%Y-%m-%d %H:%M") in in_force

    # 5. The author appeals with a statement.
    a.click(f"#penalty-{penalty.pk} a[href='/me/appeals/new/{penalty.pk}/']")
    a.wait_for_url(re.compile(rf"/me/appeals/new/{penalty.pk}/$"))
    a.fill("textarea[name=statement]", "It was a joke between friends; nothing was sold.")
    a.click("main form button[type=submit]")
    a.wait_for_url(re.compile(r"/me/status/$"))
    assert Appeal.objects.get(penalty=penalty).status == AppealStatus.PENDING

    # 6. A second moderator (never the one who acted) claims the appeal and upholds it.
    m2 = new_page()
    log_in(m2, second_moderator.email, totp_secret=TOTP_SECRET)
    _claim_next(m2, "appeal")
    assert "It was a joke between friends" in m2.locator(".item-body").inner_text()
    m2.check("input[name=decision][value=uphold]")
    m2.click("form.decision-form button[type=submit]")
    m2.wait_for_url(re.compile(r"/review/$"))
    penalty.refresh_from_db()
    assert penalty.status == PenaltyStatus.OVERTURNED

    # 7. The author posts again.
    _post(a, "Back to ordinary news")
    assert a.locator("text=Your moment is posted.").first.is_visible()
    assert Moment.objects.filter(author=author, text="Back to ordinary news").exists()
