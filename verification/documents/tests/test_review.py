"""The "document" review kind: decisions through the queue services, the cap at approval, the review page body."""

import pytest
from django.core import mail
from django.template.loader import render_to_string
from django.test import RequestFactory

from accounts.masking import mask_document_number
from accounts.models import IdentityStatus, Level, LevelSource, Notification
from accounts.tests.factories import Level1UserFactory
from core.testing import assert_constant_queries
from moderation import registry
from moderation import services as queue
from moderation.models import AuditEntry, ItemStatus
from moderation.services import QueueError
from verification.conftest import claim, make_moderator
from verification.documents import selectors, services
from verification.documents.models import REJECT_TEXTS, RejectReason, ResubmitReason, SubmissionStatus
from verification.tests.utils import fresh, resident_id

pytestmark = pytest.mark.django_db


def test_kind_is_registered():
    kind = registry.get("document")
    assert kind.groups == ("moderator",) and kind.template == "verification/review_document.html"
    assert [d.code for d in kind.decisions] == ["approve", "reject", "resubmit"]
    reject = kind.option("reject")
    assert {code for code, _label in reject.reasons} == {"unreadable", "expired", "mismatch", "forgery", "other"}
    assert kind.option("resubmit").reasons


def test_approve_verifies_the_user(pending, moderator, decide):
    user = pending.user
    item = decide(pending, moderator, "approve", note="looks fine")
    assert item.status == ItemStatus.DECIDED and item.decision == "approve"
    assert pending.status == SubmissionStatus.APPROVED
    assert pending.decided_by == moderator and pending.decided_at and pending.note == "looks fine"
    user.refresh_from_db()
    assert user.level == Level.VERIFIED and user.level_source == LevelSource.DOCUMENT
    assert pending.identity.status == IdentityStatus.CONFIRMED and pending.identity.confirmed_at
    note = Notification.objects.get(user=user, kind="document.approved")
    assert note.title == "Your identity is verified" and note.url == "/verify/"
    assert [m.subject for m in mail.outbox] == ["Your identity is verified"]
    entry = AuditEntry.objects.get(action="document.approve")
    assert entry.actor == moderator and entry.target_id == str(pending.pk)
    assert entry.target_type == "verification.documentsubmission"
    for secret in ("张三", resident_id()):
        assert secret not in entry.reason and secret not in str(entry.data)


@pytest.mark.parametrize("reason", RejectReason.values)
def test_reject_tells_the_reason_in_plain_words(pending, moderator, decide, reason):
    decide(pending, moderator, "reject", reason, note="internal remark")
    assert pending.status == SubmissionStatus.REJECTED and pending.reason_code == reason and pending.decided_at
    assert pending.identity.status == IdentityStatus.REJECTED
    pending.user.refresh_from_db()
    assert pending.user.level == Level.INDIRECT
    note = Notification.objects.get(user=pending.user, kind="document.rejected")
    assert str(REJECT_TEXTS[reason]) in note.body
    assert "internal remark" not in note.body and len(mail.outbox) == 1
    assert AuditEntry.objects.filter(action="document.reject", actor=moderator).count() == 1


def test_mismatch_never_says_which_field(pending, moderator, decide):
    decide(pending, moderator, "reject", "mismatch")
    body = Notification.objects.get(user=pending.user, kind="document.rejected").body
    assert "The name or number does not match the document." in body
    assert "张三" not in body and resident_id() not in body


def test_notification_is_in_the_users_language(pending, moderator, decide):
    pending.user.language = "zh-hans"
    pending.user.save(update_fields=["language"])
    decide(pending, moderator, "approve")
    # Without a Chinese catalogue entry the English msgid is used; either way it is rendered, not lazy.
    assert Notification.objects.get(user=pending.user).title


def test_ask_for_a_new_upload(pending, moderator, decide, submit):
    decide(pending, moderator, "resubmit", ResubmitReason.INCOMPLETE)
    assert pending.status == SubmissionStatus.RESUBMIT_REQUESTED and pending.reason_code == "incomplete"
    note = Notification.objects.get(user=pending.user, kind="document.resubmit")
    assert "cut off or covered" in note.body and note.url == "/verify/document/"
    assert AuditEntry.objects.filter(action="document.resubmit").count() == 1
    # The same photos may be sent again with the new upload (only rejected ones are refused).
    assert submit(pending.user).status == SubmissionStatus.PENDING


