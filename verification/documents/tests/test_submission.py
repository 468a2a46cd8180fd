"""Submitting a document through the service, the image task, and the limits on attempts."""

import io
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection
from django.utils import timezone
from PIL import Image, ImageOps

from accounts.models import IdentityStatus, Notification, RealIdentity
from accounts.policy import PolicyDenied
from accounts.services import identity_fingerprint
from accounts.tests.factories import Level1UserFactory, UserFactory
from moderation.models import AuditEntry, ItemStatus, ReviewItem
from verification.documents import selectors, services, tasks
from verification.documents.models import DocumentImage, DocumentKind, DocumentSubmission, InvalidTransition, SubmissionStatus
from verification.tests.utils import BACK, FRONT, UPLOADS, private_files, resident_id, upload

pytestmark = pytest.mark.django_db


def resident():
    return DocumentKind.objects.get(code="resident_id")


def create(user, *, number=None, files=(FRONT, BACK), kind=None, name="张三"):
    return services.submission_create(user=user, kind=kind or resident(), real_name=name,
                                      document_number=number or resident_id(), uploads=[upload(f) for f in files])


def test_submission_is_stored_processing_and_the_task_runs_after_commit(level1_user, django_capture_on_commit_callbacks):
    before = private_files()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        submission = create(level1_user)
    assert submission.status == SubmissionStatus.PROCESSING
    raw = {image.raw.name for image in submission.images.all()}
    assert raw == private_files() - before
    assert all(name.startswith("documents/raw/") and name.endswith(".bin") for name in raw)
    assert not ReviewItem.objects.exists()
    assert len(callbacks) == 1  # the image task, enqueued on commit

    with django_capture_on_commit_callbacks(execute=True):
        callbacks[0]()
    submission.refresh_from_db()
    assert submission.status == SubmissionStatus.PENDING and submission.processed_at
    assert not raw & private_files(), "raw uploads are deleted once processed"


def test_processed_images_are_clean_upright_and_private(pending):
    images = {image.side: image for image in pending.images.all()}
    assert set(images) == {1, 2}
    for image in images.values():
        assert not image.raw and image.processed_at and image.purged_at is None
        assert image.image.name.startswith("documents/clean/") and image.thumbnail.name.startswith("documents/clean/")
        assert image.image.url.startswith("/no-public-url/")
        assert {image.image.name, image.thumbnail.name} <= private_files()
        with image.image.open("rb") as fh:
            data = fh.read()
        stored = Image.open(io.BytesIO(data))
        assert len(stored.getexif()) == 0 and "exif" not in stored.info
        assert b"SecretCam" not in data and b"SERIAL-0042-XYZ" not in data
        assert (stored.width, stored.height) == (image.width, image.height)
    original = Image.open(UPLOADS / FRONT)
    upright = ImageOps.exif_transpose(original)
    assert (images[1].width, images[1].height) == upright.size != original.size


def test_identity_is_stored_encrypted_and_fingerprinted(pending):
    identity = pending.identity
    assert identity.user_id == pending.user_id and identity.status == IdentityStatus.PENDING
    assert identity.real_name == "张三" and identity.document_number == resident_id()
    assert identity.fingerprint == identity_fingerprint(document_type="resident_id", normalised_number=resident_id())
    with connection.cursor() as cursor:
        cursor.execute("SELECT real_name, document_number FROM accounts_realidentity WHERE id = %s", [identity.pk])
        row = cursor.fetchone()
    assert "张三" not in row[0] and resident_id() not in row[1]


def test_review_item_is_opened_about_the_user(pending):
    item = selectors.review_item_for(pending)
    assert item.kind == "document" and item.target == pending and item.subject_id == pending.user_id
    assert item.status == ItemStatus.OPEN and item.flags == []
    assert "Resident identity card" in item.summary
    assert "张三" not in item.summary and resident_id() not in item.summary


def test_task_is_idempotent(pending):
    names = {(i.image.name, i.thumbnail.name) for i in pending.images.all()}
    tasks.process_submission_images.delay(submission_id=pending.pk)
    tasks.process_submission_images(submission_id=pending.pk)
    tasks.process_submission_images(submission_id=999_999)  # gone: quietly nothing
    pending.refresh_from_db()
    assert pending.status == SubmissionStatus.PENDING
    assert ReviewItem.objects.filter(object_id=pending.pk, kind="document").count() == 1
    assert {(i.image.name, i.thumbnail.name) for i in pending.images.all()} == names


