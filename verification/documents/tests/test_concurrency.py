"""Races on a real PostgreSQL: each thread has its own connection, and they start at the same moment."""

import time

import pytest

from accounts.models import IdentityStatus, Level, RealIdentity
from accounts.tests.factories import Level1UserFactory
from core.testing import race
from moderation import services as queue
from moderation.models import ItemStatus
from moderation.services import QueueError
from verification.conftest import item_of, make_moderator
from verification.documents import services
from verification.documents.models import DocumentKind, DocumentSubmission, SubmissionStatus
from verification.tests.utils import fresh, resident_id

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]



def _submit(user, number=None):
    # Autocommit here: the image task runs (eagerly) as soon as the submission commits.
    submission = services.submission_create(user=user, kind=DocumentKind.objects.get(code="resident_id"),
                                            real_name="张三", document_number=number or resident_id(),
                                            uploads=[fresh(), fresh()])
    submission.refresh_from_db()
    assert submission.status == SubmissionStatus.PENDING
    return submission


def test_two_approvals_of_one_identity_at_once_respect_the_cap(monkeypatch):
    count = services.identity_cap_check

    def slow_count(**kwargs):
        # Widen the window between counting and confirming, where an unlocked check would let both through.
        result = count(**kwargs)
        time.sleep(0.3)
        return result

    monkeypatch.setattr(services, "identity_cap_check", slow_count)
    first, second = _submit(Level1UserFactory()), _submit(Level1UserFactory())
    reviewers = make_moderator(), make_moderator()
    items = [queue.review_item_claim(item=item_of(s), reviewer=r) for s, r in zip((first, second), reviewers, strict=True)]
    results = race(*[lambda i=i, r=r: queue.review_item_decide(item=i, reviewer=r, decision="approve")
                     for i, r in zip(items, reviewers, strict=True)])
    assert sum(isinstance(r, QueueError) for r in results) == 1, results
    statuses = sorted(DocumentSubmission.objects.values_list("status", flat=True))
    assert statuses == [SubmissionStatus.APPROVED, SubmissionStatus.PENDING]
    assert RealIdentity.objects.filter(status=IdentityStatus.CONFIRMED).count() == 1


def test_withdraw_racing_a_decision_ends_in_exactly_one_of_them():
    submission = _submit(Level1UserFactory())
    reviewer = make_moderator()
    item = queue.review_item_claim(item=item_of(submission), reviewer=reviewer)
    results = race(lambda: queue.review_item_decide(item=item, reviewer=reviewer, decision="approve"),
                   lambda: services.submission_withdraw(submission=submission, actor=submission.user))
    submission.refresh_from_db()
    item.refresh_from_db()
    assert submission.status in (SubmissionStatus.APPROVED, SubmissionStatus.WITHDRAWN)
    assert sum(isinstance(r, Exception) for r in results) == 1, results
    if submission.status == SubmissionStatus.APPROVED:
        submission.user.refresh_from_db()
        assert item.status == ItemStatus.DECIDED and submission.user.level == Level.VERIFIED
    else:
        assert item.status == ItemStatus.WITHDRAWN


def test_double_submit_makes_one_submission():
    user = Level1UserFactory()
    kind = DocumentKind.objects.get(code="resident_id")

    def once():
        return services.submission_create(user=user, kind=kind, real_name="张三", document_number=resident_id(),
                                          uploads=[fresh(), fresh()])

    results = race(once, once)
    assert sum(isinstance(r, DocumentSubmission) for r in results) == 1, results
    assert DocumentSubmission.objects.filter(user=user).count() == 1
    assert RealIdentity.objects.filter(user=user).count() == 1