def test_reason_is_required(pending, moderator):
    item = claim(pending, moderator)
    with pytest.raises(QueueError):
        queue.review_item_decide(item=item, reviewer=moderator, decision="reject")
    with pytest.raises(QueueError):
        services.submission_reject(submission=pending, reviewer=moderator, reason_code="no-such-reason")
    pending.refresh_from_db()
    assert pending.status == SubmissionStatus.PENDING


def test_double_decide_and_a_second_moderator_make_exactly_one_decision(pending, moderator, other_moderator, decide):
    item = claim(pending, moderator)
    with pytest.raises(QueueError):
        queue.review_item_claim(item=item, reviewer=other_moderator)
    with pytest.raises(QueueError):
        queue.review_item_decide(item=item, reviewer=other_moderator, decision="reject", reason_code="other")
    decide(pending, moderator, "approve")
    decide(pending, moderator, "approve")  # a double submit: the first one already did it
    with pytest.raises(QueueError):
        queue.review_item_decide(item=item, reviewer=other_moderator, decision="reject", reason_code="other")
    with pytest.raises(QueueError):
        queue.review_item_decide(item=item, reviewer=moderator, decision="reject", reason_code="other")
    pending.refresh_from_db()
    assert pending.status == SubmissionStatus.APPROVED and pending.decided_by == moderator
    assert AuditEntry.objects.filter(action__startswith="document.").count() == 1
    assert Notification.objects.filter(user=pending.user).count() == 1


def test_service_refuses_a_reviewer_without_the_claim(pending, moderator, other_moderator):
    with pytest.raises(QueueError):
        services.submission_approve(submission=pending, reviewer=moderator)
    claim(pending, moderator)
    with pytest.raises(QueueError):
        services.submission_approve(submission=pending, reviewer=other_moderator)
    pending.refresh_from_db()
    assert pending.status == SubmissionStatus.PENDING


def test_a_withdrawn_submission_cannot_be_decided(pending, moderator):
    item = claim(pending, moderator)
    services.submission_withdraw(submission=pending, actor=pending.user)
    with pytest.raises(QueueError):
        queue.review_item_decide(item=item, reviewer=moderator, decision="approve")


def test_cap_on_accounts_per_identity_is_enforced_at_approval(submit, moderator, decide, settings):
    assert settings.IDENTITY_MAX_ACCOUNTS == 1
    first, second = Level1UserFactory(), Level1UserFactory()
    decide(submit(first), moderator, "approve")
    late = submit(second)
    flags = {f["code"]: f for f in selectors.review_item_for(late).flags}
    assert flags["fingerprint_shared"]["users"] == [first.pk]
    assert flags["identity_cap_reached"]["users"] == [first.pk]
    item = claim(late, moderator)
    with pytest.raises(QueueError) as exc:
        queue.review_item_decide(item=item, reviewer=moderator, decision="approve")
    assert "already verified on 1 other account" in str(exc.value)
    late.refresh_from_db()
    second.refresh_from_db()
    item.refresh_from_db()
    assert late.status == SubmissionStatus.PENDING and second.level == Level.INDIRECT
    assert item.status == ItemStatus.CLAIMED and late.identity.status == IdentityStatus.PENDING
    # Rejecting stays possible.
    decide(late, moderator, "reject", "other")
    assert late.status == SubmissionStatus.REJECTED


def test_cap_counts_only_confirmed_identities_and_follows_the_setting(submit, moderator, decide, settings):
    first, second, third = Level1UserFactory(), Level1UserFactory(), Level1UserFactory()
    rejected = submit(first)
    decide(rejected, moderator, "reject", "unreadable")
    decide(submit(second, files=(fresh(), fresh())), moderator, "approve")
    settings.IDENTITY_MAX_ACCOUNTS = 2
    decide(submit(third, files=(fresh(), fresh())), moderator, "approve")
    third.refresh_from_db()
    assert third.level == Level.VERIFIED


