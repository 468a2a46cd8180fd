"""Approving a flagged vouch case needs a note: why the moderator approves despite the flags."""

import pytest

from conftest import mfa_login
from moderation import services as queue
from moderation.models import ItemStatus
from verification.conftest import make_moderator
from verification.vouching import accountability
from verification.vouching.models import VouchCaseStatus
from verification.vouching.tests.helpers import circle, confirm_all, start_case, vouch_item

pytestmark = pytest.mark.django_db

MESSAGE = "This case was flagged: write why you approve it despite the flags."


@pytest.fixture
def flagged():
    applicant, vouchers = circle(joined_days=2)  # a young applicant account: the case is flagged
    case = confirm_all(start_case(applicant, vouchers), vouchers)
    assert case.status == VouchCaseStatus.REVIEW and vouch_item(case).flags
    return case


def test_the_decision_form_refuses_an_approval_without_a_note(client, flagged):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    mfa_login(client, make_moderator())
    item = vouch_item(flagged)
    client.post(f"/review/items/{item.pk}/claim/")
    response = client.post(f"/review/items/{item.pk}/decide/", {"decision": "approve", "note": "   "})
    assert response.status_code == 400
    assert response.context["form"].errors["note"] == [MESSAGE]
    assert MESSAGE in response.content.decode()
    flagged.refresh_from_db()
    assert flagged.status == VouchCaseStatus.REVIEW and vouch_item(flagged).status == ItemStatus.CLAIMED
    response = client.post(f"/review/items/{item.pk}/decide/",
                           {"decision": "approve", "note": "The two young accounts are the applicant's parents."})
    assert response.status_code == 302
    flagged.refresh_from_db()
    assert flagged.status == VouchCaseStatus.GRANTED and vouch_item(flagged).status == ItemStatus.DECIDED


def test_the_services_refuse_it_too(flagged):
    moderator = make_moderator()
    item = queue.review_item_claim(item=vouch_item(flagged), reviewer=moderator)
    with pytest.raises(queue.QueueError, match=MESSAGE):
        queue.review_item_decide(item=item, reviewer=moderator, decision="approve", note="")
    with pytest.raises(queue.QueueError, match=MESSAGE):
        accountability.vouch_case_decide(case=flagged, reviewer=moderator, decision=accountability.APPROVE)
    flagged.refresh_from_db()
    assert flagged.status == VouchCaseStatus.REVIEW


def test_rejecting_needs_no_note(flagged):
    moderator = make_moderator()
    item = queue.review_item_claim(item=vouch_item(flagged), reviewer=moderator)
    queue.review_item_decide(item=item, reviewer=moderator, decision="reject", note="")
    flagged.refresh_from_db()
    assert flagged.status == VouchCaseStatus.REJECTED
