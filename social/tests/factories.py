import factory

from accounts.tests.factories import Level1UserFactory
from core.statemachine import seeding
from social.models import Comment, FriendRequest, Friendship, Moment, MomentImage


class MomentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Moment

    author = factory.SubFactory(Level1UserFactory)
    text = factory.Sequence(lambda n: f"Moment number {n}")


class MomentImageFactory(factory.django.DjangoModelFactory):
    """An image row without a file: enough for pages that only link to the image views."""

    class Meta:
        model = MomentImage

    moment = factory.SubFactory(MomentFactory)
    position = factory.Sequence(lambda n: n + 1)
    image = factory.Sequence(lambda n: f"moments/test/{n}.jpg")
    thumbnail = factory.Sequence(lambda n: f"moments/test/{n}-t.jpg")


class CommentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Comment

    moment = factory.SubFactory(MomentFactory)
    author = factory.SelfAttribute("moment.author")
    text = factory.Sequence(lambda n: f"Comment number {n}")


class FriendRequestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FriendRequest

    from_user = factory.SubFactory(Level1UserFactory)
    to_user = factory.SubFactory(Level1UserFactory)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        with seeding():  # any status, as if it had got there along the graph
            return super()._create(model_class, *args, **kwargs)


def make_friends(a, b) -> Friendship:
    """Make two users friends directly (no request, no notification)."""
    low, high = Friendship.ordered(a.pk, b.pk)
    friendship, _created = Friendship.objects.get_or_create(user_low_id=low, user_high_id=high)
    return friendship
