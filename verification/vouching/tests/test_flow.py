"""A vouch case from the ask to level 2: confirmations, the waiting period, expiry, withdrawal, the tick."""

from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from accounts.models import IdentityStatus, Level, LevelSource, Notification
from moderation.models import AuditEntry
from verification.vouching import services as vouch_services
from verification.vouching.models import VouchCase, VouchCaseStatus, VouchRequest, VouchRequestStatus, VouchTransitionError
from verification.vouching.tasks import vouch_cases_tick
from verification.vouching.tests.helpers import circle, confirm, confirm_all, make_voucher, request_of, start_case

pytestmark = pytest.mark.django_db

WINDOW = timedelta(hours=72)


def test_three_confirmations_start_the_window_and_the_tick_grants_after_it():
    applicant, vouchers = circle()
    case = start_case(applicant, vouchers, name="王小明")
    assert case.status == VouchCaseStatus.COLLECTING
    assert case.identity.status == IdentityStatus.PENDING
    # Each friend was told, with a link to the request.
    for voucher in vouchers:
        note = Notification.objects.get(user=voucher, kind="vouch.request")
        assert note.url == f"/verify/vouches/{request_of(case, voucher).pk}/"

    confirm(case, vouchers[0])
    confirm(case, vouchers[1])
    case.refresh_from_db()
    assert case.status == VouchCaseStatus.COLLECTING
    confirm(case, vouchers[2])
    case.refresh_from_db()
    assert case.status == VouchCaseStatus.CHALLENGE
    ends = case.challenge_ends_at
    assert ends - timezone.now() > WINDOW - timedelta(minutes=1)

    # Before the window ends the tick changes nothing.
    with time_machine.travel(ends - timedelta(minutes=1)):
        assert vouch_cases_tick() == {"expired_requests": 0, "due": 0, "granted": 0, "review": 0}
    case.refresh_from_db()
    assert case.status == VouchCaseStatus.CHALLENGE

    with time_machine.travel(ends + timedelta(minutes=1)):
        assert vouch_cases_tick()["granted"] == 1
        # A second run (beat fires again, or twice) grants nothing more.
        assert vouch_cases_tick()["granted"] == 0
    case.refresh_from_db()
    applicant.refresh_from_db()
    assert case.status == VouchCaseStatus.GRANTED
    assert applicant.level == Level.VERIFIED and applicant.level_source == LevelSource.VOUCH
    assert case.identity.__class__.objects.get(pk=case.identity_id).status == IdentityStatus.CONFIRMED
    assert Notification.objects.filter(user=applicant, kind="vouch.granted").count() == 1
    for voucher in vouchers:
        assert Notification.objects.filter(user=voucher, kind="vouch.granted_voucher").count() == 1
    assert AuditEntry.objects.filter(action="vouch.grant").count() == 1
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"vouch.case_create", "vouch.confirm", "vouch.challenge", "vouch.grant"} <= actions


def test_the_audit_log_never_holds_the_name_or_the_number():
    applicant, vouchers = circle()
    case = start_case(applicant, vouchers, name="王小明", number="11010519491231002X")
    confirm_all(case, vouchers)
    for entry in AuditEntry.objects.all():
        blob = f"{entry.reason} {entry.data}"
        assert "王小明" not in blob and "11010519491231002X" not in blob


def test_a_double_confirm_counts_once():
    applicant, vouchers = circle()
    case = start_case(applicant, vouchers)
    first = confirm(case, vouchers[0])
    second = confirm(case, vouchers[0])
    assert first.pk == second.pk
    assert VouchRequest.objects.filter(case=case, status=VouchRequestStatus.CONFIRMED).count() == 1
    assert AuditEntry.objects.filter(action="vouch.confirm").count() == 1


def test_only_the_friend_asked_may_answer():
    applicant, vouchers = circle()
    case = start_case(applicant, vouchers)
    intruder = make_voucher(applicant)
    with pytest.raises(PermissionDenied):
        vouch_services.vouch_request_confirm(vouch_request=request_of(case, vouchers[0]), actor=intruder,
                                             statement=True)
    with pytest.raises(PermissionDenied):
        vouch_services.vouch_request_decline(vouch_request=request_of(case, vouchers[0]), actor=intruder)


def test_the_statement_is_required():
    applicant, vouchers = circle()
    case = start_case(applicant, vouchers)
    with pytest.raises(ValidationError) as exc:
        vouch_services.vouch_request_confirm(vouch_request=request_of(case, vouchers[0]), actor=vouchers[0],
                                             statement=False)
    assert "statement" in exc.value.message_dict
    assert request_of(case, vouchers[0]).status == VouchRequestStatus.PENDING


def test_a_decline_that_leaves_too_few_ends_the_case():
    applicant, vouchers = circle()
    case = start_case(applicant, vouchers)
    confirm(case, vouchers[0])
    vouch_services.vouch_request_decline(vouch_request=request_of(case, vouchers[1]), actor=vouchers[1])
    # Double submit of the decline: nothing more happens.
    vouch_services.vouch_request_decline(vouch_request=request_of(case, vouchers[1]), actor=vouchers[1])
    case.refresh_from_db()
    assert case.status == VouchCaseStatus.INSUFFICIENT
    assert case.identity.status == IdentityStatus.REJECTED
    assert request_of(case, vouchers[2]).status == VouchRequestStatus.CANCELLED
    assert Notification.objects.filter(user=applicant, kind="vouch.insufficient").exists()
    # The closed request can no longer be confirmed.
    with pytest.raises(ValidationError):
        confirm(case, vouchers[2])


