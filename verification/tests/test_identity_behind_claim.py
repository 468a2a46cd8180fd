"""Issue 9, point 1: the real identity on review pages only for the moderator holding the claim, and on record.

Masked for everyone else, for everyone once decided, and as soon as a conflict of interest appears
during a claim (the claim is then released). The crawl at the end fetches every review URL as a
moderator without the claim and finds neither the name nor the number.
"""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone
from stdnum.cn import ric

from accounts import services as account_services
from accounts.masking import mask_document_number, mask_name
from accounts.tests.factories import Level1UserFactory, Level2UserFactory
from conftest import mfa_login
from moderation import appeals, ladder, reports
from moderation import services as queue
from moderation.models import AuditEntry, ItemStatus, ReviewItem, Rung
from publicaccounts import qualifications
from publicaccounts import services as pa_services
from publicaccounts.tests.factories import processed
from social.tests.factories import make_friends
from verification.conftest import claim, item_of, make_moderator
from verification.vouching.tests.helpers import circle, confirm_all, start_case, vouch_item

from .utils import resident_id

NAME = "张三丰"
NUMBER = "11010519491231002X"
# The masked number keeps the first and last four characters: these are the ones that must never show.
HIDDEN_DIGITS = NUMBER[4:-4]

pytestmark = pytest.mark.django_db


def test_the_known_number_is_a_valid_resident_id():
    assert ric.is_valid(NUMBER) and mask_document_number(NUMBER) == "1101**********002X"


def page_of(client, item) -> str:
    response = client.get(reverse("moderation:item", kwargs={"pk": item.pk}))
    assert response.status_code == 200
    return response.content.decode()


def unmask_entries(item):
    return AuditEntry.objects.filter(action="identity.unmask", target_type="moderation.reviewitem",
                                     target_id=str(item.pk))


def assert_masked(html: str, name: str = NAME, number: str = NUMBER) -> None:
    assert name not in html and number not in html and number[4:-4] not in html
    assert mask_name(name) in html and mask_document_number(number) in html


@pytest.fixture
def doc(submit):
    """A pending identity document of a level-1 user, typed as 张三丰 / 11010519491231002X."""
    return submit(Level1UserFactory(), name=NAME, number=NUMBER)


def test_the_claimant_sees_the_full_identity_and_each_viewing_is_on_record(client, doc, moderator):
    item = item_of(doc)
    mfa_login(client, moderator)
    assert_masked(page_of(client, item))  # before the claim
    assert not unmask_entries(item).exists()
    client.post(reverse("moderation:claim", kwargs={"pk": item.pk}))
    html = page_of(client, item)
    assert NAME in html and NUMBER in html
    [entry] = unmask_entries(item)
    assert entry.actor == moderator and entry.data == {"kind": "document"}
    assert NAME not in str(entry.data) + entry.reason and NUMBER not in str(entry.data) + entry.reason
    # The image views are recorded on their own ("document.image_view"), not as more unmaskings.
    for side in (1, 2):
        assert client.get(reverse("verification:reviewer_image", kwargs={"pk": doc.pk, "side": side})).status_code == 200
    assert unmask_entries(item).count() == 1
    page_of(client, item)
    assert unmask_entries(item).count() == 2
    # The item's history says who saw the identity in full.
    assert "Real identity shown in full to the claim holder" in page_of(client, item)


def test_another_moderator_sees_it_masked_and_gets_no_image(client, doc, moderator, other_moderator):
    item = claim(doc, moderator)
    mfa_login(client, other_moderator)
    html = page_of(client, item)
    assert_masked(html)
    assert "(claim the item to see it in full)" in html
    assert reverse("verification:reviewer_image", kwargs={"pk": doc.pk, "side": 1}) not in html
    for side in (1, 2):
        assert client.get(reverse("verification:reviewer_image", kwargs={"pk": doc.pk, "side": side})).status_code == 404
    assert not unmask_entries(item).exists()


def test_a_decided_item_is_masked_for_everyone_the_decider_too(client, doc, moderator, other_moderator, decide):
    item = decide(doc, moderator, "approve")
    assert item.status == ItemStatus.DECIDED
    for viewer in (moderator, other_moderator):
        mfa_login(client, viewer)
        html = page_of(client, item)
        assert_masked(html)
        assert "(masked: this item is no longer waiting for review)" in html
        # Without the reveal permission, no way to the full identity from here.
        assert reverse("accounts:identity_reveal", kwargs={"pk": doc.identity_id}) not in html
    assert not unmask_entries(item).exists()


