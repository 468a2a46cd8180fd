"""The ladder service: each rung, its effect on every policy Action, strikes, notices, expiry, the suggestion."""

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from accounts import policy
from accounts.models import Notification, User
from accounts.policy import Action
from accounts.tests.factories import Level2UserFactory
from moderation import hooks, ladder, restrictions, selectors, tasks
from moderation.models import AuditEntry, Penalty, PenaltyStatus, Rung, Strike

from .conftest import apply_rung, make_moderator

pytestmark = pytest.mark.django_db

R, S, C = Rung.RESTRICT, Rung.SUSPEND, Rung.CLOSE
# For a level-2 user: which rungs refuse each Action (a warning refuses nothing).
EFFECTS = {
    Action.POST_MOMENT: {R, S, C},
    Action.COMMENT: {R, S, C},
    Action.PUBLISH_ARTICLE: {R, S, C},
    Action.EDIT_CONTENT: {S, C},
    Action.EDIT_PROFILE: {S, C},
    Action.ADD_FRIEND: {S, C},
    Action.CHANGE_FRIENDS: {S, C},
    Action.VOUCH: {S, C},
    Action.REGISTER_PUBLIC_ACCOUNT: {S, C},
    Action.APPLY_QUALIFICATION: {S, C},
    # A suspended user may still report abuse and verify their identity; a closed one nothing.
    Action.REPORT: {C},
    Action.START_VERIFICATION: {C},
    Action.LOG_IN: {C},
}


def fresh(user) -> User:
    """The user as a new request would load it (no penalties cached on the object)."""
    return User.objects.get(pk=user.pk)


def test_every_action_is_in_the_effects_table():
    assert set(EFFECTS) == set(Action)


@pytest.mark.parametrize("rung", list(Rung))
@pytest.mark.parametrize("action", list(Action))
def test_each_rung_refuses_exactly_its_actions(senior, rung, action):
    user = Level2UserFactory()
    assert policy.check(fresh(user), action)
    apply_rung(user, rung, moderator=senior)
    decision = policy.check(fresh(user), action)
    refused = rung in EFFECTS[action]
    assert decision.allowed is not refused
    if refused:
        assert decision.reason
        assert decision.unlock_url == ("/me/closed/" if rung == Rung.CLOSE else "/me/status/")
        if rung in (Rung.RESTRICT, Rung.SUSPEND):
            assert decision.until is not None and decision.until > timezone.now()


def test_a_warning_is_a_strike_an_audit_entry_and_a_notice(moderator, django_capture_on_commit_callbacks):
    user = Level2UserFactory(language="en")
    with django_capture_on_commit_callbacks(execute=True):
        penalty = apply_rung(user, Rung.WARN, moderator=moderator, rule="authenticity", reason="Made-up quote")
    assert penalty.status == PenaltyStatus.ACTIVE and penalty.ends_at is None and not penalty.is_in_force()
    strike = Strike.objects.get(penalty=penalty)
    assert strike.user == user and strike.severity == Rung.WARN and strike.rule == "authenticity"
    entry = AuditEntry.objects.get(action="penalty.warn")
    assert entry.actor_id == moderator.pk and entry.target_id == str(penalty.pk) and entry.reason == "Made-up quote"
    assert entry.data["rule"] == "authenticity" and entry.data["subject"] == f"user:{user.pk}"
    note = Notification.objects.get(user=user, kind="penalty.warn")
    for text in ("Made-up quote", "The authenticity of information", "appeal", "30 days"):
        assert text in note.body
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [user.email] and "Made-up quote" in mail.outbox[0].body


def test_timed_penalty_says_until_when(moderator):
    user = Level2UserFactory(language="en")
    penalty = apply_rung(user, Rung.SUSPEND, moderator=moderator, days=30)
    assert penalty.ends_at == penalty.created_at + timedelta(days=30)
    note = Notification.objects.get(user=user, kind="penalty.suspend")
    assert timezone.localtime(penalty.ends_at).strftime("%Y-%m-%d %H:%M") in note.body
    assert note.url == "/me/status/"


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"rule": "nonsense"}, "rule"),
    ({"reason": "  "}, "reason"),
    ({"days": 0}, "duration"),
    ({"days": None}, "duration"),
])
def test_refuses_incomplete_decisions(moderator, kwargs, message):
    user = Level2UserFactory()
    with pytest.raises(ladder.PenaltyError, match=message):
        apply_rung(user, Rung.RESTRICT, moderator=moderator, **kwargs)
    assert not Penalty.objects.exists() and not Strike.objects.exists()


