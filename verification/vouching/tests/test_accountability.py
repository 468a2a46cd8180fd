"""A vouched identity proven false: level 1 again, strikes, the right to vouch lost, the vouchers' other cases re-checked."""

from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from accounts.models import IdentityStatus, Level, LevelSource, Notification, RealIdentity
from moderation import services as queue
from moderation.models import AuditEntry, ItemStatus, ReviewItem
from moderation.services import QueueError
from verification.conftest import make_moderator
from verification.vouching import accountability
from verification.vouching import services as vouch_services
from verification.vouching.models import VouchCaseStatus, VoucherStrike, VouchRequest
from verification.vouching.selectors import voucher_eligibility
from verification.vouching.tasks import vouch_cases_tick
from verification.vouching.tests.helpers import (
    befriend,
    circle,
    confirm,
    confirm_all,
    flag_codes,
    make_applicant,
    make_voucher,
    start_case,
    unique_id_number,
    vouch_item,
)

pytestmark = pytest.mark.django_db

NAME, NUMBER = "冒名者", "11010519491231002X"


def _grant(case):
    with time_machine.travel(case.challenge_ends_at + timedelta(seconds=1)):
        vouch_cases_tick()
    case.refresh_from_db()
    assert case.status == VouchCaseStatus.GRANTED
    return case


def _case_with(vouchers, *, extra: int = 0):
    """A new applicant, friends with `vouchers` (plus `extra` fresh ones), whose case the vouchers confirm."""
    applicant = make_applicant()
    for voucher in vouchers:
        befriend(applicant, voucher)
    helpers = [make_voucher(applicant) for _ in range(extra)]
    case = start_case(applicant, [*vouchers, *helpers])
    return case, [*vouchers, *helpers]


def _age_confirmations(case, days: int):
    VouchRequest.objects.filter(case=case, status="confirmed").update(decided_at=timezone.now() - timedelta(days=days))


@pytest.fixture
def world():
    """Case X (granted, to be found false) by a, b, c; and the other cases a, b and c confirmed."""
    applicant, (a, b, c) = circle()
    x = _grant(confirm_all(start_case(applicant, [a, b, c], name=NAME, number=NUMBER), [a, b, c]))

    y, y_vouchers = _case_with([a], extra=2)            # a's earlier vouch, granted 10 days ago
    _grant(confirm_all(y, y_vouchers))
    _age_confirmations(y, 10)
    w, w_vouchers = _case_with([c], extra=2)            # c's vouch of 200 days ago: outside the re-check
    _grant(confirm_all(w, w_vouchers))
    _age_confirmations(w, 200)
    u, u_vouchers = _case_with([], extra=3)             # nobody involved
    _grant(confirm_all(u, u_vouchers))
    # Last, so that no tick above grants it: b's vouch, still in its waiting period.
    z, z_vouchers = _case_with([b], extra=2)
    confirm_all(z, z_vouchers)
    assert z.status == VouchCaseStatus.CHALLENGE
    v, v_vouchers = _case_with([c], extra=2)            # c confirmed, the case is still collecting
    confirm(v, c)
    return {"x": x, "y": y, "z": z, "w": w, "v": v, "u": u, "vouchers": [a, b, c], "applicant": applicant}


def test_marking_false_cascades(world, django_capture_on_commit_callbacks):
    moderator = make_moderator()
    x = world["x"]
    accountability.vouch_identity_mark_false(case=x, moderator=moderator, note="The real person complained.")

    x.refresh_from_db()
    applicant = world["applicant"]
    applicant.refresh_from_db()
    assert x.status == VouchCaseStatus.FALSE_IDENTITY and x.decided_by == moderator
    assert applicant.level == Level.INDIRECT and applicant.level_source == LevelSource.PHONE
    assert RealIdentity.objects.get(pk=x.identity_id).status == IdentityStatus.REVOKED
    assert Notification.objects.filter(user=applicant, kind="vouch.false_identity").exists()

    # Each voucher: a strike, the right to vouch lost, told why.
    a, b, c = world["vouchers"]
    assert set(VoucherStrike.objects.filter(case=x).values_list("user_id", flat=True)) == {a.pk, b.pk, c.pk}
    for voucher in (a, b, c):
        assert Notification.objects.filter(user=voucher, kind="vouch.strike").exists()
        someone = make_applicant()
        befriend(someone, voucher)
        [row] = voucher_eligibility(someone)
        assert "right_lost" in row.codes

    # Their recent cases go back to the queue; older or unrelated ones do not.
    for key in ("y", "z", "w", "v", "u"):
        world[key].refresh_from_db()
    y_item = vouch_item(world["y"])
    assert world["y"].status == VouchCaseStatus.GRANTED and y_item.status == ItemStatus.OPEN
    recheck = next(f for f in y_item.flags if f["code"] == "recheck")
    assert recheck["users"] == [a.pk] and recheck["false_case"] == x.pk
    assert world["z"].status == VouchCaseStatus.REVIEW and "recheck" in flag_codes(vouch_item(world["z"]))
    assert world["w"].status == VouchCaseStatus.GRANTED
    assert world["v"].status == VouchCaseStatus.COLLECTING
    assert not ReviewItem.objects.filter(kind="vouch", object_id__in=[world[k].pk for k in ("w", "v", "u")]).exists()

    # Everything audited, with no name or number anywhere in the log.
    actions = list(AuditEntry.objects.values_list("action", flat=True))
    assert actions.count("vouch.strike") == 3 and actions.count("vouch.false_identity") == 1
    assert actions.count("vouch.recheck") == 2
    for entry in AuditEntry.objects.all():
        blob = f"{entry.reason} {entry.data}"
        assert NAME not in blob and NUMBER not in blob and "real person" not in blob


