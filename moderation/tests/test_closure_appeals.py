"""An appeal against a closure is judged by a senior moderator only: a plain moderator can neither claim nor decide it."""

import pytest
from django.urls import reverse

from accounts.tests.factories import Level2UserFactory
from conftest import mfa_login
from moderation import appeals, ladder, selectors, services
from moderation.models import Appeal, AppealStatus, ItemStatus, PenaltyStatus, ReviewItem, Rung

from .conftest import apply_rung, make_moderator

pytestmark = pytest.mark.django_db

SENIOR_ONLY = "Only a senior moderator may judge an appeal against a closure."


@pytest.fixture
def closure_appeal(senior):
    user = Level2UserFactory(language="en")
    penalty = apply_rung(user, Rung.CLOSE, moderator=senior)
    appeal = appeals.appeal_create(penalty=penalty, appellant=user, statement="I did nothing wrong.")
    return appeal, ReviewItem.objects.get(kind="appeal", object_id=appeal.pk)


def test_a_plain_moderator_cannot_claim_an_appeal_against_a_closure(closure_appeal, moderator):
    _appeal, item = closure_appeal
    with pytest.raises(services.QueueError, match=SENIOR_ONLY):
        services.review_item_claim(item=item, reviewer=moderator)
    # "Claim next" passes it over instead of handing it out.
    assert services.review_item_claim_next(reviewer=moderator) is None
    item.refresh_from_db()
    assert item.status == ItemStatus.OPEN and item.claimed_by is None


def test_a_plain_moderator_cannot_decide_it_even_holding_a_claim(closure_appeal, moderator):
    appeal, item = closure_appeal
    # A claim taken some other way (e.g. before a group change) does not let them decide.
    ReviewItem.objects.filter(pk=item.pk).update(status=ItemStatus.CLAIMED, claimed_by=moderator,
                                                 claimed_at=item.created_at, last_activity_at=item.created_at)
    item.refresh_from_db()
    with pytest.raises(services.QueueError, match=SENIOR_ONLY):
        services.review_item_decide(item=item, reviewer=moderator, decision="uphold")
    with pytest.raises(appeals.AppealError, match=SENIOR_ONLY):
        appeals.appeal_decide(appeal=appeal, reviewer=moderator, uphold=True)
    with pytest.raises(ladder.PenaltyError, match="Only a senior moderator may undo a closure."):
        ladder.penalty_overturn(penalty=appeal.penalty, actor=moderator)
    appeal.refresh_from_db()
    appeal.penalty.refresh_from_db()
    assert appeal.status == AppealStatus.PENDING and appeal.penalty.status == PenaltyStatus.ACTIVE
    assert selectors.user_is_closed(type(appeal.appellant).objects.get(pk=appeal.appellant_id))


def test_the_page_tells_a_plain_moderator_why_and_offers_no_decision(client, closure_appeal, moderator):
    _appeal, item = closure_appeal
    mfa_login(client, moderator)
    url = reverse("moderation:item", kwargs={"pk": item.pk})
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert SENIOR_ONLY in page
    assert 'name="decision"' not in page
    response = client.post(reverse("moderation:claim", kwargs={"pk": item.pk}), HTTP_ACCEPT_LANGUAGE="en", follow=True)
    assert response.status_code == 200 and SENIOR_ONLY in response.content.decode()
    item.refresh_from_db()
    assert item.claimed_by is None


def test_a_senior_moderator_claims_and_upholds_it(closure_appeal):
    appeal, item = closure_appeal
    judge = make_moderator("moderator", "senior moderator")
    assert services.review_item_claim_next(reviewer=judge) == item
    services.review_item_decide(item=item, reviewer=judge, decision="uphold")
    appeal.refresh_from_db()
    assert appeal.status == AppealStatus.UPHELD and appeal.decided_by == judge
    assert not selectors.user_is_closed(type(appeal.appellant).objects.get(pk=appeal.appellant_id))


def test_a_plain_moderator_still_judges_appeals_below_a_closure(moderator, other_moderator):
    user = Level2UserFactory()
    penalty = apply_rung(user, Rung.SUSPEND, moderator=other_moderator)
    appeal = appeals.appeal_create(penalty=penalty, appellant=user, statement="Too harsh.")
    item = services.review_item_claim_next(reviewer=moderator)
    assert item is not None and item.object_id == appeal.pk
    services.review_item_decide(item=item, reviewer=moderator, decision="deny", note="The links were spam.")
    assert Appeal.objects.get(pk=appeal.pk).status == AppealStatus.DENIED
