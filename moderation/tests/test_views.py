"""The review queue pages through the test client: who sees them, what they show, what they do."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import Level1UserFactory
from conftest import mfa_login
from moderation import services
from moderation.models import AuditEntry, ItemStatus, ReviewItem
from social.tests.factories import make_friends

from .conftest import KIND, SENIOR_KIND, make_moderator, open_item

pytestmark = pytest.mark.django_db

QUEUE = reverse("moderation:queue")


def _age(item, **delta):
    ReviewItem.objects.filter(pk=item.pk).update(created_at=timezone.now() - timedelta(**delta))


# --- Who sees the queue ------------------------------------------------------------

def test_logged_out_visitor_is_sent_to_log_in(client, item):
    for url in (QUEUE, reverse("moderation:item", args=[item.pk])):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("account_login"))


def test_user_who_may_review_nothing_gets_404(client, item):
    client.force_login(Level1UserFactory())
    assert client.get(QUEUE).status_code == 404
    assert client.get(reverse("moderation:item", args=[item.pk])).status_code == 404
    assert client.post(reverse("moderation:claim", args=[item.pk])).status_code == 404
    assert client.post(reverse("moderation:claim_next")).status_code == 404
    assert client.post(reverse("moderation:decide", args=[item.pk]), {"decision": "approve"}).status_code == 404
    assert ReviewItem.objects.get(pk=item.pk).status == ItemStatus.OPEN


def test_staff_member_without_a_moderation_group_gets_404_too(client):
    staff = Level1UserFactory(is_staff=True)
    mfa_login(client, staff)
    assert client.get(QUEUE).status_code == 404


def test_moderator_sees_the_queue_superuser_too(mod_client, staff_client, item):
    for client in (mod_client, staff_client):
        response = client.get(QUEUE, HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 200
        html = response.content.decode()
        assert "Review queue" in html and f'id="item-{item.pk}"' in html and "A profile to check" in html


def test_items_of_kinds_the_viewer_may_not_review_are_404(mod_client):
    senior_item = open_item(kind=SENIOR_KIND)
    assert mod_client.get(reverse("moderation:item", args=[senior_item.pk])).status_code == 404
    assert mod_client.post(reverse("moderation:claim", args=[senior_item.pk])).status_code == 404
    assert mod_client.get(QUEUE, {"kind": SENIOR_KIND}).status_code == 404
    assert f"item-{senior_item.pk}" not in mod_client.get(QUEUE).content.decode()


def test_item_of_a_kind_no_longer_registered_is_404(mod_client, item):
    ReviewItem.objects.filter(pk=item.pk).update(kind="gone.kind")
    assert mod_client.get(reverse("moderation:item", args=[item.pk])).status_code == 404
    assert mod_client.get(reverse("moderation:item", args=[999_999])).status_code == 404


# --- The queue page ----------------------------------------------------------------

def test_queue_lists_pending_items_oldest_first_with_age_and_sla(mod_client, settings, moderator):
    settings.REVIEW_SLA_HOURS = 24
    fresh, middle, late = open_item(), open_item(), open_item()
    _age(fresh, hours=2)
    _age(middle, hours=13)
    _age(late, hours=30)
    decided = open_item()
    services.review_item_claim(item=decided, reviewer=moderator)
    services.review_item_decide(item=decided, reviewer=moderator, decision="approve")
    page = mod_client.get(QUEUE).content.decode()
    positions = [page.index(f'id="item-{i.pk}"') for i in (late, middle, fresh)]
    assert positions == sorted(positions)
    assert f'id="item-{decided.pk}"' not in page
    row = lambda i: page[page.index(f'id="item-{i.pk}"'):].split("</tr>")[0]  # noqa: E731
    assert "sla-ok" in row(fresh) and "On time" in row(fresh) and "2\xa0hours" in row(fresh)
    assert "sla-soon" in row(middle) and "Due soon" in row(middle)
    assert "sla-late" in row(late) and "Overdue" in row(late) and "1\xa0day" in row(late)
    # Counts and the oldest age at the top.
    assert "3 items waiting" in page
    stats = page[page.index(f'id="stats-{KIND}"'):].split("</tr>")[0]
    assert "<td>3</td>" in stats and "Overdue" in stats


def test_queue_shows_who_holds_a_claim_until_when_and_flags(mod_client, other_moderator, moderator):
    claimed, mine, flagged = open_item(), open_item(), open_item(flags=[{"code": "ring", "text": "Vouching ring"}])
    services.review_item_claim(item=claimed, reviewer=other_moderator)
    services.review_item_claim(item=mine, reviewer=moderator)
    page = mod_client.get(QUEUE).content.decode()
    row = lambda i: page[page.index(f'id="item-{i.pk}"'):].split("</tr>")[0]  # noqa: E731
    claimed.refresh_from_db()
    until = timezone.localtime(claimed.claim_expires_at).strftime("%H:%M")
    assert other_moderator.display_name in row(claimed) and f"until {until}" in row(claimed)
    assert "You" in row(mine)
    assert 'class="flagged"' in row(flagged) and "1 flag" in row(flagged)
    assert "open" in row(flagged)


def test_queue_filters_by_kind_with_tabs(client):
    senior = make_moderator("moderator", "senior moderator")
    mfa_login(client, senior)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    ordinary, special = open_item(), open_item(kind=SENIOR_KIND)
    page = client.get(QUEUE).content.decode()
    assert f"item-{ordinary.pk}" in page and f"item-{special.pk}" in page
    page = client.get(QUEUE, {"kind": SENIOR_KIND}).content.decode()
    assert f"item-{ordinary.pk}" not in page and f"item-{special.pk}" in page
    assert f'href="{QUEUE}?kind={SENIOR_KIND}" aria-current="page"' in page


def test_queue_paginates_by_50_and_keeps_the_kind(mod_client):
    items = [open_item() for _ in range(51)]
    for n, item in enumerate(items):
        _age(item, minutes=100 - n)
    page = mod_client.get(QUEUE, {"kind": KIND}).content.decode()
    assert page.count('id="item-') == 50 and f'id="item-{items[-1].pk}"' not in page
    assert f"?kind={KIND}&amp;page=2" in page
    page2 = mod_client.get(QUEUE, {"kind": KIND, "page": 2}).content.decode()
    assert page2.count('id="item-') == 1 and f'id="item-{items[-1].pk}"' in page2


def test_queue_costs_the_same_number_of_queries_for_3_and_30_items(mod_client, other_moderator,
                                                                   django_assert_num_queries):
    def fill(n):
        for i in range(n):
            item = open_item(flags=[{"code": "x", "text": "X"}] if i % 2 else None)
            if i % 3 == 0:
                services.review_item_claim(item=item, reviewer=other_moderator)

    fill(3)
    mod_client.get(QUEUE)  # warm the session and the agreement check
    with CaptureQueriesContext(connection) as three:
        assert mod_client.get(QUEUE).status_code == 200
    fill(27)
    with django_assert_num_queries(len(three.captured_queries)):
        page = mod_client.get(QUEUE).content.decode()
    assert page.count('id="item-') == 30


def test_empty_queue_says_so(mod_client):
    assert "No items are waiting" in mod_client.get(QUEUE).content.decode()


# --- Claim next ------------------------------------------------------------------

def test_claim_next_opens_the_oldest_claimable_item(mod_client, moderator):
    first, second = open_item(), open_item()
    _age(first, hours=1)
    response = mod_client.post(reverse("moderation:claim_next"))
    assert response["Location"] == reverse("moderation:item", args=[first.pk])
    assert ReviewItem.objects.get(pk=first.pk).is_claimed_by(moderator)
    response = mod_client.post(reverse("moderation:claim_next"), {"kind": KIND})
    assert response["Location"] == reverse("moderation:item", args=[second.pk])


def test_claim_next_with_nothing_left_explains(mod_client):
    response = mod_client.post(reverse("moderation:claim_next"), {"kind": KIND}, follow=True)
    assert "No item is waiting for you" in response.content.decode()
    assert mod_client.get(reverse("moderation:claim_next")).status_code == 405


# --- The item page ----------------------------------------------------------------

def test_item_page_shows_subject_flags_and_kind_body(mod_client):
    involved = Level1UserFactory()
    item = open_item(flags=[{"code": "shared_device", "text": "Same device as another applicant",
                             "users": [involved.pk]}, "a plain string flag"])
    page = mod_client.get(reverse("moderation:item", args=[item.pk])).content.decode()
    assert "Test profile" in page and item.subject.display_name in page and f"#{item.subject_id}" in page
    assert reverse("admin:accounts_user_change", args=[item.subject_id]) in page
    assert "Phone verified" in page  # the subject's level
    assert "Same device as another applicant" in page and "shared_device" in page
    assert reverse("admin:accounts_user_change", args=[involved.pk]) in page
    assert "a plain string flag" in page
    assert "A profile to check" in page and item.subject.profile.nickname in page  # default kind template
    assert 'action="' + reverse("moderation:claim", args=[item.pk]) in page
    assert 'name="decision"' not in page and "kind-context-ok" not in page


def test_claim_button_is_disabled_while_someone_else_holds_the_item(mod_client, other_moderator, item):
    services.review_item_claim(item=item, reviewer=other_moderator)
    page = mod_client.get(reverse("moderation:item", args=[item.pk])).content.decode()
    assert "disabled" in page and f"{other_moderator.display_name} is working on this item until" in page
    response = mod_client.post(reverse("moderation:claim", args=[item.pk]), follow=True)
    assert "Another moderator is working on this item" in response.content.decode()
    assert ReviewItem.objects.get(pk=item.pk).claimed_by == other_moderator


@pytest.mark.parametrize("whose", ["own", "friend"])
def test_claim_button_is_disabled_for_own_or_a_friends_item(mod_client, moderator, whose):
    subject = moderator if whose == "own" else Level1UserFactory()
    if whose == "friend":
        make_friends(moderator, subject)
    item = open_item(subject=subject)
    page = mod_client.get(reverse("moderation:item", args=[item.pk])).content.decode()
    assert "disabled" in page and "You may not review an item of your own or of a friend." in page
    response = mod_client.post(reverse("moderation:claim", args=[item.pk]), follow=True)
    assert "You may not review an item of your own or of a friend." in response.content.decode()
    assert ReviewItem.objects.get(pk=item.pk).status == ItemStatus.OPEN


@pytest.fixture
def kind_template(settings, dummy_kind):
    """Give the dummy kind its own body template, which prints what its context() returned."""
    engine = {**settings.TEMPLATES[0], "APP_DIRS": False}
    engine["OPTIONS"] = {**engine["OPTIONS"], "loaders": [
        ("django.template.loaders.locmem.Loader", {"test/dummy_kind.html": "<p>{{ obj.nickname }} {{ secret }}</p>"}),
        "django.template.loaders.filesystem.Loader", "django.template.loaders.app_directories.Loader",
    ]}
    settings.TEMPLATES = [engine]
    dummy_kind.template = "test/dummy_kind.html"


def test_claim_then_the_holder_sees_the_decision_form_and_viewing_touches(mod_client, moderator, item, time_machine,
                                                                          kind_template):
    time_machine.move_to(timezone.now(), tick=False)
    response = mod_client.post(reverse("moderation:claim", args=[item.pk]))
    assert response["Location"] == reverse("moderation:item", args=[item.pk])
    claimed_at = ReviewItem.objects.get(pk=item.pk).last_activity_at
    time_machine.shift(timedelta(minutes=20))
    page = mod_client.get(reverse("moderation:item", args=[item.pk])).content.decode()
    assert ReviewItem.objects.get(pk=item.pk).last_activity_at == claimed_at + timedelta(minutes=20)
    assert 'name="decision" value="approve"' in page and 'name="decision" value="reject"' in page
    assert 'value="close"' not in page  # senior moderators only
    assert 'name="reason_reject"' in page and '<option value="spam">Spam</option>' in page
    assert 'name="note"' in page and reverse("moderation:release", args=[item.pk]) in page
    assert "kind-context-ok" in page  # the kind's context reached its template


def test_release_puts_the_item_back(mod_client, moderator, item):
    services.review_item_claim(item=item, reviewer=moderator)
    response = mod_client.post(reverse("moderation:release", args=[item.pk]))
    assert response["Location"] == QUEUE
    assert ReviewItem.objects.get(pk=item.pk).status == ItemStatus.OPEN


# --- Deciding --------------------------------------------------------------------

def test_decide_through_the_page_then_the_item_is_read_only_history(mod_client, moderator, item, dummy_kind):
    services.review_item_claim(item=item, reviewer=moderator)
    response = mod_client.post(reverse("moderation:decide", args=[item.pk]),
                               {"decision": "reject", "reason_reject": "fake", "note": "Name is a brand"})
    assert response["Location"] == QUEUE
    assert dummy_kind.calls == [(item.pk, "reject", "fake")]
    page = mod_client.get(reverse("moderation:item", args=[item.pk])).content.decode()
    assert "Reject" in page and "Fake name" in page and "Name is a brand" in page
    assert moderator.display_name in page and 'name="decision"' not in page
    assert 'action="' + reverse("moderation:claim", args=[item.pk]) not in page
    for step in ("Put in the queue", "Claimed", "Decided"):
        assert step in page


def test_a_double_submit_is_harmless(mod_client, moderator, item, dummy_kind):
    services.review_item_claim(item=item, reviewer=moderator)
    url = reverse("moderation:decide", args=[item.pk])
    assert mod_client.post(url, {"decision": "approve"}).status_code == 302
    assert mod_client.post(url, {"decision": "approve"}).status_code == 302
    assert len(dummy_kind.calls) == 1
    assert AuditEntry.objects.filter(action=f"review.{KIND}.decide").count() == 1


def test_decide_without_a_reason_keeps_what_was_typed(mod_client, moderator, item, dummy_kind):
    services.review_item_claim(item=item, reviewer=moderator)
    response = mod_client.post(reverse("moderation:decide", args=[item.pk]),
                               {"decision": "reject", "reason_reject": "", "note": "My careful note"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "Choose a reason." in page and "My careful note" in page
    assert dummy_kind.calls == []


def test_decide_without_a_claim_is_a_message_not_a_500(mod_client, other_moderator, item, dummy_kind):
    services.review_item_claim(item=item, reviewer=other_moderator)
    response = mod_client.post(reverse("moderation:decide", args=[item.pk]),
                               {"decision": "approve", "note": "Typed before the claim lapsed"})
    assert response.status_code == 409
    page = response.content.decode()
    assert "Claim this item before deciding it" in page and "Typed before the claim lapsed" in page
    assert dummy_kind.calls == []


def test_decide_after_someone_else_decided_is_a_message(mod_client, moderator, other_moderator, item, dummy_kind):
    services.review_item_claim(item=item, reviewer=other_moderator)
    services.review_item_decide(item=item, reviewer=other_moderator, decision="approve")
    response = mod_client.post(reverse("moderation:decide", args=[item.pk]), {"decision": "approve"})
    assert response.status_code == 409 and "already been decided" in response.content.decode()
    assert dummy_kind.calls == [(item.pk, "approve", "")]


def test_decide_after_the_claim_lapsed_is_a_message(mod_client, moderator, item, dummy_kind, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    services.review_item_claim(item=item, reviewer=moderator)
    time_machine.shift(timedelta(minutes=31))
    response = mod_client.post(reverse("moderation:decide", args=[item.pk]), {"decision": "approve"})
    assert response.status_code == 409 and "Claim this item before deciding it" in response.content.decode()
    assert dummy_kind.calls == []


def test_decide_is_post_only(mod_client, item):
    for name in ("decide", "claim", "release"):
        assert mod_client.get(reverse(f"moderation:{name}", args=[item.pk])).status_code == 405


def test_pages_are_translatable(mod_client, item):
    mod_client.defaults["HTTP_ACCEPT_LANGUAGE"] = "zh-hans"
    queue = mod_client.get(QUEUE)
    assert queue.status_code == 200
    assert "审核队列" in queue.content.decode() and "Review queue" not in queue.content.decode()
    page = mod_client.get(reverse("moderation:item", args=[item.pk]))
    assert page.status_code == 200
    assert "领取该审核项" in page.content.decode() and "Claim this item" not in page.content.decode()


def test_history_names_a_moderator_whose_account_was_deleted(mod_client, other_moderator, item):
    services.review_item_claim(item=item, reviewer=other_moderator)
    services.review_item_release(item=item, reviewer=other_moderator)
    gone = other_moderator.pk
    other_moderator.delete()
    page = mod_client.get(reverse("moderation:item", args=[item.pk])).content.decode()
    assert f"by a deleted account #{gone}" in page and "Released" in page