def test_a_decline_with_friends_to_spare_keeps_collecting():
    applicant, vouchers = circle(4)
    case = start_case(applicant, vouchers)
    vouch_services.vouch_request_decline(vouch_request=request_of(case, vouchers[0]), actor=vouchers[0])
    case.refresh_from_db()
    assert case.status == VouchCaseStatus.COLLECTING
    confirm_all(case, vouchers[1:])
    assert case.status == VouchCaseStatus.CHALLENGE


def test_requests_expire_and_a_case_that_cannot_finish_ends():
    applicant, vouchers = circle()
    case = start_case(applicant, vouchers)
    confirm(case, vouchers[0])
    with time_machine.travel(timezone.now() + timedelta(days=13, hours=23)):
        assert vouch_cases_tick()["expired_requests"] == 0
    with time_machine.travel(timezone.now() + timedelta(days=14, minutes=1)):
        # Too late to confirm, even before the tick has run.
        with pytest.raises(ValidationError):
            confirm(case, vouchers[1])
        result = vouch_cases_tick()
    assert result["expired_requests"] == 2
    case.refresh_from_db()
    assert case.status == VouchCaseStatus.EXPIRED
    statuses = sorted(VouchRequest.objects.filter(case=case).values_list("status", flat=True))
    assert statuses == ["confirmed", "expired", "expired"]
    assert case.identity.status == IdentityStatus.REJECTED


def test_pending_requests_of_a_case_in_its_window_expire_without_ending_it(settings):
    settings.VOUCH_CHALLENGE_HOURS = 20 * 24  # a window longer than a request lives
    applicant, vouchers = circle(4)
    case = start_case(applicant, vouchers)
    confirm_all(case, vouchers[:3])
    assert case.status == VouchCaseStatus.CHALLENGE
    with time_machine.travel(timezone.now() + timedelta(days=15)):
        assert vouch_cases_tick()["expired_requests"] == 1
    case.refresh_from_db()
    assert case.status == VouchCaseStatus.CHALLENGE
    assert request_of(case, vouchers[3]).status == VouchRequestStatus.EXPIRED


def test_the_remaining_request_is_cancelled_when_the_case_is_granted():
    applicant, vouchers = circle(4)
    case = start_case(applicant, vouchers)
    confirm_all(case, vouchers[:3])
    with time_machine.travel(case.challenge_ends_at + timedelta(seconds=1)):
        vouch_cases_tick()
    assert request_of(case, vouchers[3]).status == VouchRequestStatus.CANCELLED


def test_withdraw_closes_the_requests_and_is_idempotent():
    applicant, vouchers = circle()
    case = start_case(applicant, vouchers)
    confirm(case, vouchers[0])
    vouch_services.vouch_case_withdraw(case=case, actor=applicant)
    vouch_services.vouch_case_withdraw(case=case, actor=applicant)
    case.refresh_from_db()
    assert case.status == VouchCaseStatus.WITHDRAWN
    assert set(VouchRequest.objects.filter(case=case).values_list("status", flat=True)) == {"confirmed", "cancelled"}
    assert case.identity.status == IdentityStatus.REJECTED
    assert AuditEntry.objects.filter(action="vouch.withdraw").count() == 1
    with pytest.raises(PermissionDenied):
        vouch_services.vouch_case_withdraw(case=case, actor=vouchers[0])


def test_a_granted_case_cannot_be_withdrawn():
    applicant, vouchers = circle()
    case = confirm_all(start_case(applicant, vouchers), vouchers)
    with time_machine.travel(case.challenge_ends_at + timedelta(seconds=1)):
        vouch_cases_tick()
    with pytest.raises(ValidationError):
        vouch_services.vouch_case_withdraw(case=case, actor=applicant)


def test_withdraw_in_the_window_stops_the_grant():
    applicant, vouchers = circle()
    case = confirm_all(start_case(applicant, vouchers), vouchers)
    vouch_services.vouch_case_withdraw(case=case, actor=applicant)
    with time_machine.travel(case.challenge_ends_at + timedelta(seconds=1)):
        assert vouch_cases_tick()["granted"] == 0
    applicant.refresh_from_db()
    assert applicant.level == Level.INDIRECT


@pytest.mark.parametrize(("start", "to", "allowed"), [
    ("collecting", "challenge", True), ("collecting", "granted", False), ("challenge", "granted", True),
    ("challenge", "expired", False), ("review", "granted", True), ("review", "collecting", False),
    ("granted", "false_identity", True), ("granted", "withdrawn", False), ("expired", "collecting", False),
    ("withdrawn", "review", False), ("false_identity", "granted", False),
])
def test_the_case_state_machine_is_declared(start, to, allowed):
    case = VouchCase(status=start)
    assert case.can_transition(to) is allowed
    if not allowed:
        with pytest.raises(VouchTransitionError):
            case.transition(to=to)


@pytest.mark.parametrize("end", ["confirmed", "declined", "unknown", "expired", "cancelled"])
def test_the_request_state_machine_is_declared(end):
    request = VouchRequest(status="pending")
    request.transition(to=end)
    assert request.decided_at is not None
    for to in ("pending", "confirmed", "declined"):
        with pytest.raises(VouchTransitionError):
            request.transition(to=to)
