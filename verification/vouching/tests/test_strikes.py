"""A voucher's strike is a warning on the enforcement ladder; an upheld appeal of it restores the right to vouch."""

from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.core import mail

from accounts.models import Notification
from moderation import appeals, ladder, selectors
from moderation.models import AppealStatus, AuditEntry, Penalty, PenaltyStatus, Rule, Rung, Strike
from moderation.services import QueueError
from social.models import Friendship
from verification.conftest import make_moderator
from verification.vouching import accountability
from verification.vouching.models import VouchCaseStatus, VoucherStrike
from verification.vouching.selectors import vouch_right_lost, voucher_eligibility
from verification.vouching.tasks import vouch_cases_tick
from verification.vouching.tests.helpers import befriend, circle, confirm_all, make_applicant, start_case

pytestmark = pytest.mark.django_db


@pytest.fixture
def false_case():
    """A granted vouch case by three friends, then marked false by a moderator."""
    applicant, vouchers = circle()
    case = confirm_all(start_case(applicant, vouchers), vouchers)
    with time_machine.travel(case.challenge_ends_at + timedelta(seconds=1)):
        vouch_cases_tick()
    case.refresh_from_db()
    assert case.status == VouchCaseStatus.GRANTED
    moderator = make_moderator()
    mail.outbox.clear()
    accountability.vouch_identity_mark_false(case=case, moderator=moderator, note="The real person complained.")
    return {"case": case, "vouchers": vouchers, "moderator": moderator}


def _can_vouch(voucher) -> bool:
    someone = make_applicant()
    befriend(someone, voucher)
    [row] = voucher_eligibility(someone)
    return "right_lost" not in row.codes


def test_each_voucher_gets_a_warning_on_the_ladder_linked_to_the_strike(false_case, django_capture_on_commit_callbacks):
    case, moderator = false_case["case"], false_case["moderator"]
    for voucher in false_case["vouchers"]:
        penalty = Penalty.objects.get(user=voucher)
        assert penalty.action == Rung.WARN and penalty.rule == Rule.AUTHENTICITY and penalty.moderator == moderator
        assert f"vouch case #{case.pk}" in penalty.reason
        assert Strike.objects.get(penalty=penalty).user == voucher
        strike = VoucherStrike.objects.get(user=voucher, case=case)
        assert strike.moderation_ref == f"penalty:{penalty.pk}" and strike.lifted_at is None
        assert vouch_right_lost(voucher) and not _can_vouch(voucher)
        # The strike counts on the ladder: the next suggested rung is above a warning.
        assert selectors.suggested_rung(voucher) == Rung.RESTRICT
        # Told once by email (the warning, with how to appeal); the vouching notice stays in the app.
        assert Notification.objects.get(user=voucher, kind="penalty.warn").email
        assert not Notification.objects.get(user=voucher, kind="vouch.strike").email
    entry = AuditEntry.objects.filter(action="penalty.warn").first()
    assert entry.data["vouch_case"] == case.pk
    assert {e.data["penalty"] for e in AuditEntry.objects.filter(action="vouch.strike")} == set(
        Penalty.objects.filter(user__in=false_case["vouchers"]).values_list("pk", flat=True))


def test_an_upheld_appeal_lifts_the_strike_and_restores_the_right_to_vouch(false_case):
    voucher, other = false_case["vouchers"][0], false_case["vouchers"][1]
    penalty = Penalty.objects.get(user=voucher)
    appeal = appeals.appeal_create(penalty=penalty, appellant=voucher, statement="I knew her real name; I was lied to.")
    judge = make_moderator()
    appeals.appeal_decide(appeal=appeal, reviewer=judge, uphold=True, reply="Your vouch was in good faith.")

    penalty.refresh_from_db()
    assert penalty.status == PenaltyStatus.OVERTURNED
    strike = VoucherStrike.objects.get(user=voucher, case=false_case["case"])
    assert strike.lifted_at is not None
    assert not vouch_right_lost(voucher) and _can_vouch(voucher)
    assert AuditEntry.objects.filter(action="vouch.strike_lift", target_id=str(strike.pk)).exists()
    # The other vouchers' strikes are theirs: untouched.
    assert vouch_right_lost(other)
    assert VoucherStrike.objects.filter(lifted_at__isnull=True).count() == 2


def test_a_denied_appeal_keeps_the_strike(false_case):
    voucher = false_case["vouchers"][0]
    penalty = Penalty.objects.get(user=voucher)
    appeal = appeals.appeal_create(penalty=penalty, appellant=voucher, statement="Not my fault.")
    appeal = appeals.appeal_decide(appeal=appeal, reviewer=make_moderator(), uphold=False,
                                   reply="You confirmed a false name.")
    assert appeal.status == AppealStatus.DENIED
    assert vouch_right_lost(voucher)


def test_overturning_an_unrelated_penalty_lifts_nothing(false_case):
    voucher = false_case["vouchers"][0]
    other = ladder.penalty_apply(target_user=voucher, action=Rung.WARN, rule=Rule.COMMUNITY, reason="Spam",
                                 moderator=false_case["moderator"])
    ladder.penalty_overturn(penalty=other, actor=make_moderator())
    assert vouch_right_lost(voucher)


def test_marking_false_twice_gives_one_warning_each(false_case):
    accountability.vouch_identity_mark_false(case=false_case["case"], moderator=false_case["moderator"], note="again")
    for voucher in false_case["vouchers"]:
        assert Penalty.objects.filter(user=voucher).count() == 1


def test_a_moderator_who_vouched_in_the_case_may_not_mark_it_false():
    applicant, vouchers = circle()
    case = confirm_all(start_case(applicant, vouchers), vouchers)
    with time_machine.travel(case.challenge_ends_at + timedelta(seconds=1)):
        vouch_cases_tick()
    case.refresh_from_db()
    insider = vouchers[0]
    insider.groups.add(Group.objects.get_or_create(name="moderator")[0])
    Friendship.objects.filter(user_low_id=min(insider.pk, applicant.pk), user_high_id=max(insider.pk, applicant.pk)) \
        .delete()  # unfriended since: the conflict check alone would let them through
    with pytest.raises(QueueError):
        accountability.vouch_identity_mark_false(case=case, moderator=insider, note="false")
    case.refresh_from_db()
    assert case.status == VouchCaseStatus.GRANTED and not Penalty.objects.exists()
