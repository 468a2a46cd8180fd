"""Who may vouch and who may ask: each rule on its own, checked at the ask and again at the confirmation.

Penalties (rungs of the ladder) and deletions: test_vouch_eligibility_penalties.py, with real penalties.
"""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.models import IdentityStatus, Level, LevelSource, RealIdentity
from accounts.tests.factories import Level1UserFactory, UserFactory
from core.statemachine import seeding
from core.testing import assert_same_queries
from verification.vouching import services as vouch_services
from verification.vouching.models import VouchCaseStatus, VoucherStrike
from verification.vouching.selectors import voucher_eligibility
from verification.vouching.tests.helpers import (
    befriend,
    circle,
    confirm,
    confirm_all,
    make_applicant,
    make_voucher,
    request_of,
    start_case,
    unique_id_number,
)

pytestmark = pytest.mark.django_db


def _other_cases(voucher, n: int, *, confirmed: bool, days_ago: int = 1):
    """`n` cases of other applicants that asked `voucher` (and, if `confirmed`, that the voucher confirmed)."""
    for _ in range(n):
        applicant = make_applicant()
        befriend(applicant, voucher)
        others = [make_voucher(applicant) for _ in range(2)]
        case = start_case(applicant, [voucher, *others])
        if confirmed:
            request = confirm(case, voucher)
            request.decided_at = timezone.now() - timedelta(days=days_ago)
            request.save(update_fields=["decided_at"])
            # Closed cases do not hold a slot open; only the period counts them.
            case.status = VouchCaseStatus.WITHDRAWN
            case.save(update_fields=["status"])


# Each rule on its own: the voucher passes every other one.
RULES = [
    ("eligible", {}, []),
    ("level 1", {"level": Level.INDIRECT, "source": LevelSource.PHONE}, ["not_verified"]),
    ("verified by vouching", {"source": LevelSource.VOUCH}, ["not_document"]),
    ("verified 29 days ago", {"verified_days": 29}, ["verified_recently"]),
    ("verified exactly 30 days ago", {"verified_days": 30}, []),
    ("friends for 6 days", {"friend_days": 6}, ["friend_recently"]),
    ("friends for 7 days", {"friend_days": 7}, []),
]


@pytest.mark.parametrize(("label", "kwargs", "codes"), RULES, ids=[r[0] for r in RULES])
def test_each_rule_of_the_voucher(label, kwargs, codes):
    applicant = make_applicant()
    voucher = make_voucher(applicant, **kwargs)
    [row] = voucher_eligibility(applicant)
    assert row.user == voucher
    assert row.codes == codes
    assert row.eligible is (not codes)
    assert all(reason.text for reason in row.reasons)


@pytest.mark.parametrize(("label", "setup", "codes"), [
    ("two open asks", lambda v: _other_cases(v, 2, confirmed=False), ["no_vouches_left"]),
    ("one open ask", lambda v: _other_cases(v, 1, confirmed=False), []),
    ("five vouches in the period", lambda v: _other_cases(v, 5, confirmed=True), ["no_vouches_left"]),
    ("five vouches, one outside the period", lambda v: (_other_cases(v, 4, confirmed=True),
                                                        _other_cases(v, 1, confirmed=True, days_ago=91)), []),
    ("a strike in force", lambda v: VoucherStrike.objects.create(user=v, case=_case_for_strike(), reason="false_identity"),
     ["right_lost"]),
    ("a lifted strike", lambda v: VoucherStrike.objects.create(user=v, case=_case_for_strike(), reason="false_identity",
                                                               lifted_at=timezone.now()), []),
], ids=["two open asks", "one open ask", "five in the period", "one outside the period", "strike", "lifted strike"])
def test_each_limit_of_the_voucher(label, setup, codes):
    applicant = make_applicant()
    voucher = make_voucher(applicant)
    setup(voucher)
    [row] = voucher_eligibility(applicant)
    assert row.codes == codes


def _case_for_strike():
    applicant, vouchers = circle()
    return start_case(applicant, vouchers)


