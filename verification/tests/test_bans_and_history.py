"""A deleted or closed identity signing up again: vouching refused, the document path with its history, bans."""

from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.utils import timezone

from accounts import deletion, policy
from accounts.models import DeletionRequest, IdentityStatus, Level, LevelSource, RealIdentity
from accounts.tests.factories import Level1UserFactory
from core.testing import assert_same_queries
from moderation import ladder, registry
from moderation import services as queue
from moderation.models import Rule, Rung, Strike
from moderation.services import QueueError
from verification.conftest import claim, item_of, make_moderator
from verification.documents import selectors
from verification.documents.models import SubmissionStatus
from verification.tests.utils import fresh
from verification.vouching import accountability as vouch_accountability
from verification.vouching import services as vouch_services
from verification.vouching.models import VouchCaseStatus
from verification.vouching.tasks import vouch_cases_tick
from verification.vouching.tests.helpers import circle, confirm_all, flag_codes, start_case, unique_id_number, vouch_item

pytestmark = pytest.mark.django_db


@pytest.fixture
def senior(db):
    user = make_moderator()
    user.groups.add(Group.objects.get_or_create(name="senior moderator")[0])
    return user


@pytest.fixture
def verified_by_document(submit, decide, moderator):
    """A level-2 account verified with the document number given (through the normal services)."""

    def _make(number):
        user = Level1UserFactory(language="en")
        submission = submit(user, number=number, files=(fresh(), fresh()))
        decide(submission, moderator, "approve")
        user.refresh_from_db()
        assert user.level == Level.VERIFIED
        return user

    return _make


def _erase(user):
    """Ask to delete `user` and run the erasure as if the cooling-off period had passed."""
    request = deletion.deletion_start(user=user)
    DeletionRequest.objects.filter(pk=request.pk).update(requested_at=timezone.now() - timedelta(days=61),
                                                         erase_after=timezone.now() - timedelta(days=1))
    assert deletion.deletion_erase(deletion_request_id=request.pk)
    return DeletionRequest.objects.get(pk=request.pk)


def _close(user, senior, ban_days):
    return ladder.penalty_apply(target_user=user, action=Rung.CLOSE, rule=Rule.LAWS, reason="Selling fake documents",
                                moderator=senior, ban_days=ban_days)


def _render(item, reviewer):
    kind = registry.get("document")
    obj = item.target
    request = RequestFactory().get("/review/")
    request.user = reviewer
    context = {"item": item, "obj": obj, **kind.context(item=item, obj=obj, reviewer=reviewer)}
    return context, render_to_string(kind.template, context, request=request)


def _vouch_attempt(number):
    applicant, vouchers = circle()
    return lambda: start_case(applicant, vouchers, number=number)


# --- A deleted identity comes back ---------------------------------------------------------

def test_an_erased_identity_cannot_come_back_through_friends(verified_by_document, moderator):
    number = unique_id_number()
    old = verified_by_document(number)
    old_identity = RealIdentity.objects.get(user=old, status=IdentityStatus.CONFIRMED)
    _erase(old)
    # The erasure revoked the identity and emptied it, but kept its keyed hash: that is what is matched.
    old_identity.refresh_from_db()
    assert old_identity.status == IdentityStatus.REVOKED and old_identity.document_number == ""
    assert selectors.identities_sharing_fingerprint(fingerprint=old_identity.fingerprint, exclude_user=None).exists()
    with pytest.raises(ValidationError) as refused:
        _vouch_attempt(number)()
    assert "cannot be confirmed by friends" in refused.value.message_dict["document_number"][0]


def test_an_identity_in_its_cooling_off_period_cannot_be_vouched_either(verified_by_document):
    number = unique_id_number()
    deletion.deletion_start(user=verified_by_document(number))
    with pytest.raises(ValidationError) as refused:
        _vouch_attempt(number)()
    assert "cannot be confirmed by friends" in refused.value.message_dict["document_number"][0]


