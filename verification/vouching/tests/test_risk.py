"""Risk flags send a case to the review queue instead of the waiting period; moderators decide it there."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from accounts.models import IdentityStatus, Level, LevelSource, Notification, RealIdentity
from core.statemachine import seeding
from moderation import services as queue
from moderation.models import ItemStatus
from moderation.services import QueueError
from verification.conftest import make_moderator
from verification.vouching import services as vouch_services
from verification.vouching.models import VouchCaseStatus, VouchRequestStatus
from verification.vouching.selectors import vouch_ring_pairs
from verification.vouching.tasks import vouch_cases_tick
from verification.vouching.tests.helpers import (
    befriend,
    circle,
    confirm,
    confirm_all,
    flag_codes,
    make_applicant,
    make_voucher,
    request_of,
    start_case,
    vouch_item,
)

pytestmark = pytest.mark.django_db


def _granted(applicant, vouchers):
    """A case confirmed by `vouchers` for `applicant`, granted after its window."""
    case = confirm_all(start_case(applicant, vouchers), vouchers)
    with time_machine.travel(case.challenge_ends_at + timedelta(seconds=1)):
        vouch_cases_tick()
    case.refresh_from_db()
    return case


def _as_document_verified(user):
    # The vouched-for user later proved their identity with a document, so they may vouch themselves.
    user.level, user.level_source = Level.VERIFIED, LevelSource.DOCUMENT
    user.level_changed_at = timezone.now() - timedelta(days=40)
    user.save(update_fields=["level", "level_source", "level_changed_at"])


def test_a_clean_case_is_not_flagged():
    applicant, vouchers = circle()
    case = confirm_all(start_case(applicant, vouchers), vouchers)
    assert case.status == VouchCaseStatus.CHALLENGE
    assert vouch_services.vouch_risk_flags(case) == []


def test_vouchers_who_vouched_for_each_other_are_a_ring():
    applicant, vouchers = circle()
    a, b, c = vouchers
    # Earlier, a and c vouched for b (with a third friend), and b became verified.
    helper = make_voucher(b)
    befriend(b, a)
    befriend(b, c)
    b.level, b.level_source = Level.INDIRECT, LevelSource.PHONE
    b.save(update_fields=["level", "level_source"])
    earlier = _granted(b, [a, c, helper])
    assert earlier.status == VouchCaseStatus.GRANTED
    _as_document_verified(b)

    case = confirm_all(start_case(applicant, vouchers), vouchers)
    assert case.status == VouchCaseStatus.REVIEW
    item = vouch_item(case)
    assert flag_codes(item) == {"ring"}
    ring = next(f for f in item.flags if f["code"] == "ring")
    assert set(ring["users"]) == {a.pk, b.pk, c.pk}
    assert item.kind == "vouch" and item.subject == applicant and item.status == ItemStatus.OPEN
    assert Notification.objects.filter(user=applicant, kind="vouch.review").exists()


def test_the_applicant_who_vouched_for_a_voucher_is_a_ring():
    applicant, vouchers = circle()
    # Earlier the applicant (then verified by document) vouched for vouchers[0].
    pairs = vouch_ring_pairs(applicant_id=applicant.pk, voucher_ids=[v.pk for v in vouchers])
    assert pairs == []
    from verification.vouching.models import VouchCase, VouchRequest

    with seeding():  # written as they would be after the earlier case
        old = VouchCase.objects.create(applicant=vouchers[0], identity=RealIdentity.objects.create(
            user=vouchers[0], real_name="x", document_type="resident_id", document_number="x", fingerprint="f"),
            document_kind_id=_kind().pk, status=VouchCaseStatus.GRANTED)
        VouchRequest.objects.create(case=old, voucher=applicant, applicant=vouchers[0], status="confirmed",
                                    expires_at=timezone.now())
    assert vouch_ring_pairs(applicant_id=applicant.pk, voucher_ids=[v.pk for v in vouchers]) == [
        (applicant.pk, vouchers[0].pk)]


def _kind():
    from verification.documents.models import DocumentKind

    return DocumentKind.objects.get(code="resident_id")


def test_vouches_outside_the_set_and_for_the_applicant_are_not_a_ring():
    applicant, vouchers = circle()
    outsider = make_applicant()
    for voucher in vouchers:
        befriend(outsider, voucher)
    _granted(outsider, vouchers)  # the same vouchers vouched for someone else: not a ring
    assert vouch_ring_pairs(applicant_id=applicant.pk, voucher_ids=[v.pk for v in vouchers]) == []


@pytest.mark.parametrize("who", ["applicant", "voucher"])
def test_young_accounts_are_flagged(who):
    applicant = make_applicant(joined_days=5 if who == "applicant" else 60)
    vouchers = [make_voucher(applicant, joined_days=10 if who == "voucher" and i == 0 else 400) for i in range(3)]
    case = confirm_all(start_case(applicant, vouchers), vouchers)
    assert case.status == VouchCaseStatus.REVIEW
    flag = next(f for f in vouch_item(case).flags if f["code"] == "young_account")
    assert flag["users"] == [applicant.pk if who == "applicant" else vouchers[0].pk]


def test_the_same_address_is_flagged():
    applicant, vouchers = circle()
    case = start_case(applicant, vouchers, ip="203.0.113.7")
    confirm(case, vouchers[0], ip="203.0.113.7")
    confirm(case, vouchers[1], ip="198.51.100.1")
    confirm(case, vouchers[2], ip="198.51.100.2")
    case.refresh_from_db()
    flag = next(f for f in vouch_item(case).flags if f["code"] == "shared_ip")
    assert flag["users"] == sorted([applicant.pk, vouchers[0].pk])
    # Only keyed hashes are stored, never the address.
    assert "203.0.113.7" not in case.ip_fingerprint and len(case.ip_fingerprint) == 64


def test_the_same_device_is_flagged():
    applicant, vouchers = circle()
    case = start_case(applicant, vouchers, device_id="d" * 32)
    confirm(case, vouchers[0])
    confirm(case, vouchers[1], device_id="e" * 32)
    confirm(case, vouchers[2], device_id="e" * 32)
    case.refresh_from_db()
    assert flag_codes(vouch_item(case)) == {"shared_device"}
    flag = vouch_item(case).flags[0]
    assert flag["users"] == sorted([vouchers[1].pk, vouchers[2].pk])


def test_loopback_and_private_addresses_count_unless_told_to_ignore_them(settings):
    applicant, vouchers = circle()
    case = confirm_all(start_case(applicant, vouchers, ip="127.0.0.1"), [])
    for voucher in vouchers:
        confirm(case, voucher, ip="127.0.0.1")
    case.refresh_from_db()
    assert "shared_ip" in flag_codes(vouch_item(case))

    settings.VOUCH_IGNORE_PRIVATE_IPS = True
    applicant, vouchers = circle()
    case = start_case(applicant, vouchers, ip="127.0.0.1")
    for voucher, ip in zip(vouchers, ["127.0.0.1", "10.0.0.5", "192.168.1.9"], strict=True):
        confirm(case, voucher, ip=ip)
    case.refresh_from_db()
    assert case.status == VouchCaseStatus.CHALLENGE and case.ip_fingerprint == ""
    # Public addresses are still compared.
    assert vouch_services.ip_fingerprint("114.114.114.114") != ""


def test_i_dont_know_this_person_sends_the_case_to_the_queue_at_once():
    applicant, vouchers = circle(4)
    case = start_case(applicant, vouchers)
    confirm(case, vouchers[0])
    vouch_services.vouch_request_decline(vouch_request=request_of(case, vouchers[1]), actor=vouchers[1], unknown=True)
    case.refresh_from_db()
    assert case.status == VouchCaseStatus.REVIEW
    item = vouch_item(case)
    assert flag_codes(item) == {"unknown_person"}
    assert item.flags[0]["users"] == [vouchers[1].pk]
    # The other friends are no longer asked.
    assert {request_of(case, v).status for v in vouchers[2:]} == {VouchRequestStatus.CANCELLED}


def test_i_dont_know_this_person_during_the_window_stops_the_grant():
    applicant, vouchers = circle(4)
    case = confirm_all(start_case(applicant, vouchers), vouchers[:3])
    assert case.status == VouchCaseStatus.CHALLENGE
    vouch_services.vouch_request_decline(vouch_request=request_of(case, vouchers[3]), actor=vouchers[3], unknown=True)
    with time_machine.travel(timezone.now() + timedelta(days=4)):
        assert vouch_cases_tick()["granted"] == 0
    case.refresh_from_db()
    assert case.status == VouchCaseStatus.REVIEW and case.challenge_ends_at is None


def test_an_identity_closed_during_the_window_stops_the_grant():
    applicant, vouchers = circle()
    number = "11010519491231002X"
    case = confirm_all(start_case(applicant, vouchers, number=number), vouchers)
    other = make_applicant()
    with seeding():  # the other account's identity, revoked long ago
        RealIdentity.objects.create(user=other, real_name="x", document_type="resident_id", document_number=number,
                                    fingerprint=case.identity.fingerprint, status=IdentityStatus.REVOKED)
    with time_machine.travel(case.challenge_ends_at + timedelta(seconds=1)):
        vouch_cases_tick()
    case.refresh_from_db()
    assert case.status == VouchCaseStatus.REVIEW
    assert {"closed_identity", "fingerprint_shared"} <= flag_codes(vouch_item(case))


# --- Moderators decide ------------------------------------------------------------------

@pytest.fixture
def flagged(django_capture_on_commit_callbacks):
    applicant = make_applicant(joined_days=3)
    vouchers = [make_voucher(applicant) for _ in range(3)]
    case = confirm_all(start_case(applicant, vouchers), vouchers)
    assert case.status == VouchCaseStatus.REVIEW
    return case


def _decide(case, decision, note=""):
    moderator = make_moderator()
    item = queue.review_item_claim(item=vouch_item(case), reviewer=moderator)
    queue.review_item_decide(item=item, reviewer=moderator, decision=decision, note=note)
    case.refresh_from_db()
    case.applicant.refresh_from_db()
    return case


def test_the_moderator_approves(flagged):
    case = _decide(flagged, "approve", note="The young accounts are the applicant's family.")
    assert case.status == VouchCaseStatus.GRANTED and case.decided_by is not None
    assert case.applicant.level == Level.VERIFIED and case.applicant.level_source == LevelSource.VOUCH
    assert vouch_item(case).status == ItemStatus.DECIDED


def test_the_moderator_rejects(flagged):
    case = _decide(flagged, "reject")
    assert case.status == VouchCaseStatus.REJECTED
    assert case.applicant.level == Level.INDIRECT
    assert RealIdentity.objects.get(pk=case.identity_id).status == IdentityStatus.REJECTED


def test_the_moderator_asks_for_a_document(flagged):
    case = _decide(flagged, "document")
    assert case.status == VouchCaseStatus.DOCUMENT_REQUIRED
    note = Notification.objects.get(user=case.applicant, kind="vouch.document_required")
    assert note.url == "/verify/document/"
    # The applicant may now upload a document (the case is closed).
    assert vouch_services.vouch_refusal(user=case.applicant) == ""


def test_approve_is_not_offered_without_three_confirmations():
    from moderation import registry

    applicant, vouchers = circle(4)
    case = start_case(applicant, vouchers)
    confirm(case, vouchers[0])
    vouch_services.vouch_request_decline(vouch_request=request_of(case, vouchers[1]), actor=vouchers[1], unknown=True)
    moderator = make_moderator()
    item = queue.review_item_claim(item=vouch_item(case), reviewer=moderator)
    case.refresh_from_db()
    codes = [o.code for o in registry.get("vouch").options(item=item, obj=case, reviewer=moderator)]
    assert codes == ["reject", "document"]
    with pytest.raises(QueueError):
        queue.review_item_decide(item=item, reviewer=moderator, decision="approve")


def test_withdrawing_a_flagged_case_takes_it_out_of_the_queue(flagged):
    vouch_services.vouch_case_withdraw(case=flagged, actor=flagged.applicant)
    assert vouch_item(flagged).status == ItemStatus.WITHDRAWN
