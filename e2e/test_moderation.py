"""A friend reports a moment -> a moderator restricts its author for 7 days -> the author cannot post and sees
why -> the author appeals -> a second moderator upholds the appeal -> the author posts again."""

import re

import pytest
from allauth.mfa.totp.internal.auth import TOTP
from django.contrib.auth.models import Group
from django.utils import timezone
from playwright.sync_api import expect

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
    expect(page.get_by_text("Your moment is posted.")).to_be_visible()


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
    expect(b.get_by_text("A moderator will look at your report").first).to_be_visible()
    assert ReportCase.objects.get().target_key == "moment"

    # 3. The first moderator claims the report and restricts the author for 7 days.
    m1 = new_page()
    log_in(m1, first_moderator.email, totp_secret=TOTP_SECRET)
    _claim_next(m1, "report")
    expect(m1.locator(".item-body")).to_contain_text("Cheap followers, message me")
    m1.check("input[name=decision][value=restrict]")
    m1.select_option("select[name=rule]", "community")
    m1.select_option("select[name=duration]", "7")
    # The suggestion for a first breach is a warning: stepping up needs a reason.
    m1.fill("textarea[name=rung_reason]", "Commercial spam to friends; a warning is not enough.")
    m1.fill("textarea[name=note]", "Advertising fake followers in moments.")
    m1.click("form.decision-form button[type=submit]")
    m1.wait_for_url(re.compile(r"/review/$"))
    expect(m1.get_by_text("Your decision is recorded.")).to_be_visible()
    penalty = Penalty.objects.get(user=author)
    assert penalty.action == Rung.RESTRICT

    # 4. The author cannot post and sees why, with the way to the status page.
    a.goto("/")
    denied = a.locator(".notice-locked").first
    expect(denied).to_contain_text("Your publishing is restricted until")
    expect(a.locator("textarea[name=text]")).to_have_count(0)
    a.click(".notice-locked a[href='/me/status/']")
    a.wait_for_url(re.compile(r"/me/status/$"))
    in_force = a.locator(f"#in-force-{penalty.pk}")
    expect(in_force).to_contain_text(str(Rung.RESTRICT.label))
    expect(in_force).to_contain_text("Advertising fake followers in moments.")
    # Until when: the end of the 7 days, in the site's time.
    expect(in_force).to_contain_text(timezone.localtime(penalty.ends_at).strftime("%Y-%m-%d %H:%M"))

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
    expect(m2.locator(".item-body")).to_contain_text("It was a joke between friends")
    m2.check("input[name=decision][value=uphold]")
    m2.click("form.decision-form button[type=submit]")
    m2.wait_for_url(re.compile(r"/review/$"))
    expect(m2.get_by_text("Your decision is recorded.")).to_be_visible()
    penalty.refresh_from_db()
    assert penalty.status == PenaltyStatus.OVERTURNED

    # 7. The author posts again.
    _post(a, "Back to ordinary news")
    expect(a.locator(".card.moment").first).to_contain_text("Back to ordinary news")
    assert Moment.objects.filter(author=author, text="Back to ordinary news").exists()