def test_closing_needs_a_senior_moderator_and_a_ban_choice(moderator, senior):
    user = Level2UserFactory()
    with pytest.raises(ladder.PenaltyError, match="senior"):
        apply_rung(user, Rung.CLOSE, moderator=moderator)
    with pytest.raises(ladder.PenaltyError, match="new account"):
        apply_rung(user, Rung.CLOSE, moderator=senior, ban_days=None)
    assert not Penalty.objects.exists()
    assert apply_rung(user, Rung.CLOSE, moderator=senior).action == Rung.CLOSE


def test_nobody_acts_on_their_own_account(senior):
    with pytest.raises(ladder.PenaltyError):
        apply_rung(senior, Rung.WARN, moderator=senior)


def test_closing_runs_the_hooks_and_hides_the_account(senior):
    user, other = Level2UserFactory(), Level2UserFactory()
    calls = []

    def closed(*, user, penalty, actor):
        calls.append((user.pk, penalty.pk, actor.pk))

    hooks.on_user_closed.connect(closed)
    try:
        penalty = apply_rung(user, Rung.CLOSE, moderator=senior)
    finally:
        hooks.on_user_closed.disconnect(closed)
    assert calls == [(user.pk, penalty.pk, senior.pk)]
    assert selectors.user_is_closed(fresh(user)) and not selectors.user_is_closed(fresh(other))
    assert set(User.objects.filter(pk__in=selectors.closed_user_ids()).values_list("pk", flat=True)) == {user.pk}
    # The account stays active in auth terms: the closed user can still log in to read the notice and appeal.
    assert fresh(user).is_active


def test_the_same_object_sees_a_penalty_applied_through_it(moderator):
    user = Level2UserFactory()
    assert policy.check(user, Action.POST_MOMENT)  # caches "no penalties" on this object
    apply_rung(user, Rung.RESTRICT, moderator=moderator)
    assert not policy.check(user, Action.POST_MOMENT)


# --- Timed penalties end by themselves; the notifier tells once ------------------------------

def test_timed_penalty_ends_by_itself_and_the_notifier_tells_once(moderator):
    user = Level2UserFactory(language="en")
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        penalty = apply_rung(user, Rung.RESTRICT, moderator=moderator, days=1)
        assert not policy.check(fresh(user), Action.POST_MOMENT)
        assert tasks.penalties_notify_ended() == 0
        traveller.shift(timedelta(days=1, seconds=-1))
        assert not policy.check(fresh(user), Action.POST_MOMENT)
        traveller.shift(timedelta(seconds=2))
        # No task has run: the check compares with now.
        assert policy.check(fresh(user), Action.POST_MOMENT)
        assert tasks.penalties_notify_ended() == 1
        assert tasks.penalties_notify_ended() == 0
        assert ladder.penalty_notify_ended(penalty_id=penalty.pk) is False
    notices = Notification.objects.filter(user=user, kind="penalty.ended")
    assert notices.count() == 1 and "ended" in notices.get().title
    assert Penalty.objects.get(pk=penalty.pk).notified_end_at is not None


def test_notifier_ignores_warnings_closures_and_overturned_penalties(moderator, senior, other_moderator):
    user = Level2UserFactory()
    apply_rung(user, Rung.WARN, moderator=moderator)
    apply_rung(user, Rung.CLOSE, moderator=senior)
    lifted = apply_rung(user, Rung.SUSPEND, moderator=moderator, days=1)
    ladder.penalty_overturn(penalty=lifted, actor=other_moderator)
    with time_machine.travel(timezone.now() + timedelta(days=400)):
        assert tasks.penalties_notify_ended() == 0
    assert not Notification.objects.filter(kind="penalty.ended").exists()


# --- The suggested rung ----------------------------------------------------------------------