def test_the_document_path_stays_open_and_the_reviewer_sees_the_history(verified_by_document, submit, decide,
                                                                        moderator, other_moderator):
    number = unique_id_number()
    old = verified_by_document(number)
    warning = ladder.penalty_apply(target_user=old, action=Rung.WARN, rule=Rule.COMMUNITY, reason="Spam",
                                   moderator=other_moderator)
    erased = _erase(old)

    newcomer = Level1UserFactory(language="en")
    submission = submit(newcomer, number=number, files=(fresh(), fresh()))
    assert submission.status == SubmissionStatus.PENDING
    item = item_of(submission)
    history_flag = next(f for f in item.flags if f["code"] == "identity_history")
    assert history_flag["users"] == [old.pk]

    context, html = _render(claim(submission, moderator), moderator)
    [past] = context["past_accounts"]
    assert past.user_id == old.pk and past.erased and past.closure is None
    assert [p.pk for p in past.penalties] == [warning.pk]
    assert [s.pk for s in past.strikes] == [Strike.objects.get(penalty=warning).pk]
    assert f'data-past-user="{old.pk}"' in html
    assert "This identity belonged to a deleted account" in html
    assert erased.erased_at.astimezone(timezone.get_current_timezone()).strftime("%Y-%m-%d") in html
    assert f"#{warning.pk} Warn" in html and f'data-strike="{past.strikes[0].pk}"' in html
    assert "Spam" not in html.split('class="card past-accounts"')[1].split("</section>")[0]  # ids and rungs only
    assert str(registry.get("document").flag_text(history_flag)) != ""

    # The erased account no longer holds the identity: the new one may be verified by document.
    decide(submission, moderator, "approve")
    newcomer.refresh_from_db()
    assert newcomer.level == Level.VERIFIED and newcomer.level_source == LevelSource.DOCUMENT


def test_the_history_costs_the_same_queries_for_2_and_4_past_accounts(verified_by_document, senior):
    def history(erased: int) -> str:
        """`erased` deleted accounts of one identity, each warned, then one more closed; its fingerprint."""
        number = unique_id_number()
        for last in [False] * erased + [True]:
            old = verified_by_document(number)
            ladder.penalty_apply(target_user=old, action=Rung.WARN, rule=Rule.COMMUNITY, reason="x", moderator=senior)
            if last:
                _close(old, senior, ban_days="forever")
            else:
                _erase(old)
        return RealIdentity.objects.filter(user=old).first().fingerprint

    small, large = history(1), history(3)

    def read(fingerprint, erased):
        rows = selectors.identity_past_accounts(fingerprint=fingerprint, exclude_user=None)
        assert [bool(r.erased) for r in rows] == [True] * erased + [False]
        assert rows[-1].closure.identity_bans.all() and all(len(r.strikes) == len(r.penalties) >= 1 for r in rows)

    assert_same_queries(lambda: read(small, 1), lambda: read(large, 3), at_most=5)


# --- A closed identity comes back, and identity bans ----------------------------------------

def test_a_closed_identity_banned_for_ever_is_refused_at_submission(verified_by_document, submit, senior):
    number = unique_id_number()
    _close(verified_by_document(number), senior, ban_days="forever")
    newcomer = Level1UserFactory(language="en")
    with pytest.raises(ValidationError) as refused:
        submit(newcomer, number=number, files=(fresh(), fresh()))
    [error] = refused.value.error_dict["document_number"]
    assert error.code == "identity_banned" and "may not be used for a new account" in error.message
    with pytest.raises(ValidationError) as refused:
        _vouch_attempt(number)()
    assert refused.value.error_dict["document_number"][0].code == "identity_banned"
    assert not RealIdentity.objects.filter(user=newcomer).exists()


