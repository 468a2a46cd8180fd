"""The demo submission that puts an item in the review queue for `make run`."""

import pytest
from stdnum.cn import ric

from accounts.tests.factories import Level1UserFactory
from verification.documents.demo import DEMO_ID_NUMBER, load_demo_verification
from verification.documents.models import DocumentSubmission, SubmissionStatus
from verification.documents.selectors import review_item_for

pytestmark = pytest.mark.django_db


def test_demo_submission_is_pending_in_the_queue_and_idempotent(django_capture_on_commit_callbacks):
    assert ric.is_valid(DEMO_ID_NUMBER)
    load_demo_verification()  # no demo user yet: nothing happens
    assert not DocumentSubmission.objects.exists()
    user = Level1UserFactory(email="level1@demo.local")
    with django_capture_on_commit_callbacks(execute=True):
        load_demo_verification()
        load_demo_verification()
    submission = DocumentSubmission.objects.get()
    assert submission.user == user and submission.status == SubmissionStatus.PENDING
    assert submission.identity.real_name == "李四" and submission.identity.document_number == DEMO_ID_NUMBER
    assert submission.images.count() == 2
    assert review_item_for(submission) is not None