def _strike(user, severity, *, days_ago=0, overturned=False):
    now = timezone.now()
    return Strike.objects.create(user=user, severity=severity, rule="community", created_at=now - timedelta(days=days_ago),
                                 overturned_at=now if overturned else None)


@pytest.mark.parametrize(("strikes", "expected"), [
    ([], Rung.WARN),
    ([Rung.WARN], Rung.RESTRICT),
    ([Rung.WARN, Rung.RESTRICT], Rung.SUSPEND),
    ([Rung.SUSPEND, Rung.WARN], Rung.CLOSE),
    ([Rung.CLOSE], Rung.CLOSE),
])
def test_suggestion_is_one_rung_above_the_most_severe_strike(strikes, expected):
    user = Level2UserFactory()
    for severity in strikes:
        _strike(user, severity)
    assert selectors.suggested_rung(user) == expected


def test_suggestion_ignores_overturned_strikes_and_those_older_than_the_window(settings):
    user = Level2UserFactory()
    _strike(user, Rung.WARN, days_ago=10)
    _strike(user, Rung.SUSPEND, days_ago=5, overturned=True)
    _strike(user, Rung.SUSPEND, days_ago=181)
    assert selectors.suggested_rung(user) == Rung.RESTRICT
    _strike(user, Rung.RESTRICT, days_ago=179)
    assert selectors.suggested_rung(user) == Rung.SUSPEND
    settings.STRIKE_WINDOW_DAYS = 30
    assert selectors.suggested_rung(user) == Rung.RESTRICT


def test_suggestion_counts_strikes_from_penalties(moderator):
    user = Level2UserFactory()
    apply_rung(user, Rung.RESTRICT, moderator=moderator)
    assert selectors.suggested_rung(user) == Rung.SUSPEND


# --- Public accounts --------------------------------------------------------------------------

def test_penalty_on_one_public_account(moderator, public_target):
    operator = Level2UserFactory()
    account, other_account = operator.phone, Level2UserFactory().phone
    penalty = apply_rung(None, Rung.SUSPEND, moderator=moderator, public_account=account)
    assert penalty.user is None and penalty.public_account == account and penalty.owner == operator
    assert Strike.objects.get(penalty=penalty).user == operator
    assert selectors.public_account_penalty(account) == penalty
    assert selectors.public_account_penalty(other_account) is None
    refused = restrictions.public_account_check(account, Action.PUBLISH_ARTICLE)
    assert not refused and refused.until == penalty.ends_at and "public account" in refused.reason
    with pytest.raises(policy.PolicyDenied):
        restrictions.public_account_require(account, Action.PUBLISH_ARTICLE)
    assert restrictions.public_account_check(other_account, Action.PUBLISH_ARTICLE)
    # The operator's personal account is untouched.
    assert policy.check(fresh(operator), Action.POST_MOMENT)
    assert Notification.objects.filter(user=operator, kind="penalty.suspend").exists()


def test_restricted_public_account_publishes_no_articles_and_ends_by_itself(moderator, public_target):
    account = Level2UserFactory().phone
    apply_rung(None, Rung.RESTRICT, moderator=moderator, public_account=account, days=7)
    assert not restrictions.public_account_check(account, Action.PUBLISH_ARTICLE)
    with time_machine.travel(timezone.now() + timedelta(days=7, minutes=1)):
        account = type(account).objects.get(pk=account.pk)
        assert restrictions.public_account_check(account, Action.PUBLISH_ARTICLE)


def test_public_account_penalty_needs_a_registered_target(moderator):
    with pytest.raises(ValueError):
        apply_rung(None, Rung.WARN, moderator=moderator, public_account=Level2UserFactory().phone)


def test_more_severe_penalty_wins_when_several_are_in_force(moderator, senior):
    user = Level2UserFactory()
    apply_rung(user, Rung.RESTRICT, moderator=moderator, days=30)
    apply_rung(user, Rung.SUSPEND, moderator=make_moderator(), days=1)
    decision = policy.check(fresh(user), Action.EDIT_PROFILE)
    assert not decision and "suspended" in decision.reason
    with time_machine.travel(timezone.now() + timedelta(days=2)):
        assert policy.check(fresh(user), Action.EDIT_PROFILE)
        assert not policy.check(fresh(user), Action.POST_MOMENT)