def test_only_active_friends_are_listed_eligible_first():
    applicant = make_applicant()
    good = make_voucher(applicant)
    young = make_voucher(applicant, friend_days=1)
    gone = make_voucher(applicant)
    gone.is_active = False
    gone.save(update_fields=["is_active"])
    make_voucher(None)  # not a friend
    rows = voucher_eligibility(applicant)
    assert [r.user for r in rows] == [good, young]


def test_the_selector_costs_the_same_queries_for_2_and_13_friends_penalised_or_not():
    from accounts import deletion
    from moderation import ladder
    from moderation.models import Rule, Rung

    senior = make_voucher(None)
    senior.groups.add(Group.objects.get_or_create(name="senior moderator")[0])

    def penalise(user, rung):
        ladder.penalty_apply(target_user=user, action=rung, rule=Rule.COMMUNITY, reason="Spam links",
                             duration_days=7 if rung in (Rung.RESTRICT, Rung.SUSPEND) else None, moderator=senior,
                             ban_days="forever" if rung == Rung.CLOSE else None)

    few = make_applicant()
    make_voucher(few)
    make_voucher(few, friend_days=1)
    many = make_applicant()
    for _ in range(6):
        make_voucher(many)
    for rung in (Rung.WARN, Rung.RESTRICT, Rung.SUSPEND, Rung.CLOSE):
        penalise(make_voucher(many), rung)
    deletion.deletion_start(user=make_voucher(many))
    make_voucher(many, level=Level.INDIRECT, source=LevelSource.PHONE)
    _other_cases(make_voucher(many), 2, confirmed=False)

    def read(applicant):
        rows = voucher_eligibility(applicant)
        return [(row.codes, [reason.text for reason in row.reasons]) for row in rows]

    # Friends with their counts, their pending deletions, their penalties.
    assert_same_queries(lambda: read(few), lambda: read(many), at_most=3)
    codes = [codes for codes, _texts in read(many)]
    assert len(codes) == 11 and ["penalty"] in codes and ["no_vouches_left"] in codes  # closed and deleting: hidden


# --- The applicant ----------------------------------------------------------------

def test_the_applicant_needs_level_1():
    applicant = UserFactory()
    vouchers = [make_voucher(applicant) for _ in range(3)]
    assert "level 1" in vouch_services.vouch_refusal(user=applicant)
    with pytest.raises(ValidationError):
        start_case(applicant, vouchers)


def test_a_verified_user_is_told_so(level2_user):
    assert "already verified" in vouch_services.vouch_refusal(user=level2_user)


def test_one_open_case_at_a_time():
    applicant, vouchers = circle(6)
    start_case(applicant, vouchers[:3])
    assert "in progress" in vouch_services.vouch_refusal(user=applicant)
    with pytest.raises(ValidationError):
        start_case(applicant, vouchers[3:])


def test_at_most_three_cases_in_the_period():
    import time_machine

    applicant, vouchers = circle(3)
    for _ in range(3):
        case = start_case(applicant, vouchers)
        vouch_services.vouch_case_withdraw(case=case, actor=applicant)
    refusal = vouch_services.vouch_refusal(user=applicant)
    assert "3 times in the last 90 days" in refusal
    with pytest.raises(ValidationError):
        start_case(applicant, vouchers)
    with time_machine.travel(timezone.now() + timedelta(days=91)):
        # Friendships and verifications aged too, so everyone may still vouch.
        assert vouch_services.vouch_refusal(user=applicant) == ""


def test_at_least_three_and_at_most_six_friends():
    applicant, vouchers = circle(7)
    with pytest.raises(ValidationError) as exc:
        start_case(applicant, vouchers[:2])
    assert "vouchers" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        start_case(applicant, vouchers)
    assert "at most 6" in str(exc.value)


def test_the_service_refuses_an_ineligible_or_unknown_voucher():
    applicant, vouchers = circle(2)
    recent = make_voucher(applicant, friend_days=2)
    with pytest.raises(ValidationError) as exc:
        start_case(applicant, [*vouchers, recent])
    assert "Friends for less than 7 days" in str(exc.value)
    stranger = make_voucher(None)
    with pytest.raises(ValidationError) as exc:
        start_case(applicant, [*vouchers, stranger])
    assert "not your friend" in str(exc.value)
    assert not RealIdentity.objects.filter(user=applicant).exists()