def _render(item, reviewer):
    kind = registry.get("document")
    obj = item.target
    request = RequestFactory().get("/review/")
    request.user = reviewer
    context = {"item": item, "obj": obj, **kind.context(item=item, obj=obj, reviewer=reviewer)}
    return context, render_to_string(kind.template, context, request=request)


def test_review_page_body_without_the_claim(pending, moderator):
    item = selectors.review_item_for(pending)
    context, html = _render(item, moderator)
    assert context["can_see_images"] is False
    # The sandbox ID service ran when the submission reached the queue; the reviewer sees it as evidence.
    assert context["idcheck"].status == "not_found"
    assert "Supporting evidence only" in html
    assert all(image["url"] == "" for image in context["images"])
    assert "Claim this item to see the images." in html
    assert "/verify/review/" not in html
    # Without the claim the typed identity is masked too (the claim holder compares it with the images).
    assert "张三" not in html and resident_id() not in html and mask_document_number(resident_id()) in html
    assert "Resident identity card" in html


def test_review_page_body_with_the_claim_shows_images_flags_history_and_shared_accounts(submit, moderator, decide):
    owner, other = Level1UserFactory(), Level1UserFactory()
    earlier = submit(owner, files=(fresh(), fresh()))
    decide(earlier, moderator, "reject", "expired", note="card expired 2019")
    submit(other)
    current = submit(owner)
    reviewer = make_moderator()
    item = claim(current, reviewer)
    context, html = _render(item, reviewer)
    assert context["can_see_images"] is True
    for side in (1, 2):
        assert f"/verify/review/{current.pk}/image/{side}/" in html
    flag = next(f for f in context["flags"] if f["code"] == "fingerprint_shared")
    assert flag["users"] == [other.pk] and flag["display"]
    assert f'data-submission="{earlier.pk}"' in html and "Expired" in html and "card expired 2019" in html
    assert [i.user_id for i in context["shared_identities"]] == [other.pk]
    assert f'data-user="{other.pk}"' in html
    assert registry.get("document").flag_text({"code": "fingerprint_shared", "text": "x"}) != "x"


def test_review_page_body_costs_the_same_queries_with_1_and_4_other_accounts(pending, moderator, submit, decide):
    def add_rejected(n):
        for _ in range(n):
            decide(submit(Level1UserFactory(), files=(fresh(), fresh())), moderator, "reject", "other")

    add_rejected(1)
    item = claim(pending, moderator)

    def render():
        _context, html = _render(item, moderator)
        return html

    render()  # warm the per-process caches (content types)
    assert_constant_queries(render, lambda: add_rejected(3), at_most=12)
    assert render().count('data-user="') == 4, "every other account with this number is listed"


def test_review_page_body_for_a_deleted_submission(pending, moderator):
    item = selectors.review_item_for(pending)
    kind = registry.get("document")
    assert kind.context(item=item, obj=None, reviewer=moderator)["submission"] is None
    html = render_to_string(kind.template, {"item": item, "obj": None, "submission": None})
    assert "no longer exists" in html


def test_service_shortcuts_decide_through_the_queue(pending, moderator, submit):
    claim(pending, moderator)
    services.submission_request_resubmit(submission=pending, reviewer=moderator, reason_code="wrong_side")
    services.submission_request_resubmit(submission=pending, reviewer=moderator, reason_code="wrong_side")  # again
    assert pending.status == SubmissionStatus.RESUBMIT_REQUESTED
    item = selectors.review_item_latest_for(pending)
    assert item.status == ItemStatus.DECIDED and item.decision == "resubmit" and item.decided_by == moderator
    assert AuditEntry.objects.filter(action="document.resubmit").count() == 1
    again = submit(pending.user, files=(fresh(), fresh()))
    claim(again, moderator)
    services.submission_approve(submission=again, reviewer=moderator)
    assert again.status == SubmissionStatus.APPROVED


def test_idcheck_runs_once_per_identity_and_never_decides(pending, moderator):
    from idcheck.models import IdCheckQuery

    item = selectors.review_item_for(pending)
    assert IdCheckQuery.objects.filter(fingerprint=pending.identity.fingerprint).count() == 1
    # Evidence only: the submission still waits for a person.
    pending.refresh_from_db()
    assert pending.status == "pending"
    assert item.status in ("open", "claimed")
