"""An applicant asks three friends in the browser, each confirms in their own browser, and after the waiting
period the applicant is at level 2.

All four browsers come from 127.0.0.1, as in any local run: VOUCH_IGNORE_PRIVATE_IPS makes the
shared-address rule skip loopback and private addresses (production never sets it), while each
browser still gets its own device cookie, so the case is not flagged.
"""

import re
from datetime import timedelta

import pytest
import time_machine
from playwright.sync_api import expect

from accounts.models import Level, LevelSource, User
from e2e.helpers import log_in
from verification.vouching.models import VouchCase, VouchCaseStatus
from verification.vouching.tasks import vouch_cases_tick
from verification.vouching.tests.helpers import make_applicant, make_voucher, unique_id_number

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _nickname(user, name):
    user.profile.nickname = name
    user.profile.save(update_fields=["nickname"])


def test_three_friends_vouch_and_the_applicant_reaches_level_2(new_page, settings):
    settings.VOUCH_IGNORE_PRIVATE_IPS = True
    applicant = make_applicant(email="applicant@example.com")
    _nickname(applicant, "Applicant")
    # Verified by document 31 days ago, friends for 8 days: every rule is met.
    vouchers = [make_voucher(applicant, email=f"voucher{i}@example.com", verified_days=31, friend_days=8)
                for i in range(3)]
    for i, voucher in enumerate(vouchers):
        _nickname(voucher, f"Voucher {i}")
    # A fourth friend, too recent: listed, not selectable, with the reason.
    recent = make_voucher(applicant, email="recent@example.com", friend_days=2)
    _nickname(recent, "Recent friend")

    me = new_page()
    log_in(me, "applicant@example.com")
    me.goto("/verify/")
    me.click("#way-vouch a.button")
    me.wait_for_url("**/verify/vouch/")
    expect(me.locator(f"#voucher-{recent.pk}")).to_be_disabled()
    expect(me.locator(f"#why-{recent.pk}")).to_have_text(re.compile(r"^\s*Friends for less than 7 days"))
    me.select_option("select[name=kind]", "resident_id")
    me.fill("input[name=real_name]", "王小明")
    me.fill("input[name=document_number]", unique_id_number())
    for voucher in vouchers:
        me.check(f"#voucher-{voucher.pk}")
    me.click("form.vouch-form button[type=submit]")
    expect(me.locator("#vouch-case[data-status=collecting]")).to_be_visible()
    expect(me.get_by_text("Your friends have been asked.")).to_be_visible()
    case = VouchCase.objects.get(applicant=applicant)

    for voucher in vouchers:
        page = new_page()
        log_in(page, voucher.email)
        page.goto("/verify/vouches/")
        card = page.locator(f"#request-{case.requests.get(voucher=voucher).pk}")
        expect(card.locator(".claimed-name")).to_have_text("王小明")
        expect(card.locator(".masked-number")).to_contain_text("*")
        expect(card.locator(".liability")).to_be_visible()
        card.locator("input[name=statement]").check()
        card.locator(".confirm-form button[type=submit]").click()
        expect(page.get_by_text("Thank you. Your confirmation is recorded.")).to_be_visible()
        expect(page.locator(f"#answered-{case.requests.get(voucher=voucher).pk}[data-status=confirmed]")).to_have_count(1)

    case.refresh_from_db()
    assert case.status == VouchCaseStatus.CHALLENGE, "the case was flagged instead of entering the window"
    me.goto("/verify/vouch/")
    expect(me.locator("#vouch-case[data-status=challenge]")).to_be_visible()
    expect(me.get_by_text("Your friends confirmed your real name")).to_be_visible()

    # The waiting period passes; the beat task runs.
    with time_machine.travel(case.challenge_ends_at + timedelta(minutes=1), tick=True):
        result = vouch_cases_tick.delay().get()
        assert result["granted"] == 1
        me.goto("/verify/vouch/")
        expect(me.locator("#vouch-case[data-status=granted]")).to_be_visible()
        expect(me.get_by_text("Your identity is verified: you are at level 2.")).to_be_visible()
        me.goto("/verify/")
        expect(me.get_by_text("2 · Identity verified").first).to_be_visible()

    applicant = User.objects.get(pk=applicant.pk)
    assert applicant.level == Level.VERIFIED and applicant.level_source == LevelSource.VOUCH
