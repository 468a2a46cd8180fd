"""Closed accounts: the gate (only the notice, status, appeal and logout), identity bans, the one-query promise."""

from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts import policy
from accounts.models import RealIdentity
from accounts.policy import Action
from accounts.services import identity_store
from accounts.tests.factories import Level1UserFactory, Level2UserFactory
from core.testing import queries_of
from moderation import ladder, restrictions
from moderation.models import IdentityBan, Rung
from social.models import Moment

from .conftest import apply_rung

pytestmark = pytest.mark.django_db


@pytest.fixture
def closed_user(senior):
    user = Level2UserFactory(language="en")
    apply_rung(user, Rung.CLOSE, moderator=senior, reason="Selling fake documents", rule="laws")
    return user


@pytest.fixture
def closed_client(client, closed_user):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    client.force_login(closed_user)
    return client


# --- The gate ------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/", "/friends/", "/me/", "/agreement/", "/notifications/", "/verify/",
                                  "/u/1/", "/review/"])
def test_closed_user_is_sent_to_the_notice_from_everywhere(closed_client, path):
    response = closed_client.get(path)
    assert response.status_code == 302 and response["Location"] == "/me/closed/"


def test_closed_user_cannot_post_either(closed_client, closed_user):
    response = closed_client.post("/", {"text": "still here"})
    assert response.status_code == 302 and response["Location"] == "/me/closed/"
    assert not Moment.objects.filter(author=closed_user).exists()


def test_the_notice_says_what_why_and_how_to_appeal_and_nothing_else(closed_client, closed_user):
    response = closed_client.get("/me/closed/")
    assert response.status_code == 200
    html = response.content.decode()
    for text in ("Your account is closed", "Selling fake documents", "Laws and regulations",
                 reverse("moderation_public:appeal_create", args=[closed_user.penalties.get().pk]),
                 "/accounts/logout/"):
        assert text in html
    # No navigation to the rest of the site.
    assert reverse("social:friends") not in html and "/notifications/" not in html


def test_status_appeal_and_logout_stay_reachable(closed_client, closed_user):
    penalty = closed_user.penalties.get()
    assert closed_client.get("/me/status/").status_code == 200
    assert closed_client.get(f"/me/appeals/new/{penalty.pk}/").status_code == 200
    response = closed_client.post(f"/me/appeals/new/{penalty.pk}/", {"statement": "It was my cousin."})
    assert response.status_code == 302 and response["Location"] == "/me/closed/"
    assert "Waiting for a decision" in closed_client.get("/me/closed/").content.decode()
    assert closed_client.post("/accounts/logout/").status_code == 302
    assert "_auth_user_id" not in closed_client.session


def test_login_of_a_closed_account_lands_on_the_notice(client, closed_user):
    from accounts.tests.factories import PASSWORD

    response = client.post(reverse("account_login"), {"login": closed_user.email, "password": PASSWORD}, follow=True)
    assert response.redirect_chain[-1][0] == "/me/closed/"
    assert "Your account is closed" in response.content.decode()


def test_an_open_account_is_not_gated_and_its_closed_page_sends_to_status(client):
    user = Level1UserFactory()
    client.force_login(user)
    home = client.get("/", HTTP_ACCEPT_LANGUAGE="en")
    assert home.status_code == 200
    assert 'name="text"' in home.content.decode() and "Your account is closed" not in home.content.decode()
    assert client.get("/me/closed/")["Location"] == reverse("moderation_public:status")


def test_lifting_the_closure_opens_the_account_again(closed_client, closed_user, senior):
    ladder.penalty_overturn(penalty=closed_user.penalties.get(), actor=senior)
    home = closed_client.get("/", HTTP_ACCEPT_LANGUAGE="en")
    assert home.status_code == 200
    html = home.content.decode()
    assert 'name="text"' in html, "the account may post again"
    assert "Your account is closed" not in html and "See why and how to appeal" not in html


