"""Races on a real PostgreSQL: confirmations arriving together enter the window (or the queue) exactly once,
and ticks running together grant exactly once."""

from datetime import timedelta

import pytest
import time_machine

from accounts.models import Level, Notification
from core.testing import race
from moderation.models import AuditEntry, ReviewItem
from verification.vouching import services as vouch_services
from verification.vouching.models import VouchCaseStatus, VouchRequest
from verification.vouching.tests.helpers import circle, confirm, confirm_all, request_of, start_case

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _confirm(case, voucher):
    return lambda: confirm(case, voucher)


@pytest.mark.parametrize("friends", [3, 5])
def test_confirmations_at_the_same_moment_enter_the_window_once(friends):
    applicant, vouchers = circle(friends)
    case = start_case(applicant, vouchers)
    results = race(*[_confirm(case, v) for v in vouchers])
    assert not [r for r in results if isinstance(r, Exception)], results
    case.refresh_from_db()
    assert case.status == VouchCaseStatus.CHALLENGE
    assert AuditEntry.objects.filter(action="vouch.challenge").count() == 1
    assert Notification.objects.filter(user=applicant, kind="vouch.challenge").count() == 1
    assert VouchRequest.objects.filter(case=case, status="confirmed").count() == friends


def test_flagged_confirmations_at_the_same_moment_open_one_item():
    applicant, vouchers = circle(3, joined_days=2)
    case = start_case(applicant, vouchers)
    results = race(*[_confirm(case, v) for v in vouchers])
    assert not [r for r in results if isinstance(r, Exception)], results
    case.refresh_from_db()
    assert case.status == VouchCaseStatus.REVIEW
    assert ReviewItem.objects.filter(kind="vouch", object_id=case.pk).count() == 1
    assert AuditEntry.objects.filter(action="vouch.flagged").count() == 1


def test_a_double_confirm_at_the_same_moment_counts_once():
    applicant, vouchers = circle()
    case = start_case(applicant, vouchers)
    results = race(_confirm(case, vouchers[0]), _confirm(case, vouchers[0]))
    assert not [r for r in results if isinstance(r, Exception)], results
    assert request_of(case, vouchers[0]).status == "confirmed"
    assert AuditEntry.objects.filter(action="vouch.confirm").count() == 1


def test_two_ticks_at_the_same_moment_grant_once():
    applicant, vouchers = circle()
    case = confirm_all(start_case(applicant, vouchers), vouchers)
    with time_machine.travel(case.challenge_ends_at + timedelta(seconds=5), tick=False):
        results = race(vouch_services.vouch_cases_tick, vouch_services.vouch_cases_tick,
                       vouch_services.vouch_cases_tick)
    assert not [r for r in results if isinstance(r, Exception)], results
    assert sum(r["granted"] for r in results) == 1
    case.refresh_from_db()
    applicant.refresh_from_db()
    assert case.status == VouchCaseStatus.GRANTED and applicant.level == Level.VERIFIED
    assert AuditEntry.objects.filter(action="vouch.grant").count() == 1
    assert Notification.objects.filter(user=applicant, kind="vouch.granted").count() == 1


def test_withdraw_racing_the_third_confirmation_ends_in_one_order_or_the_other():
    from django.core.exceptions import ValidationError

    applicant, vouchers = circle()
    case = start_case(applicant, vouchers)
    confirm(case, vouchers[0])
    confirm(case, vouchers[1])
    results = race(_confirm(case, vouchers[2]),
                   lambda: vouch_services.vouch_case_withdraw(case=case, actor=applicant))
    case.refresh_from_db()
    # Withdrawing is allowed from the waiting period too, so the case always ends withdrawn...
    assert case.status == VouchCaseStatus.WITHDRAWN and not isinstance(results[1], Exception), results
    last = request_of(case, vouchers[2])
    if last.status == "confirmed":
        # ... after the confirmation started the window,
        assert AuditEntry.objects.filter(action="vouch.challenge").count() == 1
    else:
        # ... or before it, and the confirmation found its request closed.
        assert last.status == "cancelled" and isinstance(results[0], ValidationError), results
        assert not AuditEntry.objects.filter(action="vouch.challenge").exists()
