"""A real identity follows its declared graph: only a pending claim is confirmed, never a revoked or rejected one."""

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse

from accounts import services as accounts_services
from accounts.models import IdentityStatus, Level, RealIdentity
from accounts.services import IdentityNotConfirmable, identity_confirm, identity_revoke
from accounts.tests.factories import Level1UserFactory
from conftest import mfa_login
from core.statemachine import TransitionNotAllowed
from moderation.models import ItemStatus
from verification.conftest import claim, item_of
from verification.documents.models import SubmissionStatus
from verification.vouching import services as vouch_services
from verification.vouching.models import VouchCaseStatus
from verification.vouching.tests.helpers import circle, confirm_all, start_case

pytestmark = pytest.mark.django_db


def _identity(user, status_path=()):
    identity = accounts_services.identity_store(user=user, real_name="张三", document_type="resident_id",
                                                document_number="11010519491231002X")
    for to in status_path:
        identity.transition(to=to)
        identity.save()
    return identity


def _status(identity) -> str:
    return RealIdentity.objects.get(pk=identity.pk).status


def test_a_pending_identity_is_confirmed_once(user):
    identity = _identity(user)
    confirmed = identity_confirm(identity=identity)
    assert confirmed.status == IdentityStatus.CONFIRMED and confirmed.confirmed_at
    again = identity_confirm(identity=identity)  # a double submit changes nothing
    assert again.confirmed_at == confirmed.confirmed_at


@pytest.mark.parametrize("path", [
    (IdentityStatus.REJECTED,),
    (IdentityStatus.REVOKED,),
    (IdentityStatus.CONFIRMED, IdentityStatus.REVOKED),
], ids=["rejected", "revoked-while-pending", "revoked-after-confirmation"])
def test_a_rejected_or_revoked_identity_is_never_confirmed(user, path):
    identity = _identity(user, path)
    with pytest.raises(IdentityNotConfirmable) as exc:
        identity_confirm(identity=identity)
    assert "cannot be confirmed" in str(exc.value)
    assert _status(identity) == path[-1]
    assert RealIdentity.objects.get(pk=identity.pk).confirmed_at is None or path[0] == IdentityStatus.CONFIRMED


def test_the_identity_graph_refuses_a_way_back(user):
    identity = _identity(user, (IdentityStatus.CONFIRMED, IdentityStatus.REVOKED))
    for back in (IdentityStatus.PENDING, IdentityStatus.CONFIRMED, IdentityStatus.REJECTED):
        fresh = RealIdentity.objects.get(pk=identity.pk)
        fresh.status = back
        with pytest.raises(TransitionNotAllowed):
            fresh.save()
    assert _status(identity) == IdentityStatus.REVOKED


def test_identity_revoke_leaves_rejected_claims_rejected(user):
    pending, confirmed, rejected = _identity(user), _identity(user, ("confirmed",)), _identity(user, ("rejected",))
    assert identity_revoke(identities=RealIdentity.objects.filter(user=user)) == 2
    assert [_status(i) for i in (pending, confirmed, rejected)] == ["revoked", "revoked", "rejected"]


def test_approving_a_document_whose_identity_was_revoked_is_refused_on_the_page(client, pending, moderator):
    identity_revoke(identities=RealIdentity.objects.filter(pk=pending.identity_id))
    item = claim(pending, moderator)
    mfa_login(client, moderator)
    response = client.post(reverse("moderation:decide", kwargs={"pk": item.pk}), {"decision": "approve", "note": ""})
    assert response.status_code == 409
    assert "This identity was rejected or revoked: it cannot be approved." in response.content.decode()
    pending.refresh_from_db()
    pending.user.refresh_from_db()
    item.refresh_from_db()
    assert pending.status == SubmissionStatus.PENDING and item.status == ItemStatus.CLAIMED
    assert pending.user.level == Level.INDIRECT and _status(pending.identity) == IdentityStatus.REVOKED
    # Rejecting it stays possible, and leaves the revoked identity revoked.
    response = client.post(reverse("moderation:decide", kwargs={"pk": item_of(pending).pk}),
                           {"decision": "reject", "reason_reject": "other", "note": ""})
    pending.refresh_from_db()
    assert pending.status == SubmissionStatus.REJECTED, response.content.decode()[:3000]
    assert _status(pending.identity) == IdentityStatus.REVOKED


def test_a_vouch_case_whose_identity_was_revoked_goes_to_review_instead_of_granting():
    applicant, vouchers = circle()
    case = confirm_all(start_case(applicant, vouchers), vouchers)
    assert case.status == VouchCaseStatus.CHALLENGE
    identity_revoke(identities=RealIdentity.objects.filter(pk=case.identity_id))
    with time_machine.travel(case.challenge_ends_at + timedelta(minutes=1)):
        assert vouch_services.vouch_case_grant_due(case_id=case.pk) == "review"
    case.refresh_from_db()
    applicant.refresh_from_db()
    assert case.status == VouchCaseStatus.REVIEW and applicant.level == Level.INDIRECT
    assert _status(case.identity) == IdentityStatus.REVOKED


@pytest.fixture
def user(db):
    return Level1UserFactory()