def test_task_fails_a_submission_whose_stored_bytes_are_refused(level1_user, django_capture_on_commit_callbacks):
    # The form would refuse this file; the service stores what it is given, and the worker checks again.
    before = private_files()
    with django_capture_on_commit_callbacks(execute=True):
        submission = create(level1_user, files=("truncated.jpg", BACK))
    submission.refresh_from_db()
    assert submission.status == SubmissionStatus.FAILED and submission.failure_code == "damaged"
    assert private_files() == before, "raw files are deleted"
    assert all(i.purged_at and not i.raw and not i.image for i in submission.images.all())
    assert not ReviewItem.objects.exists()
    assert submission.identity.status == IdentityStatus.REJECTED
    note = Notification.objects.get(user=level1_user, kind="document.failed")
    assert "damaged or incomplete" in note.body and note.url == "/verify/document/"
    # A failed submission does not block the next one.
    with django_capture_on_commit_callbacks(execute=True):
        again = create(level1_user)
    again.refresh_from_db()
    assert again.status == SubmissionStatus.PENDING


def test_task_fails_when_the_raw_file_is_gone(level1_user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        submission = create(level1_user)
    image = submission.images.get(side=1)
    image.raw.storage.delete(image.raw.name)
    callbacks[0]()
    submission.refresh_from_db()
    assert submission.status == SubmissionStatus.FAILED and submission.failure_code == "missing"


def test_level_2_user_is_told_they_are_verified(level2_user):
    with pytest.raises(ValidationError) as exc:
        create(level2_user)
    assert "already verified" in exc.value.messages[0]
    assert not DocumentSubmission.objects.exists() and not RealIdentity.objects.exists()


def test_level_0_may_submit_but_an_inactive_account_may_not(user, submit):
    assert submit(user).status == SubmissionStatus.PENDING
    inactive = UserFactory(is_active=False)
    with pytest.raises(PolicyDenied):
        create(inactive)


def test_a_second_submission_waits_for_the_first(pending, submit):
    before = private_files()
    with pytest.raises(ValidationError) as exc:
        create(pending.user)
    assert "wait for the decision, or withdraw" in exc.value.messages[0]
    assert DocumentSubmission.objects.count() == 1 and RealIdentity.objects.count() == 1
    assert private_files() == before
    services.submission_withdraw(submission=pending, actor=pending.user)
    assert submit(pending.user).status == SubmissionStatus.PENDING


def test_the_database_allows_one_open_submission_per_user(pending):
    with pytest.raises(IntegrityError):
        DocumentSubmission.objects.create(user=pending.user, kind=pending.kind, identity=pending.identity)


def test_at_most_n_submissions_per_window(level1_user, submit, settings, time_machine):
    settings.DOCUMENT_MAX_SUBMISSIONS = 3
    settings.DOCUMENT_SUBMISSION_WINDOW_HOURS = 6
    time_machine.move_to(timezone.now(), tick=False)
    for _ in range(3):
        submission = submit(level1_user)
        services.submission_withdraw(submission=submission, actor=level1_user)
        time_machine.shift(timedelta(minutes=10))
    before = private_files()
    with pytest.raises(ValidationError) as exc:
        create(level1_user)
    assert "You have sent 3 documents in the last 6 hours" in exc.value.messages[0]
    assert DocumentSubmission.objects.count() == 3 and private_files() == before
    assert services.submission_refusal(user=level1_user)
    # Six hours after the first, one slot is free again.
    time_machine.shift(timedelta(hours=6) - timedelta(minutes=30) + timedelta(seconds=1))
    assert submit(level1_user).status == SubmissionStatus.PENDING


def test_an_image_of_a_rejected_submission_is_refused_for_anyone(pending, moderator, decide, submit):
    decide(pending, moderator, "reject", "unreadable")
    someone_else = Level1UserFactory()
    with pytest.raises(ValidationError) as exc:
        create(someone_else, files=(BACK, FRONT))
    assert set(exc.value.message_dict) == {"side_1", "side_2"}
    assert "already rejected" in exc.value.message_dict["side_1"][0]
    assert not DocumentSubmission.objects.filter(user=someone_else).exists()
    # A new photo is fine.
    assert submit(someone_else, kind="passport").status == SubmissionStatus.PENDING


def test_an_image_of_a_withdrawn_or_approved_submission_is_not_refused(pending, submit):
    services.submission_withdraw(submission=pending, actor=pending.user)
    assert submit(pending.user).status == SubmissionStatus.PENDING


def test_wrong_number_of_images_inactive_kind_and_bad_number_are_refused(level1_user):
    with pytest.raises(ValidationError):
        create(level1_user, files=(FRONT,))
    passport = DocumentKind.objects.get(code="passport")
    passport.active = False
    passport.save()
    with pytest.raises(ValidationError) as exc:
        create(level1_user, kind=passport, files=(FRONT,), number="E12345678")
    assert "kind" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        create(level1_user, number=resident_id()[:-1] + "Y")
    assert "document_number" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        create(level1_user, name="   ")
    assert "real_name" in exc.value.message_dict
    assert not DocumentSubmission.objects.exists() and not RealIdentity.objects.exists()


def test_number_given_by_another_account_is_flagged(submit):
    first, second, third = Level1UserFactory(), Level1UserFactory(), Level1UserFactory()
    submit(first)
    submit(second, kind="drivers_licence", files=(FRONT,))  # a licence carries the ID number: same fingerprint
    item = selectors.review_item_for(submit(third))
    flag = next(f for f in item.flags if f["code"] == "fingerprint_shared")
    assert flag["users"] == sorted([first.pk, second.pk])
    assert "2 other account" in flag["text"]
    assert "identity_cap_reached" not in {f["code"] for f in item.flags}
    # Another number is not flagged.
    other = submit(Level1UserFactory(), number=resident_id(seq="456"))
    assert selectors.review_item_for(other).flags == []


def test_transitions_are_declared_edges_only(pending):
    for bad in (SubmissionStatus.PROCESSING, SubmissionStatus.FAILED):
        with pytest.raises(InvalidTransition):
            pending.transition(to=bad)
    pending.transition(to=SubmissionStatus.APPROVED)
    for target in SubmissionStatus.values:
        assert not pending.can_transition(target)
    fresh = DocumentSubmission(status=SubmissionStatus.PROCESSING)
    with pytest.raises(InvalidTransition):
        fresh.transition(to=SubmissionStatus.APPROVED)
    with pytest.raises(InvalidTransition):
        fresh.transition(to=SubmissionStatus.WITHDRAWN)


def test_withdraw_takes_it_out_of_the_queue_and_deletes_the_images(pending, django_capture_on_commit_callbacks):
    names = {n for i in pending.images.all() for n in i.file_names}
    assert names <= private_files()
    with django_capture_on_commit_callbacks(execute=True):
        services.submission_withdraw(submission=pending, actor=pending.user)
    services.submission_withdraw(submission=pending, actor=pending.user)  # double submit is harmless
    pending.refresh_from_db()
    assert pending.status == SubmissionStatus.WITHDRAWN
    assert ReviewItem.objects.get(object_id=pending.pk, kind="document").status == ItemStatus.WITHDRAWN
    assert not names & private_files()
    assert all(i.purged_at and not i.image and not i.thumbnail for i in pending.images.all())
    assert pending.identity.status == IdentityStatus.REJECTED
    assert AuditEntry.objects.filter(action="review.document.withdraw", actor=pending.user).count() == 1


def test_only_the_owner_may_withdraw_and_only_while_pending(pending, moderator, decide):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.submission_withdraw(submission=pending, actor=Level1UserFactory())
    decide(pending, moderator, "approve")
    with pytest.raises(ValidationError):
        services.submission_withdraw(submission=pending, actor=pending.user)


def test_deleting_the_user_deletes_submissions_files_and_queue_item(pending, django_capture_on_commit_callbacks):
    names = {n for i in pending.images.all() for n in i.file_names}
    with django_capture_on_commit_callbacks(execute=True):
        pending.user.delete()
    assert not DocumentSubmission.objects.exists() and not DocumentImage.objects.exists()
    assert not RealIdentity.objects.exists()
    assert not names & private_files()
    assert ReviewItem.objects.get(kind="document").status == ItemStatus.WITHDRAWN
