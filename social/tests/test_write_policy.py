"""Every social write asks accounts.policy: an account waiting to be deleted, inactive or penalised writes nothing."""

from pathlib import Path

import pytest
from django.urls import reverse

from accounts import deletion, policy
from moderation.models import Rung
from social.models import Comment, Moment

from .factories import MomentFactory
from .moderation_utils import fresh, make_moderator, penalise
from .test_moderation import WRITE_PATHS, scene  # noqa: F401 - the fixture is used by name

pytestmark = pytest.mark.django_db

PATH_IDS = [p.__name__.strip("_") for p, _r in WRITE_PATHS]


def _deletion_pending(user):
    deletion.deletion_start(user=user)
    return fresh(user)


def _inactive(user):
    type(user).objects.filter(pk=user.pk).update(is_active=False)
    return fresh(user)


@pytest.mark.parametrize("state", [_deletion_pending, _inactive], ids=["deletion_pending", "inactive"])
@pytest.mark.parametrize(("path", "_refused_by"), WRITE_PATHS, ids=PATH_IDS)
def test_no_write_path_lets_an_unusable_account_write(scene, state, path, _refused_by):  # noqa: F811
    actor = state(scene["actor"])
    with pytest.raises(policy.PolicyDenied) as refused:
        path(actor, scene)
    reason = refused.value.decision.reason
    assert "waiting to be deleted" in reason or "not active" in reason


def test_an_account_waiting_to_be_deleted_is_told_how_to_cancel_instead_of_posting(client, friend_pair):
    author, friend = friend_pair
    moment = MomentFactory(author=friend)
    client.force_login(author)
    deletion.deletion_start(user=author)
    response = client.post("/", {"text": "Still here"}, follow=True)
    assert response.status_code == 200
    assert "Cancel the deletion" in response.content.decode()
    response = client.post(reverse("social:comment_create", kwargs={"pk": moment.pk}), {"text": "Hi"}, follow=True)
    assert response.status_code == 200
    assert not Moment.objects.filter(author=author).exists() and not Comment.objects.filter(author=author).exists()


def test_a_restricted_user_still_cannot_post_or_comment_and_is_told_why(client, friend_pair):
    author, friend = friend_pair
    moment = MomentFactory(author=friend)
    penalise(author, Rung.RESTRICT, moderator=make_moderator("moderator"))
    client.force_login(author)
    page = client.post("/", {"text": "Still here"}, follow=True).content.decode()
    assert "Your publishing is restricted until" in page
    response = client.post(reverse("social:comment_create", kwargs={"pk": moment.pk}), {"text": "Hi"})
    assert response.status_code == 200 and "Your publishing is restricted until" in response.content.decode()
    assert not Moment.objects.filter(author=author).exists() and not Comment.objects.filter(author=author).exists()


def test_a_suspended_user_cannot_undo_a_friendship_and_a_deleted_one_neither(friend_pair):
    # Undoing a relation asks the policy too (Action.CHANGE_FRIENDS), not moderation's rule directly.
    author, friend = friend_pair
    assert policy.check(author, policy.Action.CHANGE_FRIENDS)
    penalise(author, Rung.SUSPEND, moderator=make_moderator("moderator"))
    assert not policy.check(fresh(author), policy.Action.CHANGE_FRIENDS)
    assert not policy.check(_deletion_pending(friend), policy.Action.CHANGE_FRIENDS)


def test_no_app_asks_moderations_penalty_rule_directly():
    """Only accounts.policy calls the registered restriction (moderation registers it in its AppConfig)."""
    repo = Path(__file__).resolve().parents[2]
    offenders = [str(path.relative_to(repo)) for path in repo.glob("*/**/*.py")
                 if path.relative_to(repo).parts[0] not in {"moderation", "bench", ".venv"}
                 and "tests" not in path.parts and "user_rule" in path.read_text(encoding="utf-8")]
    assert offenders == []