# --- Identity bans ----------------------------------------------------------------------------

def _identity(user, number="11010519491231002X"):
    return identity_store(user=user, real_name="张三", document_type="resident_id", document_number=number)


def test_closing_bans_the_identity_for_ever(senior):
    user = Level2UserFactory()
    fingerprint = _identity(user).fingerprint
    assert policy.identity_allowed(fingerprint)
    apply_rung(user, Rung.CLOSE, moderator=senior, ban_days="forever")
    decision = policy.identity_allowed(fingerprint)
    assert not decision and decision.until is None and "new account" in decision.reason
    with time_machine.travel(timezone.now() + timedelta(days=3650)):
        assert not policy.identity_allowed(fingerprint)
    assert policy.identity_allowed("some-other-fingerprint")
    # Only the keyed hash is kept, never the number.
    assert IdentityBan.objects.get().fingerprint == fingerprint


def test_closing_bans_the_identity_for_a_period(senior):
    user = Level2UserFactory()
    fingerprint = _identity(user).fingerprint
    apply_rung(user, Rung.CLOSE, moderator=senior, ban_days=90)
    decision = policy.identity_allowed(fingerprint)
    assert not decision and decision.until is not None
    with time_machine.travel(timezone.now() + timedelta(days=89)):
        assert not policy.identity_allowed(fingerprint)
    with time_machine.travel(timezone.now() + timedelta(days=91)):
        assert policy.identity_allowed(fingerprint)


def test_rejected_identities_are_not_banned_and_overturning_lifts_the_ban(senior):
    user = Level2UserFactory()
    kept = _identity(user).fingerprint
    rejected = _identity(user, "110105199003071001")
    RealIdentity.objects.filter(pk=rejected.pk).update(status="rejected")
    penalty = apply_rung(user, Rung.CLOSE, moderator=senior)
    assert not policy.identity_allowed(kept) and policy.identity_allowed(rejected.fingerprint)
    ladder.penalty_overturn(penalty=penalty, actor=senior)
    assert policy.identity_allowed(kept)


def test_identity_rule_is_registered_with_the_policy():
    assert restrictions.identity_rule in policy._identity_checks
    assert restrictions.user_rule in policy._restrictions


# --- One query at most ------------------------------------------------------------------------

def _post_queries(client, text) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.post("/", {"text": text})
    assert response.status_code == 302
    return len(ctx.captured_queries)


def test_the_penalty_rule_adds_at_most_one_query_to_a_write(client):
    user = Level1UserFactory()
    client.force_login(user)
    _post_queries(client, "warm up")  # sessions, content types and the agreement cache
    with_rule = _post_queries(client, "with the rule")
    policy.unregister_restriction(restrictions.user_rule)
    try:
        without_rule = _post_queries(client, "without the rule")
    finally:
        policy.register_restriction(restrictions.user_rule)
    assert with_rule - without_rule <= 1
    assert Moment.objects.filter(author=user).count() == 3


def test_every_check_on_one_user_object_costs_one_query_with_1_or_3_penalties(moderator):
    user = Level2UserFactory()

    def cost_of_every_check() -> list[str]:
        fresh_user = type(user).objects.get(pk=user.pk)  # a new object: nothing cached yet
        return queries_of(lambda: [policy.check(fresh_user, action) for action in Action])

    apply_rung(user, Rung.RESTRICT, moderator=moderator)
    one = cost_of_every_check()
    apply_rung(user, Rung.WARN, moderator=moderator)
    apply_rung(user, Rung.SUSPEND, moderator=moderator)
    three = cost_of_every_check()
    assert len(one) == len(three) == 1, three
    decisions = {action: policy.check(type(user).objects.get(pk=user.pk), action) for action in Action}
    assert not decisions[Action.EDIT_PROFILE] and "suspended" in decisions[Action.EDIT_PROFILE].reason
    assert decisions[Action.REPORT]