def test_the_refusal_shows_on_the_upload_page(verified_by_document, senior, client):
    number = unique_id_number()
    _close(verified_by_document(number), senior, ban_days="forever")
    newcomer = Level1UserFactory(language="en")
    client.force_login(newcomer)
    response = client.post("/verify/document/", {"kind": "resident_id", "real_name": "张三", "document_number": number,
                                                 "side_1": fresh(), "side_2": fresh()})
    html = response.content.decode()
    # The reason beside the number, and what was typed kept.
    assert response.status_code == 200 and "may not be used for a new account" in html
    assert 'value="张三"' in html and f'value="{number}"' in html


def test_a_ban_for_some_days_ends_by_itself(verified_by_document, submit, decide, senior, moderator):
    number = unique_id_number()
    old = verified_by_document(number)
    closure = _close(old, senior, ban_days=30)
    newcomer = Level1UserFactory(language="en")
    with time_machine.travel(timezone.now() + timedelta(days=29)):
        with pytest.raises(ValidationError):
            submit(newcomer, number=number, files=(fresh(), fresh()))
    with time_machine.travel(timezone.now() + timedelta(days=31)):
        submission = submit(newcomer, number=number, files=(fresh(), fresh()))
        assert submission.status == SubmissionStatus.PENDING
        context, html = _render(claim(submission, moderator), moderator)
        [past] = context["past_accounts"]
        assert past.closure.pk == closure.pk and not past.erased
        assert "This identity belonged to a closed account" in html and f"penalty #{closure.pk}" in html
        # The closed account does not count towards the cap: the ban decided how long the identity waits.
        decide(submission, moderator, "approve")
    newcomer.refresh_from_db()
    assert newcomer.level == Level.VERIFIED


def test_a_ban_that_came_after_the_upload_refuses_the_approval(verified_by_document, submit, senior, moderator):
    number = unique_id_number()
    old = verified_by_document(number)
    newcomer = Level1UserFactory(language="en")
    # Uploaded while the old account was still open (the reviewer would see the cap flag), then it is closed.
    submission = submit(newcomer, number=number, files=(fresh(), fresh()))
    _close(old, senior, ban_days="forever")
    item = claim(submission, moderator)
    with pytest.raises(QueueError) as refused:
        queue.review_item_decide(item=item, reviewer=moderator, decision="approve", reason_code="", note="")
    assert "may not be approved" in str(refused.value) and "new account" in str(refused.value)
    submission.refresh_from_db()
    assert submission.status == SubmissionStatus.PENDING


def test_a_ban_stops_a_vouch_case_from_being_granted(moderator):
    # A ban that appears during the waiting period (here a throwaway identity check: the same hook as moderation's).
    applicant, vouchers = circle()
    case = confirm_all(start_case(applicant, vouchers), vouchers)
    assert case.status == VouchCaseStatus.CHALLENGE
    banned = case.identity.fingerprint

    def ban(fingerprint):
        return policy.Decision(False, reason="Banned for the test: may not be used for a new account.") \
            if fingerprint == banned else None

    policy.register_identity_check(ban)
    try:
        with time_machine.travel(case.challenge_ends_at + timedelta(seconds=1)):
            vouch_cases_tick()
        case.refresh_from_db()
        assert case.status == VouchCaseStatus.REVIEW and "identity_banned" in flag_codes(vouch_item(case))
        applicant.refresh_from_db()
        assert applicant.level == Level.INDIRECT
        with pytest.raises(QueueError) as refused:
            vouch_accountability.vouch_case_decide(case=case, reviewer=moderator, decision="approve",
                                                   note="Checked by phone.")
        assert "may not be approved" in str(refused.value)
        with pytest.raises(vouch_services.IdentityRefused):
            vouch_services.case_grant(vouch_services.lock_case(case), actor=moderator)
    finally:
        policy.unregister_identity_check(ban)
    # Without the ban the moderator may approve it.
    vouch_accountability.vouch_case_decide(case=case, reviewer=moderator, decision="approve",
                                           note="Checked by phone.")
    case.refresh_from_db()
    assert case.status == VouchCaseStatus.GRANTED
