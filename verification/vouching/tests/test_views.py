"""Vouching pages through the test client: the applicant's page, the voucher's page, 404s, double submits, staff."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import Level
from accounts.tests.factories import UserFactory
from conftest import mfa_login
from moderation.models import ItemStatus
from verification.conftest import make_moderator
from verification.vouching.models import VouchCase, VouchCaseStatus, VouchRequest, VouchRequestStatus
from verification.vouching.tests.helpers import (
    circle,
    confirm_all,
    make_voucher,
    request_of,
    start_case,
    unique_id_number,
    vouch_item,
)

pytestmark = pytest.mark.django_db

VOUCH, VOUCHES = "/verify/vouch/", "/verify/vouches/"


def _client(user, ip="114.114.114.114") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en", REMOTE_ADDR=ip)
    client.force_login(user)
    return client


def test_stable_urls():
    assert reverse("verification:vouch") == VOUCH
    assert reverse("verification:vouches") == VOUCHES
    assert reverse("verification:vouch_request", kwargs={"pk": 4}) == "/verify/vouches/4/"
    assert reverse("verification:vouch_request_confirm", kwargs={"pk": 4}) == "/verify/vouches/4/confirm/"
    assert reverse("verification:vouch_request_decline", kwargs={"pk": 4}) == "/verify/vouches/4/decline/"
    assert reverse("verification:vouch_withdraw", kwargs={"pk": 4}) == "/verify/vouch/4/withdraw/"
    assert reverse("verification:vouch_mark_false", kwargs={"pk": 4}) == "/verify/vouch/cases/4/false/"


def test_pages_need_login(client):
    for url in (VOUCH, VOUCHES, "/verify/vouches/1/"):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


# --- The applicant ------------------------------------------------------------------

def test_level_0_is_told_to_confirm_a_phone_first():
    html = _client(UserFactory()).get(VOUCH).content.decode()
    assert "confirmed mobile number first (level 1)" in html and 'name="vouchers"' not in html


def test_level_2_is_told_it_is_verified(level2_user):
    html = _client(level2_user).get(VOUCH).content.decode()
    assert "already verified" in html and 'name="vouchers"' not in html


def test_the_page_shows_who_may_vouch_and_why_not_for_the_others():
    applicant, (good,) = circle(1)
    recent = make_voucher(applicant, friend_days=2)
    recent.profile.nickname = "Newfriend"
    recent.profile.save()
    response = _client(applicant).get(VOUCH)
    html = response.content.decode()
    assert response.status_code == 200
    assert f'id="voucher-{good.pk}"' in html
    ineligible = re.search(rf'<input type="checkbox" name="vouchers" value="{recent.pk}"[^>]*>', html).group(0)
    assert "disabled" in ineligible
    assert 'data-code="friend_recently"' in html and "Friends for less than 7 days" in html
    assert "Only 1 of your friends can vouch for you now" in html


def test_the_device_cookie_is_set_once_httponly_and_lax():
    applicant, _vouchers = circle(1)
    client = _client(applicant)
    cookie = client.get(VOUCH).cookies["did"]
    assert cookie["httponly"] and cookie["samesite"] == "Lax" and cookie["max-age"] == 2 * 365 * 24 * 3600
    assert len(cookie.value) >= 16
    assert "did" not in client.get(VOUCH).cookies  # kept, not replaced


def test_asking_three_friends():
    applicant, vouchers = circle()
    client = _client(applicant)
    response = client.post(VOUCH, {"kind": "resident_id", "real_name": " 王  小明 ", "document_number": unique_id_number(),
                                   "vouchers": [v.pk for v in vouchers]})
    assert response.status_code == 302 and response["Location"] == VOUCH
    case = VouchCase.objects.get(applicant=applicant)
    assert case.identity.real_name == "王 小明"
    assert case.device_fingerprint and case.ip_fingerprint
    html = client.get(VOUCH).content.decode()
    assert 'data-status="collecting"' in html and "0 of 3 confirmations so far." in html
    for voucher in vouchers:
        assert voucher.display_name in html
    assert 'name="vouchers"' not in html  # one case at a time


def test_errors_keep_what_was_typed_and_checked():
    applicant, vouchers = circle()
    response = _client(applicant).post(VOUCH, {"kind": "resident_id", "real_name": "王小明",
                                               "document_number": "110105199003071234",
                                               "vouchers": [vouchers[0].pk, vouchers[1].pk]})
    html = response.content.decode()
    assert response.status_code == 400
    assert "check digit" in html and 'value="王小明"' in html and 'value="110105199003071234"' in html
    assert re.search(rf'value="{vouchers[0].pk}" id="voucher-{vouchers[0].pk}" checked', html)
    assert not VouchCase.objects.exists()


def test_too_few_friends_is_explained():
    applicant, vouchers = circle()
    response = _client(applicant).post(VOUCH, {"kind": "resident_id", "real_name": "王小明",
                                               "document_number": unique_id_number(), "vouchers": [vouchers[0].pk]})
    assert response.status_code == 400 and "Choose at least 3 friends" in response.content.decode()


def test_withdraw_and_404_for_someone_elses_case():
    applicant, vouchers = circle()
    case = start_case(applicant, vouchers)
    assert _client(vouchers[0]).post(f"/verify/vouch/{case.pk}/withdraw/").status_code == 404
    response = _client(applicant).post(f"/verify/vouch/{case.pk}/withdraw/")
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == VouchCaseStatus.WITHDRAWN


def test_the_hub_links_to_vouching_and_shows_the_case():
    applicant, vouchers = circle()
    client = _client(applicant)
    html = client.get("/verify/").content.decode()
    assert 'href="/verify/vouch/"' in html and "Coming soon" not in html and "Ask friends to vouch" in html
    start_case(applicant, vouchers)
    html = client.get("/verify/").content.decode()
    assert "Your vouch case:" in html and "Waiting for your friends" in html and "See your vouch case" in html


def test_the_hub_of_a_voucher_links_to_the_requests():
    applicant, vouchers = circle()
    start_case(applicant, vouchers)
    html = _client(vouchers[0]).get("/verify/").content.decode()
    assert f'href="{VOUCHES}"' in html and '<span class="badge">1</span>' in html


# --- The voucher --------------------------------------------------------------------

@pytest.fixture
def asked():
    applicant, vouchers = circle()
    applicant.profile.nickname = "Asker"
    applicant.profile.save()
    case = start_case(applicant, vouchers, name="王小明", number="11010519491231002X")
    return case, vouchers


def test_the_voucher_sees_the_request_with_the_full_name_and_the_masked_number(asked):
    case, vouchers = asked
    html = _client(vouchers[0]).get(VOUCHES).content.decode()
    assert "Asker asks you to vouch for them" in html
    assert "王小明" in html
    assert "1101**********002X" in html and "11010519491231002X" not in html
    assert "What vouching means" in html and "you receive a strike, you lose the right to vouch" in html
    assert "I confirm that 王小明 is the real name of this person, whom I know personally." in html
    assert "I don't know this person" in html


def test_other_users_get_404_for_a_request_not_theirs(asked):
    case, vouchers = asked
    request = request_of(case, vouchers[0])
    for other in (vouchers[1], case.applicant, UserFactory()):
        client = _client(other)
        assert client.get(f"/verify/vouches/{request.pk}/").status_code == 404
        assert client.post(f"/verify/vouches/{request.pk}/confirm/", {"statement": "on"}).status_code == 404
        assert client.post(f"/verify/vouches/{request.pk}/decline/").status_code == 404
        assert f'id="request-{request.pk}"' not in client.get(VOUCHES).content.decode()
    assert request_of(case, vouchers[0]).status == VouchRequestStatus.PENDING
    assert _client(vouchers[0]).get(f"/verify/vouches/{request.pk}/").status_code == 200


def test_confirming_needs_the_statement(asked):
    case, vouchers = asked
    request = request_of(case, vouchers[0])
    response = _client(vouchers[0]).post(f"/verify/vouches/{request.pk}/confirm/", {})
    assert response.status_code == 400
    assert "Tick the statement to confirm" in response.content.decode()
    assert request_of(case, vouchers[0]).status == VouchRequestStatus.PENDING


def test_a_double_submit_confirms_once(asked):
    case, vouchers = asked
    request = request_of(case, vouchers[0])
    client = _client(vouchers[0])
    first = client.post(f"/verify/vouches/{request.pk}/confirm/", {"statement": "on"})
    second = client.post(f"/verify/vouches/{request.pk}/confirm/", {"statement": "on"})
    assert first.status_code == second.status_code == 302
    assert VouchRequest.objects.filter(case=case, status="confirmed").count() == 1
    html = client.get(VOUCHES).content.decode()
    assert "You have already confirmed this request." in html
    # Once answered, the name is shown masked only.
    assert "王小明" not in html and "王**" in html


def test_three_confirmations_through_the_pages(asked):
    case, vouchers = asked
    for i, voucher in enumerate(vouchers):
        request = request_of(case, voucher)
        _client(voucher, ip=f"114.114.114.{i + 1}").post(f"/verify/vouches/{request.pk}/confirm/",
                                                          {"statement": "on"})
    case.refresh_from_db()
    assert case.status == VouchCaseStatus.CHALLENGE
    html = _client(case.applicant).get(VOUCH).content.decode()
    assert "Your friends confirmed your real name" in html


def test_one_shared_public_address_flags_the_case(asked):
    case, vouchers = asked
    for voucher in vouchers:
        request = request_of(case, voucher)
        _client(voucher, ip="114.114.114.114").post(f"/verify/vouches/{request.pk}/confirm/", {"statement": "on"})
    case.refresh_from_db()
    assert case.status == VouchCaseStatus.REVIEW
    assert "shared_ip" in {f["code"] for f in vouch_item(case).flags}


def test_decline_and_i_dont_know_this_person(asked):
    case, vouchers = asked
    client = _client(vouchers[0])
    client.post(f"/verify/vouches/{request_of(case, vouchers[0]).pk}/decline/")
    assert request_of(case, vouchers[0]).status == VouchRequestStatus.DECLINED
    case.refresh_from_db()
    assert case.status == VouchCaseStatus.INSUFFICIENT

    applicant, others = circle()
    case = start_case(applicant, others)
    response = _client(others[1]).post(f"/verify/vouches/{request_of(case, others[1]).pk}/decline/", {"unknown": "1"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == VouchCaseStatus.REVIEW
    assert {f["code"] for f in vouch_item(case).flags} == {"unknown_person"}
    # The applicant is told a moderator checks it, never what the friend said.
    html = _client(applicant).get(VOUCH).content.decode()
    assert "A moderator is checking your case" in html and "unknown" not in html.lower().replace("unknown_", "")


def test_confirming_a_closed_request_is_explained(asked):
    case, vouchers = asked
    from verification.vouching import services as vouch_services

    vouch_services.vouch_case_withdraw(case=case, actor=case.applicant)
    request = request_of(case, vouchers[0])
    response = _client(vouchers[0]).post(f"/verify/vouches/{request.pk}/confirm/", {"statement": "on"})
    assert response.status_code == 400 or response.status_code == 409
    assert request_of(case, vouchers[0]).status == VouchRequestStatus.CANCELLED


# --- Staff ----------------------------------------------------------------------------

@pytest.fixture
def granted():
    import time_machine

    from verification.vouching.tasks import vouch_cases_tick

    applicant, vouchers = circle()
    case = confirm_all(start_case(applicant, vouchers), vouchers)
    with time_machine.travel(case.challenge_ends_at.timestamp() + 1):
        vouch_cases_tick()
    case.refresh_from_db()
    return case


def test_mark_false_is_404_for_anyone_but_a_moderator_with_mfa(granted):
    url = f"/verify/vouch/cases/{granted.pk}/false/"
    assert _client(granted.applicant).get(url).status_code == 404
    moderator = make_moderator()
    response = _client(moderator).get(url)  # logged in without MFA: sent to set it up first
    assert response.status_code == 302 and response["Location"].startswith("/accounts/2fa/totp/activate/")
    client = mfa_login(Client(HTTP_ACCEPT_LANGUAGE="en"), moderator)
    page = client.get(url)
    assert page.status_code == 200
    assert "Mark a vouched identity false" in page.content.decode() and f"#{granted.pk}" in page.content.decode()
    assert client.get("/verify/vouch/cases/999999/false/").status_code == 404


def test_a_moderator_marks_an_identity_false_from_the_staff_page(granted):
    moderator = make_moderator()
    client = mfa_login(Client(HTTP_ACCEPT_LANGUAGE="en"), moderator)
    url = f"/verify/vouch/cases/{granted.pk}/false/"
    response = client.post(url, {"note": ""})
    assert response.status_code == 400 and "Write a note" in response.content.decode()
    response = client.post(url, {"note": "The real person wrote to us."})
    assert response.status_code == 302
    granted.refresh_from_db()
    granted.applicant.refresh_from_db()
    assert granted.status == VouchCaseStatus.FALSE_IDENTITY and granted.applicant.level == Level.INDIRECT
    assert "Only a verified (granted) vouch case" in client.get(url).content.decode()


def test_the_review_page_shows_a_flagged_case(client):
    applicant, vouchers = circle(joined_days=2)
    case = confirm_all(start_case(applicant, vouchers, name="王小明"), vouchers)
    moderator = make_moderator()
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    mfa_login(client, moderator)
    item = vouch_item(case)
    html = client.get(f"/review/items/{item.pk}/").content.decode()
    assert "Identity confirmed by friends" in html and "Recently created accounts take part." in html
    assert "王小明" not in html and "王**" in html  # masked until claimed
    client.post(f"/review/items/{item.pk}/claim/")
    html = client.get(f"/review/items/{item.pk}/").content.decode()
    assert "王小明" in html and 'value="approve"' in html and 'value="uphold"' not in html
    response = client.post(f"/review/items/{item.pk}/decide/", {"decision": "approve", "note": "Family members."})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == VouchCaseStatus.GRANTED and vouch_item(case).status == ItemStatus.DECIDED
