import pytest
from django.contrib.auth.models import AnonymousUser

from accounts import policy
from accounts.models import Level
from accounts.policy import Action

pytestmark = pytest.mark.django_db

TABLE = [
    (Action.POST_MOMENT, [False, True, True]),
    (Action.COMMENT, [False, True, True]),
    (Action.ADD_FRIEND, [False, True, True]),
    (Action.CHANGE_FRIENDS, [True, True, True]),
    (Action.REPORT, [False, True, True]),
    (Action.EDIT_PROFILE, [True, True, True]),
    (Action.START_VERIFICATION, [True, True, True]),
    (Action.VOUCH, [False, False, True]),
    (Action.REGISTER_PUBLIC_ACCOUNT, [False, False, True]),
    (Action.APPLY_QUALIFICATION, [False, False, True]),
    (Action.EDIT_CONTENT, [True, True, True]),
    (Action.PUBLISH_ARTICLE, [False, False, True]),
    (Action.LOG_IN, [True, True, True]),
]


def test_every_action_is_in_the_table():
    assert {row[0] for row in TABLE} == set(Action)


@pytest.mark.parametrize(("action", "allowed_by_level"), TABLE)
@pytest.mark.parametrize("level", [Level.REGISTERED, Level.INDIRECT, Level.VERIFIED])
def test_policy_by_level(user, action, allowed_by_level, level):
    user.level = level
    decision = policy.check(user, action)
    assert decision.allowed is allowed_by_level[level]
    if not decision.allowed:
        assert decision.reason
        if level == Level.REGISTERED:
            assert decision.unlock_url == "/me/phone/"


def test_require_raises_with_the_reason(user):
    with pytest.raises(policy.PolicyDenied) as excinfo:
        policy.require(user, Action.POST_MOMENT)
    assert excinfo.value.decision.reason


def test_anonymous_and_inactive_are_refused(user):
    assert not policy.check(AnonymousUser(), Action.EDIT_PROFILE)
    user.is_active = False
    user.level = Level.VERIFIED
    assert not policy.check(user, Action.POST_MOMENT)


def test_a_registered_restriction_refuses_and_can_be_removed(level2_user):
    def no_comments(user, action):
        return policy.Decision(False, reason="no") if action == Action.COMMENT else None

    policy.register_restriction(no_comments)
    try:
        assert not policy.check(level2_user, Action.COMMENT)
        assert policy.check(level2_user, Action.POST_MOMENT)
    finally:
        policy.unregister_restriction(no_comments)
    assert policy.check(level2_user, Action.COMMENT)


def test_identity_allowed_asks_the_registered_checks():
    def banned(fingerprint):
        return policy.Decision(False, reason="banned") if fingerprint == "bad" else None

    assert policy.identity_allowed("bad")
    policy.register_identity_check(banned)
    try:
        assert not policy.identity_allowed("bad") and policy.identity_allowed("good")
    finally:
        policy.unregister_identity_check(banned)