def test_a_decided_item_links_holders_of_the_reveal_permission_to_the_reveal_form(client, doc, moderator, decide):
    item = decide(doc, moderator, "approve")
    moderator.user_permissions.add(Permission.objects.get(codename="reveal_identity"))
    mfa_login(client, moderator)
    html = page_of(client, item)
    assert_masked(html)
    reveal_url = reverse("accounts:identity_reveal", kwargs={"pk": doc.identity_id})
    assert reveal_url in html
    # The link leads to the form (which asks for a ground and a reason), not to the identity.
    form = client.get(reveal_url).content.decode()
    assert "reason_text" in form and NAME not in form and NUMBER not in form


def test_a_friendship_made_during_the_claim_releases_it_and_masks_the_page(client, doc, moderator):
    item = claim(doc, moderator)
    make_friends(moderator, doc.user)
    mfa_login(client, moderator)
    # Even before the page is opened again, the images are refused.
    assert client.get(reverse("verification:reviewer_image", kwargs={"pk": doc.pk, "side": 1})).status_code == 404
    html = page_of(client, item)
    assert_masked(html)
    assert "Your claim on this item was released" in html and "of a friend" in html
    assert 'name="decision"' not in html
    item.refresh_from_db()
    assert item.status == ItemStatus.OPEN and item.claimed_by is None
    release = AuditEntry.objects.get(action="review.document.release", target_id=str(item.pk))
    assert release.actor == moderator and release.data == {"conflict": True}
    assert not unmask_entries(item).exists()


def test_a_friendship_made_during_the_claim_releases_it_on_decide(client, doc, moderator):
    item = claim(doc, moderator)
    mfa_login(client, moderator)
    page_of(client, item)
    make_friends(moderator, doc.user)
    response = client.post(reverse("moderation:decide", kwargs={"pk": item.pk}), {"decision": "approve", "note": ""})
    assert response.status_code == 409
    html = response.content.decode()
    assert "Your claim was released" in html
    assert_masked(html)
    item.refresh_from_db()
    doc.refresh_from_db()
    assert item.status == ItemStatus.OPEN and item.claimed_by is None and doc.status == "pending"


def test_a_friends_item_whose_claim_is_refused_stays_masked(client, doc, moderator):
    make_friends(moderator, doc.user)
    item = item_of(doc)
    mfa_login(client, moderator)
    html = page_of(client, item)
    assert "You may not review an item of your own or of a friend." in html
    assert_masked(html)
    response = client.post(reverse("moderation:claim", kwargs={"pk": item.pk}), follow=True)
    html = response.content.decode()
    assert "You may not review an item of your own or of a friend." in html
    assert_masked(html)
    item.refresh_from_db()
    assert item.status == ItemStatus.OPEN and not unmask_entries(item).exists()


def test_a_vouch_case_shows_the_identity_to_its_claimant_only_and_records_it(client, moderator, other_moderator):
    applicant, vouchers = circle(joined_days=2)
    case = confirm_all(start_case(applicant, vouchers, name=NAME, number=NUMBER), vouchers)
    item = vouch_item(case)
    queue.review_item_claim(item=item, reviewer=moderator)
    mfa_login(client, other_moderator)
    assert_masked(page_of(client, item))
    assert not unmask_entries(item).exists()
    mfa_login(client, moderator)
    html = page_of(client, item)
    assert NAME in html and NUMBER in html
    assert unmask_entries(item).get().actor == moderator


# --- The crawl: every review URL, as a moderator without the claim ------------------------------

def _identity(user, number: str):
    identity = account_services.identity_store(user=user, real_name=NAME, document_type="resident_id",
                                               document_number=number)
    return account_services.identity_confirm(identity=identity)


def _body(response) -> str:
    if response.streaming:
        return b"".join(response.streaming_content).decode(errors="ignore")
    return response.content.decode(errors="ignore")


