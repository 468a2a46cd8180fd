"""Moderators and a ladder shortcut for the social tests about penalties, take-downs and closures."""

from django.contrib.auth.models import Group

from accounts.tests.factories import Level2UserFactory
from moderation import appeals, ladder
from moderation.models import TIMED_RUNGS, Rung


def make_moderator(*groups: str):
    """A level-2 user in the given staff groups (get_or_create: a flushed database has none)."""
    user = Level2UserFactory()
    for name in groups or ("moderator",):
        user.groups.add(Group.objects.get_or_create(name=name)[0])
    return user


def penalise(user, rung, *, moderator, days: int = 7, **kwargs):
    """moderation.ladder.penalty_apply() with the usual arguments (a ban for ever when closing a user)."""
    if rung == Rung.CLOSE and "public_account" not in kwargs:
        kwargs.setdefault("ban_days", "forever")
    return ladder.penalty_apply(target_user=None if "public_account" in kwargs else user, action=rung,
                                rule="community", reason="Spam links", moderator=moderator,
                                duration_days=days if rung in TIMED_RUNGS else None, **kwargs)


def appeal_upheld(penalty, *, judge):
    """The owner appeals, someone other than the moderator who acted upholds it (the action is undone)."""
    appeal = appeals.appeal_create(penalty=penalty, appellant=penalty.owner, statement="It was not me.")
    return appeals.appeal_decide(appeal=appeal, reviewer=judge, uphold=True)


def fresh(user):
    """The same user, re-read: a user object caches its penalties for the rest of a request."""
    return type(user).objects.get(pk=user.pk)