def test_a_collecting_case_of_a_struck_voucher_is_flagged_at_its_quorum(world):
    accountability.vouch_identity_mark_false(case=world["x"], moderator=make_moderator(), note="false")
    v = world["v"]
    others = [r.voucher for r in VouchRequest.objects.filter(case=v, status="pending").select_related("voucher")]
    confirm_all(v, others)
    assert v.status == VouchCaseStatus.REVIEW
    assert "voucher_struck" in flag_codes(vouch_item(v))


def test_the_struck_vouchers_pending_asks_can_no_longer_be_confirmed():
    applicant, vouchers = circle()
    x = _grant(confirm_all(start_case(applicant, vouchers), vouchers))
    pending, _all = _case_with([vouchers[0]], extra=2)
    accountability.vouch_identity_mark_false(case=x, moderator=make_moderator(), note="false")
    with pytest.raises(ValidationError):
        confirm(pending, vouchers[0])


def test_the_false_identity_can_come_back_neither_by_friends_nor_by_the_same_number(world):
    accountability.vouch_identity_mark_false(case=world["x"], moderator=make_moderator(), note="false")
    applicant = world["applicant"]
    applicant.refresh_from_db()
    assert "identity document instead" in vouch_services.vouch_refusal(user=applicant)
    # Someone else trying the same number is refused too.
    other, vouchers = circle()
    with pytest.raises(ValidationError) as exc:
        start_case(other, vouchers, number=NUMBER)
    assert "identity document instead" in str(exc.value)


def test_only_moderators_with_a_note_mark_an_identity_false(world):
    x = world["x"]
    with pytest.raises(PermissionDenied):
        accountability.vouch_identity_mark_false(case=x, moderator=world["vouchers"][0], note="no")
    with pytest.raises(ValidationError):
        accountability.vouch_identity_mark_false(case=x, moderator=make_moderator(), note="  ")
    x.refresh_from_db()
    assert x.status == VouchCaseStatus.GRANTED


def test_marking_false_twice_changes_nothing_more(world):
    moderator = make_moderator()
    accountability.vouch_identity_mark_false(case=world["x"], moderator=moderator, note="false")
    accountability.vouch_identity_mark_false(case=world["x"], moderator=moderator, note="false")
    assert AuditEntry.objects.filter(action="vouch.false_identity").count() == 1
    assert VoucherStrike.objects.count() == 3


def test_only_a_granted_case_can_be_marked_false():
    applicant, vouchers = circle()
    case = start_case(applicant, vouchers)
    with pytest.raises(QueueError):
        accountability.vouch_identity_mark_false(case=case, moderator=make_moderator(), note="false")


def test_a_moderator_may_not_judge_a_friend():
    applicant, vouchers = circle()
    x = _grant(confirm_all(start_case(applicant, vouchers), vouchers))
    moderator = make_moderator()
    befriend(moderator, applicant)
    with pytest.raises(QueueError):
        accountability.vouch_identity_mark_false(case=x, moderator=moderator, note="false")


def test_false_identity_through_the_queue_on_a_rechecked_case(world):
    moderator = make_moderator()
    accountability.vouch_identity_mark_false(case=world["x"], moderator=moderator, note="false")
    y = world["y"]
    item = queue.review_item_claim(item=vouch_item(y), reviewer=moderator)
    # A granted case offers only uphold or false identity; the latter needs a note.
    from moderation import registry

    codes = [o.code for o in registry.get("vouch").options(item=item, obj=y, reviewer=moderator)]
    assert codes == ["uphold", "false_identity"]
    with pytest.raises(QueueError):
        queue.review_item_decide(item=item, reviewer=moderator, decision="false_identity", note="")
    queue.review_item_decide(item=item, reviewer=moderator, decision="false_identity", note="also false")
    y.refresh_from_db()
    y.applicant.refresh_from_db()
    assert y.status == VouchCaseStatus.FALSE_IDENTITY and y.applicant.level == Level.INDIRECT
    assert vouch_item(y).status == ItemStatus.DECIDED


def test_uphold_through_the_queue_keeps_the_level(world):
    moderator = make_moderator()
    accountability.vouch_identity_mark_false(case=world["x"], moderator=moderator, note="false")
    y = world["y"]
    item = queue.review_item_claim(item=vouch_item(y), reviewer=moderator)
    queue.review_item_decide(item=item, reviewer=moderator, decision="uphold")
    y.refresh_from_db()
    y.applicant.refresh_from_db()
    assert y.status == VouchCaseStatus.GRANTED and y.applicant.level == Level.VERIFIED
    assert vouch_item(y).status == ItemStatus.DECIDED
    assert AuditEntry.objects.filter(action="vouch.uphold").count() == 1


def test_marking_false_outside_the_queue_withdraws_an_open_recheck_item(world):
    moderator = make_moderator()
    accountability.vouch_identity_mark_false(case=world["x"], moderator=moderator, note="false")
    y = world["y"]
    accountability.vouch_identity_mark_false(case=y, moderator=make_moderator(), note="false as well")
    assert vouch_item(y).status == ItemStatus.WITHDRAWN


def test_a_level_reached_by_document_since_is_kept():
    applicant, vouchers = circle()
    x = _grant(confirm_all(start_case(applicant, vouchers, number=unique_id_number()), vouchers))
    applicant.level_source = LevelSource.DOCUMENT
    applicant.save(update_fields=["level_source"])
    accountability.vouch_identity_mark_false(case=x, moderator=make_moderator(), note="false")
    applicant.refresh_from_db()
    assert applicant.level == Level.VERIFIED
    assert AuditEntry.objects.get(action="vouch.false_identity").data["level_lowered"] is False
