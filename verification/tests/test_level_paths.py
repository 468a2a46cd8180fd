"""Every way a level changes in verification goes through accounts.services.user_level_set (an audit entry each)."""

from datetime import timedelta

import pytest
import time_machine

from accounts.models import Level, LevelSource, User
from moderation.models import AuditEntry
from verification.conftest import make_moderator
from verification.vouching import accountability as vouch_accountability
from verification.vouching.models import VouchCaseStatus
from verification.vouching.tasks import vouch_cases_tick
from verification.vouching.tests.helpers import circle, confirm_all, start_case

pytestmark = pytest.mark.django_db


def _level_entries(user):
    return [(e.actor_id, e.data["from"], e.data["to"], e.data["source"])
            for e in AuditEntry.objects.filter(action="user.level_set", target_id=str(user.pk)).order_by("pk")]


def test_an_approved_document_raises_the_level(pending, moderator, decide):
    decide(pending, moderator, "approve")
    assert User.objects.get(pk=pending.user_id).level == Level.VERIFIED
    assert _level_entries(pending.user) == [(moderator.pk, 1, 2, "document")]


def test_a_granted_vouch_raises_the_level_and_a_false_identity_lowers_it():
    applicant, vouchers = circle()
    case = confirm_all(start_case(applicant, vouchers), vouchers)
    with time_machine.travel(case.challenge_ends_at + timedelta(seconds=1)):
        vouch_cases_tick()
    case.refresh_from_db()
    assert case.status == VouchCaseStatus.GRANTED
    assert User.objects.get(pk=applicant.pk).level == Level.VERIFIED
    moderator = make_moderator()
    vouch_accountability.vouch_identity_mark_false(case=case, moderator=moderator, note="The real person wrote in.")
    fresh = User.objects.get(pk=applicant.pk)
    assert (fresh.level, fresh.level_source) == (Level.INDIRECT, LevelSource.PHONE)
    assert _level_entries(applicant) == [(None, 1, 2, "vouch"), (moderator.pk, 2, 1, "phone")]