def test_crawl_every_review_url_as_a_moderator_without_the_claim_finds_no_identity(client, submit, decide):
    numbers = [NUMBER] + [resident_id(birth="19491231", seq=f"{n:03d}") for n in range(301, 307)]
    # A pending document (the known name and number) and a decided one, of two accounts.
    pending = submit(Level1UserFactory(), name=NAME, number=numbers[0])
    approved = submit(Level1UserFactory(), name=NAME, number=numbers[1])
    decider = make_moderator()
    decide(approved, decider, "approve")
    # A vouch case flagged for review (young accounts).
    applicant, vouchers = circle(joined_days=2)
    case = confirm_all(start_case(applicant, vouchers, name=NAME, number=numbers[2]), vouchers)
    # A public account with a reserved name, and a news qualification (compliance) with its scan.
    owner = Level2UserFactory()
    _identity(owner, numbers[3])
    account = pa_services.account_register(owner=owner, name="城市新闻", handle="city-news")
    today = timezone.localdate()
    qualification = qualifications.qualification_apply(
        account=account, actor=owner, licence_type="reproduction", licence_number="10120230042",
        issuing_authority="Beijing Cyberspace Administration", valid_from=today - timedelta(days=1),
        valid_until=today + timedelta(days=365), scan=processed())
    # A report on a profile, and an appeal against a penalty, about people with the same real name.
    reported = Level2UserFactory()
    _identity(reported, numbers[4])
    reports.report_create(reporter=Level2UserFactory(), target_key="user", obj=reported, category="impersonation",
                          text="Not who they say")
    punished = Level2UserFactory()
    _identity(punished, numbers[5])
    penalty = ladder.penalty_apply(target_user=punished, action=Rung.WARN, rule="community", reason="Spam links",
                                   moderator=decider)
    appeals.appeal_create(penalty=penalty, appellant=punished, statement="A misunderstanding.")

    # The crawler reviews every kind, holds no claim, and may not reveal identities.
    crawler = make_moderator()
    for group in ("senior moderator", "compliance"):
        crawler.groups.add(crawler.groups.model.objects.get_or_create(name=group)[0])
    crawler.is_staff = True
    crawler.save(update_fields=["is_staff"])
    assert not crawler.has_perm("accounts.reveal_identity")
    # Someone else holds the claim on the pending document (the images exist, but not for the crawler).
    claim(pending, decider)
    mfa_login(client, crawler)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"

    items = list(ReviewItem.objects.order_by("pk"))
    assert {i.kind for i in items} >= {"document", "vouch", "publicaccount_name", "qualification", "report", "appeal"}
    urls = [reverse("moderation:queue"), reverse("moderation:dashboard"), reverse("moderation:audit_export"),
            f"{reverse('moderation:queue')}?page=2", f"{reverse('moderation:queue')}?kind=nothing"]
    urls += [f"{reverse('moderation:queue')}?kind={kind}" for kind in sorted({i.kind for i in items})]
    urls += [reverse("moderation:item", kwargs={"pk": i.pk}) for i in items]
    urls += [reverse("verification:reviewer_image", kwargs={"pk": s.pk, "side": side})
             for s in (pending, approved) for side in (1, 2)]
    urls += [reverse("publicaccounts:qualification_scan", kwargs={"pk": qualification.pk}),
             reverse("verification:vouch_mark_false", kwargs={"pk": case.pk})]
    urls += [reverse("accounts:identity_reveal", kwargs={"pk": i.pk})
             for i in (pending.identity, approved.identity, case.identity)]
    # The review routes that only take a POST answer a GET with 405 and nothing else.
    post_only = [reverse(name, kwargs={"pk": items[0].pk}) for name in
                 ("moderation:claim", "moderation:release", "moderation:decide")] + [reverse("moderation:claim_next")]

    statuses = {}
    for url in urls + post_only:
        response = client.get(url)
        statuses[url] = response.status_code
        body = _body(response)
        assert NAME not in body, url
        for number in numbers:
            assert number not in body and number[4:-4] not in body, url
    # The crawl reached the pages (a crawl of error pages would prove nothing) ...
    assert statuses[reverse("moderation:queue")] == statuses[reverse("moderation:dashboard")] == 200
    for i in items:
        assert statuses[reverse("moderation:item", kwargs={"pk": i.pk})] == 200
    # ... and the private files and the reveal are refused to a moderator without the claim or the permission.
    for url in urls:
        if "/image/" in url or url.endswith("/scan/"):
            assert statuses[url] == 404, url
        if "/staff/identities/" in url:
            assert statuses[url] == 403, url
    assert all(statuses[url] == 405 for url in post_only)
    # The masked forms are what the document and vouch pages show instead.
    for it in (item_of(pending), item_of(approved), vouch_item(case)):
        assert mask_name(NAME) in client.get(reverse("moderation:item", kwargs={"pk": it.pk})).content.decode()
    assert not AuditEntry.objects.filter(action="identity.unmask", actor=crawler).exists()
