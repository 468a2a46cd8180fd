"""Seeded document kinds, moderators, and a helper that submits a document through the normal service."""


import pytest
from django.contrib.auth.models import Group

from accounts.tests.factories import Level2UserFactory
from moderation import services as queue
from moderation.models import ReviewItem
from verification.documents import services
from verification.documents.models import DocumentKind
from verification.tests.utils import BACK, FRONT, PASSPORT_NUMBER, PHOTO_PAGE, as_upload, resident_id


@pytest.fixture(autouse=True)
def _seeded(db, client):
    """English pages (the root conftest re-seeds what data migrations create after a flush)."""
    # Pages render in the viewer's language; tests compare English text.
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


def make_moderator():
    user = Level2UserFactory()
    user.groups.add(Group.objects.get_or_create(name="moderator")[0])
    return user


@pytest.fixture
def moderator(db):
    return make_moderator()


@pytest.fixture
def other_moderator(db):
    return make_moderator()


@pytest.fixture
def submit(django_capture_on_commit_callbacks):
    """Submit a document as `user` and run what runs after commit (the image task, eager here)."""

    def _submit(user, *, kind: str = "resident_id", name: str = "张三", number: str | None = None, files=None):
        kind_obj = DocumentKind.objects.get(code=kind)
        if number is None:
            number = PASSPORT_NUMBER if kind == "passport" else resident_id()
        files = files or ((FRONT, BACK) if kind_obj.sides == 2 else (PHOTO_PAGE,))
        with django_capture_on_commit_callbacks(execute=True):
            submission = services.submission_create(user=user, kind=kind_obj, real_name=name, document_number=number,
                                                    uploads=[as_upload(f) for f in files])
        submission.refresh_from_db()
        return submission

    return _submit


@pytest.fixture
def pending(level1_user, submit):
    """A level-1 user's resident ID card, processed and waiting in the queue."""
    return submit(level1_user)


def item_of(submission) -> ReviewItem:
    """The submission's newest queue item, whatever its state."""
    return ReviewItem.objects.filter(kind="document", object_id=submission.pk).latest("pk")


def claim(submission, reviewer):
    return queue.review_item_claim(item=item_of(submission), reviewer=reviewer)


@pytest.fixture
def decide(django_capture_on_commit_callbacks):
    """Claim (if needed) and decide through the queue services, running the after-commit work (emails)."""

    def _decide(submission, reviewer, decision: str, reason_code: str = "", note: str = ""):
        item = item_of(submission)
        if item.status != "decided" and not item.is_claimed_by(reviewer):
            item = queue.review_item_claim(item=item, reviewer=reviewer)
        with django_capture_on_commit_callbacks(execute=True):
            item = queue.review_item_decide(item=item, reviewer=reviewer, decision=decision, reason_code=reason_code,
                                            note=note)
        submission.refresh_from_db()
        return item

    return _decide