def test_the_number_is_validated_with_stdnum():
    applicant, vouchers = circle()
    with pytest.raises(ValidationError) as exc:
        start_case(applicant, vouchers, number="110105199003071234")
    assert "check digit" in " ".join(exc.value.message_dict["document_number"])


@pytest.mark.parametrize("how", ["revoked", "inactive account"])
def test_a_closed_or_false_identity_must_use_a_document(how):
    number = unique_id_number()
    other = Level1UserFactory()
    with seeding():  # an identity confirmed earlier
        identity = RealIdentity.objects.create(user=other, real_name="张三", document_type="resident_id",
                                               document_number=number, fingerprint=_fp(number),
                                               status=IdentityStatus.CONFIRMED)
    if how == "revoked":
        identity.status = IdentityStatus.REVOKED
        identity.save(update_fields=["status"])
    else:
        other.is_active = False
        other.save(update_fields=["is_active"])
    applicant, vouchers = circle()
    with pytest.raises(ValidationError) as exc:
        start_case(applicant, vouchers, number=number)
    assert "identity document instead" in str(exc.value)


def _fp(number):
    from accounts.services import identity_fingerprint

    return identity_fingerprint(document_type="resident_id", normalised_number=number)


# --- Checked again at the confirmation --------------------------------------------------

def test_a_strike_after_the_ask_refuses_the_confirmation():
    applicant, vouchers = circle()
    case = start_case(applicant, vouchers)
    VoucherStrike.objects.create(user=vouchers[0], case=_case_for_strike(), reason="false_identity")
    with pytest.raises(ValidationError) as exc:
        confirm(case, vouchers[0])
    assert "lost the right to vouch" in str(exc.value)
    assert request_of(case, vouchers[0]).status == "pending"


def test_an_unfriending_after_the_ask_refuses_the_confirmation():
    from social.models import Friendship

    applicant, vouchers = circle()
    case = start_case(applicant, vouchers)
    low, high = Friendship.ordered(applicant.pk, vouchers[1].pk)
    Friendship.objects.filter(user_low_id=low, user_high_id=high).delete()
    with pytest.raises(ValidationError) as exc:
        confirm(case, vouchers[1])
    assert "not friends" in str(exc.value)


def test_the_case_being_confirmed_does_not_count_against_its_voucher():
    # A voucher asked by two applicants (their two open slots) may still confirm both.
    voucher = make_voucher(None)
    cases = []
    for _ in range(2):
        applicant = make_applicant()
        befriend(applicant, voucher)
        cases.append((start_case(applicant, [voucher, make_voucher(applicant), make_voucher(applicant)]), applicant))
    for case, _applicant in cases:
        confirm(case, voucher)
    # ... but nobody may ask them a third time while both are open.
    third = make_applicant()
    befriend(third, voucher)
    [row] = voucher_eligibility(third)
    assert row.codes == ["no_vouches_left"]
    # Once one case ends, a slot is free again.
    case, applicant = cases[0]
    vouch_services.vouch_case_withdraw(case=case, actor=applicant)
    [row] = voucher_eligibility(third)
    assert row.eligible


def test_the_cap_of_accounts_per_identity_holds_at_granting():
    from verification.vouching import accountability

    number = unique_id_number()
    holder = Level1UserFactory()
    with seeding():  # an identity confirmed earlier
        RealIdentity.objects.create(user=holder, real_name="张三", document_type="resident_id",
                                    document_number=number, fingerprint=_fp(number), status=IdentityStatus.CONFIRMED)
    applicant, vouchers = circle()
    case = confirm_all(start_case(applicant, vouchers, number=number), vouchers)
    # The shared number is a risk flag: the case goes to a moderator, who cannot approve it.
    assert case.status == VouchCaseStatus.REVIEW
    from moderation.services import QueueError

    with pytest.raises(QueueError, match="most accounts allowed"):
        accountability.vouch_case_decide(case=case, reviewer=holder, decision=accountability.APPROVE,
                                         note="Approving despite the flags.")
    applicant.refresh_from_db()
    assert applicant.level == Level.INDIRECT
