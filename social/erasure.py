"""What account erasure removes from social (registered with accounts.erasure in ready())."""

from django.db.models import Q

from .models import Comment, FriendRequest, Friendship, Moment


def erase_social_content(*, user) -> None:
    """The account's comments, moments (their image files follow on commit), friendships and requests."""
    Comment.objects.filter(author=user).delete()
    Moment.objects.filter(author=user).delete()
    Friendship.objects.filter(Q(user_low=user) | Q(user_high=user)).delete()
    FriendRequest.objects.filter(Q(from_user=user) | Q(to_user=user)).delete()
