"""Demo data for `make run`: level1 and level2 are friends, and level2 has posted a first moment."""

from django.db import transaction

from accounts.models import User

from .models import Friendship, Moment


def load_demo_social() -> None:
    """Idempotent: running it twice changes nothing."""
    level1 = User.objects.filter(email="level1@demo.local").first()
    level2 = User.objects.filter(email="level2@demo.local").first()
    if level1 is None or level2 is None:
        return
    with transaction.atomic():
        low, high = Friendship.ordered(level1.pk, level2.pk)
        Friendship.objects.get_or_create(user_low_id=low, user_high_id=high)
        if not Moment.objects.filter(author=level2).exists():
            # Written directly: demo data should not send notifications or depend on images.
            Moment.objects.create(author=level2, text="第一条朋友圈：欢迎来到 Realname！ / My first moment: welcome!")
