"""Verification's erasers (one per room): an erased account's document pictures go, open claims close, the records stay."""

import pytest

from accounts import deletion, erasure
from accounts.models import IdentityStatus, RealIdentity
from accounts.tests.factories import Level1UserFactory
from moderation.models import ItemStatus, ReviewItem
from verification.conftest import item_of
from verification.documents import images, services
from verification.documents.erasure import erase_document_data
from verification.documents.models import DocumentImage, DocumentKind, DocumentSubmission, SubmissionStatus
from verification.tests.utils import as_upload, fresh, private_files, resident_id
from verification.vouching.erasure import erase_vouching_data
from verification.vouching.models import VouchCaseStatus, VouchRequest, VouchRequestStatus
from verification.vouching.tests.helpers import befriend, circle, confirm, make_voucher, start_case

pytestmark = pytest.mark.django_db


def _erase(user, capture):
    request = deletion.deletion_start(user=user)
    with capture(execute=True):
        assert deletion.deletion_erase(deletion_request_id=request.pk, now=request.erase_after)


def test_each_room_registers_its_eraser():
    assert erase_document_data in erasure.erasers() and erase_vouching_data in erasure.erasers()


def test_document_pictures_go_and_decisions_stay(submit, decide, moderator, django_capture_on_commit_callbacks):
    user = Level1UserFactory()
    rejected = submit(user, files=(fresh(), fresh()))
    decide(rejected, moderator, "reject", "unreadable", note="blurred")
    pending = submit(user, files=(fresh(), fresh()))
    files = {name for image in DocumentImage.objects.filter(submission__user=user) for name in image.file_names}
    assert files and files <= private_files()
    hashes = set(DocumentImage.objects.filter(submission__user=user).values_list("sha256", flat=True))

    _erase(user, django_capture_on_commit_callbacks)

    rejected.refresh_from_db()
    pending.refresh_from_db()
    # The decision, its reason, the reviewer and the image hashes are the record; the pictures are gone.
    assert rejected.status == SubmissionStatus.REJECTED and rejected.reason_code == "unreadable"
    assert rejected.decided_by == moderator
    assert pending.status == SubmissionStatus.WITHDRAWN and item_of(pending).status == ItemStatus.WITHDRAWN
    images = DocumentImage.objects.filter(submission__user=user)
    assert set(images.values_list("sha256", flat=True)) == hashes
    assert all(i.purged_at and not i.image and not i.thumbnail and not i.raw for i in images)
    assert not files & private_files()
    # The identities keep only their keyed hash.
    for identity in RealIdentity.objects.filter(user=user):
        assert identity.real_name == "" and identity.document_number == "" and identity.fingerprint
        assert identity.status == IdentityStatus.REJECTED


def test_an_upload_still_being_checked_goes_entirely(django_capture_on_commit_callbacks):
    user = Level1UserFactory()
    kind = DocumentKind.objects.get(code="resident_id")
    # Not run after commit here: the image task never ran, as when the broker lost it.
    submission = services.submission_create(user=user, kind=kind, real_name="张三", document_number=resident_id(),
                                            uploads=[as_upload(fresh()), as_upload(fresh())])
    files = {name for image in submission.images.all() for name in image.file_names}
    assert submission.status == SubmissionStatus.PROCESSING and files and files <= private_files()
    _erase(user, django_capture_on_commit_callbacks)
    assert not DocumentSubmission.objects.filter(pk=submission.pk).exists()
    assert not files & private_files()
    # A late run of the lost task finds nothing to do.
    assert images.submission_process_images(submission_id=submission.pk) is None


def test_open_vouch_cases_close_and_asks_to_the_account_are_cancelled(django_capture_on_commit_callbacks):
    applicant, vouchers = circle()
    own_case = start_case(applicant, vouchers)
    # The same person was also asked to vouch for a friend, whose case then cannot reach three.
    friend = Level1UserFactory()
    asked_of_them = make_voucher()
    others = [make_voucher(friend) for _ in range(2)]
    befriend(friend, asked_of_them)
    friends_case = start_case(friend, [asked_of_them, *others])
    confirm(friends_case, others[0])

    _erase(asked_of_them, django_capture_on_commit_callbacks)
    _erase(applicant, django_capture_on_commit_callbacks)

    own_case.refresh_from_db()
    friends_case.refresh_from_db()
    assert own_case.status == VouchCaseStatus.WITHDRAWN
    assert not VouchRequest.objects.filter(case=own_case, status=VouchRequestStatus.PENDING).exists()
    request = VouchRequest.objects.get(case=friends_case, voucher=asked_of_them)
    assert request.status == VouchRequestStatus.CANCELLED
    assert friends_case.status == VouchCaseStatus.INSUFFICIENT
    # The records stay: the cases and every request.
    assert VouchRequest.objects.filter(case=own_case).count() == 3
    assert not ReviewItem.objects.filter(kind="vouch", object_id=own_case.pk, status__in=["open", "claimed"]).exists()
