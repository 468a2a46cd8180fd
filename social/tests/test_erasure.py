"""An erased account takes its moments, comments and friendships with it."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.deletion import deletion_erase, deletion_start
from accounts.tests.factories import Level1UserFactory
from social.models import Comment, FriendRequest, Friendship, Moment

from .factories import CommentFactory, FriendRequestFactory, MomentFactory, make_friends

pytestmark = pytest.mark.django_db


def test_erasure_removes_the_users_social_content_and_keeps_others(django_capture_on_commit_callbacks):
    leaving, friend, other = Level1UserFactory(), Level1UserFactory(), Level1UserFactory()
    make_friends(leaving, friend)
    mine = MomentFactory(author=leaving)
    theirs = MomentFactory(author=friend)
    CommentFactory(moment=theirs, author=leaving)
    kept_comment = CommentFactory(moment=theirs, author=friend)
    FriendRequestFactory(from_user=leaving, to_user=other)
    request = deletion_start(user=leaving)
    with django_capture_on_commit_callbacks(execute=True):
        assert deletion_erase(deletion_request_id=request.pk, now=timezone.now() + timedelta(days=61))
    assert not Moment.objects.filter(pk=mine.pk).exists()
    assert not Comment.objects.filter(author=leaving).exists()
    assert not Friendship.objects.filter(user_low=leaving).exists() and not Friendship.objects.filter(user_high=leaving).exists()
    assert not FriendRequest.objects.filter(from_user=leaving).exists()
    assert Moment.objects.filter(pk=theirs.pk).exists() and Comment.objects.filter(pk=kept_comment.pk).exists()
