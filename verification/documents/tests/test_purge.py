"""Retention: image files are deleted DOCUMENT_PURGE_DAYS after a decision; the decision and hashes stay."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.models import IdentityStatus
from accounts.tests.factories import Level1UserFactory
from verification.documents import images, services, tasks
from verification.documents.models import DocumentImage, SubmissionStatus
from verification.tests.utils import BACK, FRONT, fresh, private_files, resident_id, upload

pytestmark = pytest.mark.django_db


def _files(submission) -> set[str]:
    return {n for i in submission.images.all() for n in i.file_names}


def test_purge_after_the_retention_period_keeps_the_record(submit, moderator, decide, settings, time_machine,
                                                           django_capture_on_commit_callbacks):
    assert settings.DOCUMENT_PURGE_DAYS == 30
    time_machine.move_to(timezone.now(), tick=False)
    approved = submit(Level1UserFactory())
    rejected = submit(Level1UserFactory(), files=(fresh(), fresh()), number=resident_id(seq="456"))
    waiting = submit(Level1UserFactory(), files=(fresh(), fresh()), number=resident_id(seq="789"))
    decide(approved, moderator, "approve", note="ok")
    decide(rejected, moderator, "reject", "forgery")
    files = _files(approved) | _files(rejected)
    waiting_files = _files(waiting)
    hashes = set(DocumentImage.objects.filter(submission=rejected).values_list("sha256", flat=True))
    fingerprint = approved.identity.fingerprint

    time_machine.shift(timedelta(days=29, hours=23))
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.purge_decided_documents() == 0
    assert files <= private_files()

    time_machine.shift(timedelta(hours=2))
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.purge_decided_documents.delay().get() == 4
    remaining = private_files()
    assert not files & remaining
    assert waiting_files <= remaining, "a submission waiting for review is never purged"
    for submission in (approved, rejected):
        submission.refresh_from_db()
        for image in submission.images.all():
            assert image.purged_at and not image.image and not image.thumbnail and not image.raw
            assert len(image.sha256) == 64
    assert approved.status == SubmissionStatus.APPROVED and approved.decided_by == moderator and approved.note == "ok"
    assert rejected.reason_code == "forgery" and rejected.decided_at
    approved.identity.refresh_from_db()
    assert approved.identity.fingerprint == fingerprint and approved.identity.status == IdentityStatus.CONFIRMED
    assert set(DocumentImage.objects.filter(submission=rejected).values_list("sha256", flat=True)) == hashes

    # Idempotent: a second run finds nothing.
    with django_capture_on_commit_callbacks(execute=True):
        assert images.documents_purge_decided() == 0


def test_a_rejected_image_is_still_refused_after_the_purge(pending, moderator, decide, time_machine, settings,
                                                           django_capture_on_commit_callbacks):
    time_machine.move_to(timezone.now(), tick=False)
    decide(pending, moderator, "reject", "unreadable")
    time_machine.shift(timedelta(days=settings.DOCUMENT_PURGE_DAYS + 1))
    with django_capture_on_commit_callbacks(execute=True):
        images.documents_purge_decided()
    with pytest.raises(ValidationError) as exc:
        services.submission_create(user=Level1UserFactory(), kind=pending.kind, real_name="李四",
                                   document_number=resident_id(), uploads=[upload(FRONT), upload(BACK)])
    assert set(exc.value.message_dict) == {"side_1", "side_2"}


def test_purge_works_in_batches(submit, moderator, decide, time_machine, django_capture_on_commit_callbacks):
    time_machine.move_to(timezone.now(), tick=False)
    for seq in ("111", "222"):
        decide(submit(Level1UserFactory(), files=(fresh(), fresh()), number=resident_id(seq=seq)), moderator, "approve")
    time_machine.shift(timedelta(days=31))
    with django_capture_on_commit_callbacks(execute=True):
        assert images.documents_purge_decided(batch_size=3) == 4
    assert not DocumentImage.objects.filter(purged_at__isnull=True).exists()
