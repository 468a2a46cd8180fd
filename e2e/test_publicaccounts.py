"""Register a public account -> apply for a reproduction licence -> compliance approves in /review/ ->
the owner reproduces a political article crediting its source -> the mark shows on the article and the account."""

import re
from datetime import timedelta

import pytest
from allauth.mfa.totp.internal.auth import TOTP
from django.contrib.auth.models import Group
from django.utils import timezone
from playwright.sync_api import expect

from accounts.tests.factories import Level2UserFactory
from core.testing import uploads_dir
from e2e.helpers import TOTP_SECRET, log_in
from publicaccounts.models import PublicAccount, Qualification, QualificationStatus

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_licensed_account_reproduces_political_news_with_a_visible_mark(new_page):
    owner = Level2UserFactory(email="publisher@example.com")
    officer = Level2UserFactory(email="compliance@example.com")
    officer.groups.add(Group.objects.get_or_create(name="compliance")[0])
    TOTP.activate(officer, TOTP_SECRET)

    me = new_page()
    log_in(me, owner.email)

    # 1. Register the account.
    me.goto("/publicaccounts/new/")
    me.fill("input[name=name]", "Garden Gazette")
    me.fill("input[name=handle]", "garden-gazette")
    me.fill("textarea[name=introduction]", "Local life, and current affairs from news units.")
    me.select_option("select[name=category]", "news")
    me.check("input[name=operator_type][value=individual]")
    me.click("main form button[type=submit]")
    me.wait_for_url(re.compile(r"/p/garden-gazette/$"))
    expect(me.locator("h1#account-name")).to_have_text("Garden Gazette")
    account = PublicAccount.objects.get(handle="garden-gazette")
    assert account.status == "active"
    # No licence yet: political news is offered disabled, with the reason.
    me.goto("/p/garden-gazette/articles/new/")
    expect(me.locator("input[name=category][value=political_news]")).to_be_disabled()
    expect(me.get_by_text("needs a news-service licence").first).to_be_visible()

    # 2. Apply for a reproduction licence with a scan.
    me.goto("/p/garden-gazette/qualifications/new/")
    today = timezone.localdate()
    me.check("input[name=licence_type][value=reproduction]")
    me.fill("input[name=licence_number]", "10120230042")
    me.fill("input[name=issuing_authority]", "Beijing Cyberspace Administration")
    me.fill("input[name=valid_from]", (today - timedelta(days=30)).isoformat())
    me.fill("input[name=valid_until]", (today + timedelta(days=365)).isoformat())
    me.set_input_files("input[name=scan]", str(uploads_dir() / "id-back-plain.png"))
    me.click("main form button[type=submit]")
    me.wait_for_url(re.compile(r"/p/garden-gazette/$"))
    expect(me.get_by_text("Compliance staff will review it").first).to_be_visible()
    qualification = Qualification.objects.get(account=account)
    assert qualification.status == QualificationStatus.PENDING

    # 3. The compliance officer logs in with TOTP, claims the item in /review/ and approves it.
    staff = new_page()
    log_in(staff, officer.email, totp_secret=TOTP_SECRET)
    staff.goto("/review/?kind=qualification")
    staff.click("form[action='/review/claim-next/'] >> text=Claim the next item")
    staff.wait_for_url(re.compile(r"/review/items/\d+/$"))
    expect(staff.locator(".licence-number")).to_have_text("10120230042")
    # The scan is served to the claim holder (permission-checked, audited, watermarked).
    scan = staff.locator("img.pa-scan")
    expect(scan).to_be_visible()
    staff.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=scan.element_handle())
    staff.check("input[name=decision][value=approve]")
    staff.click("form.decision-form button[type=submit]")
    staff.wait_for_url(re.compile(r"/review/$"))
    expect(staff.get_by_text("Your decision is recorded.")).to_be_visible()
    qualification.refresh_from_db()
    assert qualification.status == QualificationStatus.APPROVED

    # 4. The owner reproduces a political article, crediting the source.
    me.goto("/p/garden-gazette/articles/new/")
    expect(me.locator("input[name=origin][value=original]")).to_be_disabled()
    me.fill("input[name=title]", "State Council meets on jobs")
    me.fill("textarea[name=body]", "The State Council **met** today.\n\n<script>alert(1)</script>")
    me.check("input[name=category][value=political_news]")
    me.check("input[name=origin][value=reproduced]")
    me.fill("input[name=source_unit]", "Xinhua News Agency")
    me.fill("input[name=original_author]", "Li Ming")
    me.fill("input[name=original_title]", "State Council executive meeting on employment")
    me.fill("input[name=original_url]", "https://www.news.cn/politics/1.html")
    me.click("main form button[type=submit]")
    me.wait_for_url(re.compile(r"/p/garden-gazette/a/\d+/$"))

    # 5. The mark and the source show on the article, and the mark on the account page, to anyone.
    reader = new_page()
    reader.goto(me.url)
    expect(reader.locator("h1")).to_have_text("State Council meets on jobs")
    expect(reader.locator(".pa-body strong")).to_have_text("met")
    expect(reader.locator(".pa-body script")).to_have_count(0)
    source = reader.locator("#source")
    for text in ("Xinhua News Agency", "Li Ming", "State Council executive meeting on employment"):
        expect(source).to_contain_text(text)
    mark = reader.locator(".news-mark")
    for text in ("10120230042", "Beijing Cyberspace Administration", (today + timedelta(days=365)).isoformat()):
        expect(mark).to_contain_text(text)
    reader.goto("/p/garden-gazette/")
    expect(reader.locator("#marks .news-mark")).to_contain_text("10120230042")
    expect(reader.get_by_text("State Council meets on jobs").first).to_be_visible()
