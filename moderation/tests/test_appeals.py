"""Appeals: one per action, within the window, never judged by the moderator who acted; upheld undoes exactly it."""

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from accounts import policy
from accounts.models import Notification, User
from accounts.policy import Action
from accounts.tests.factories import Level2UserFactory
from conftest import mfa_login
from moderation import appeals, hooks, registry, reports, selectors, services
from moderation.models import Appeal, AppealStatus, AuditEntry, IdentityBan, ItemStatus, PenaltyStatus, ReviewItem, Rung

from .conftest import CONTENT_KEY, REMOVED_PREFIX, apply_rung, make_moderator

pytestmark = pytest.mark.django_db


def fresh(user) -> User:
    return User.objects.get(pk=user.pk)


def _appeal(penalty, text="It was a misunderstanding."):
    return appeals.appeal_create(penalty=penalty, appellant=penalty.owner, statement=text)


def _decide(appeal, reviewer, decision, note=""):
    item = ReviewItem.objects.get(kind="appeal", object_id=appeal.pk)
    services.review_item_claim(item=item, reviewer=reviewer)
    return services.review_item_decide(item=item, reviewer=reviewer, decision=decision, note=note)


def test_appeal_goes_to_the_queue(moderator):
    user = Level2UserFactory()
    penalty = apply_rung(user, Rung.RESTRICT, moderator=moderator)
    appeal = _appeal(penalty)
    item = ReviewItem.objects.get(kind="appeal")
    assert item.target == appeal and item.subject == user and item.status == ItemStatus.OPEN
    assert appeal.status == AppealStatus.PENDING and appeal.statement == "It was a misunderstanding."


def test_one_appeal_per_action(moderator):
    penalty = apply_rung(Level2UserFactory(), Rung.WARN, moderator=moderator)
    _appeal(penalty)
    with pytest.raises(appeals.AppealError, match="one appeal per action"):
        _appeal(penalty, "Again")
    assert Appeal.objects.count() == 1


def test_the_window_closes_after_30_days(moderator, settings):
    penalty = apply_rung(Level2UserFactory(), Rung.WARN, moderator=moderator)
    with time_machine.travel(timezone.now() + timedelta(days=29, hours=23)):
        assert appeals.appeal_refusal(penalty) == ""
    with time_machine.travel(timezone.now() + timedelta(days=30, minutes=1)):
        with pytest.raises(appeals.AppealError, match="passed"):
            _appeal(penalty)
    settings.APPEAL_WINDOW_DAYS = 60
    with time_machine.travel(timezone.now() + timedelta(days=45)):
        assert _appeal(penalty).pk


def test_only_the_owner_may_appeal(moderator):
    penalty = apply_rung(Level2UserFactory(), Rung.WARN, moderator=moderator)
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        appeals.appeal_create(penalty=penalty, appellant=Level2UserFactory(), statement="Not mine")


def test_the_moderator_who_acted_may_not_judge_the_appeal(moderator, other_moderator):
    penalty = apply_rung(Level2UserFactory(), Rung.SUSPEND, moderator=moderator)
    appeal = _appeal(penalty)
    item = ReviewItem.objects.get(kind="appeal")
    kind = registry.get("appeal")
    assert kind.options(item=item, obj=appeal, reviewer=moderator) == ()
    with pytest.raises(services.QueueError, match="someone else"):
        services.review_item_claim(item=item, reviewer=moderator)
    # Claim-next skips it for them and gives it to someone else.
    assert services.review_item_claim_next(reviewer=moderator, kind="appeal") is None
    assert services.review_item_claim_next(reviewer=other_moderator, kind="appeal") == item
    # The service refuses too, whatever reaches it.
    with pytest.raises(appeals.AppealError):
        appeals.appeal_decide(appeal=appeal, reviewer=moderator, uphold=True)


def test_upheld_appeal_undoes_exactly_that_action(moderator, other_moderator, content_target, django_capture_on_commit_callbacks):
    user = Level2UserFactory(language="en")
    earlier = apply_rung(user, Rung.WARN, moderator=moderator, rule="community")
    profile = user.profile
    profile.bio = "The offending text"
    profile.save()
    reports.report_create(reporter=Level2UserFactory(), target_key=CONTENT_KEY, obj=profile, category="fraud")
    penalty = apply_rung(user, Rung.SUSPEND, moderator=moderator, remove_content=profile, days=30)
    profile.refresh_from_db()
    assert profile.bio.startswith(REMOVED_PREFIX) and not policy.check(fresh(user), Action.EDIT_PROFILE)
    assert selectors.suggested_rung(user) == Rung.CLOSE

    _decide(_appeal(penalty), other_moderator, "uphold", note="The text was satire.")

    penalty.refresh_from_db()
    assert penalty.status == PenaltyStatus.OVERTURNED and penalty.ends_at <= timezone.now()
    assert penalty.overturned_by == other_moderator and penalty.strike.overturned_at is not None
    assert policy.check(fresh(user), Action.EDIT_PROFILE)
    profile.refresh_from_db()
    assert profile.bio == "The offending text"
    # The other action stays: its strike still counts.
    earlier.refresh_from_db()
    assert earlier.status == PenaltyStatus.ACTIVE and earlier.strike.overturned_at is None
    assert selectors.suggested_rung(user) == Rung.RESTRICT
    appeal = Appeal.objects.get()
    assert appeal.status == AppealStatus.UPHELD and appeal.decided_by == other_moderator
    assert Notification.objects.get(user=user, kind="appeal.upheld").title == "Your appeal was upheld"
    assert {"penalty.overturn", "appeal.uphold"} <= set(AuditEntry.objects.values_list("action", flat=True))


def test_upheld_closure_reopens_the_account_lifts_the_ban_and_runs_the_hook(senior):
    from accounts.services import identity_store

    user = Level2UserFactory()
    fingerprint = identity_store(user=user, real_name="李四", document_type="resident_id",
                                 document_number="110105199003071001").fingerprint
    penalty = apply_rung(user, Rung.CLOSE, moderator=senior)
    assert selectors.user_is_closed(fresh(user)) and not policy.identity_allowed(fingerprint)
    reopened = []

    def reopen(*, user, penalty, actor):
        reopened.append(user.pk)

    hooks.on_user_reopened.connect(reopen)
    try:
        # Judged by another senior moderator: a closure is undone only by one (test_closure_appeals.py).
        _decide(_appeal(penalty), make_moderator("moderator", "senior moderator"), "uphold")
    finally:
        hooks.on_user_reopened.disconnect(reopen)
    assert reopened == [user.pk]
    assert not selectors.user_is_closed(fresh(user)) and policy.identity_allowed(fingerprint)
    assert IdentityBan.objects.get().lifted_at is not None


def test_denied_appeal_needs_a_reply_and_changes_nothing(moderator, other_moderator):
    user = Level2UserFactory(language="en")
    penalty = apply_rung(user, Rung.RESTRICT, moderator=moderator)
    appeal = _appeal(penalty)
    with pytest.raises(services.QueueError, match="note"):
        _decide(appeal, other_moderator, "deny", note="  ")
    with pytest.raises(appeals.AppealError, match="reply"):
        appeals.appeal_decide(appeal=appeal, reviewer=other_moderator, uphold=False, reply="")
    item = ReviewItem.objects.get(kind="appeal")
    services.review_item_decide(item=item, reviewer=other_moderator, decision="deny", note="The links were spam.")
    appeal.refresh_from_db()
    penalty.refresh_from_db()
    assert appeal.status == AppealStatus.DENIED and appeal.reply == "The links were spam."
    assert penalty.status == PenaltyStatus.ACTIVE and not policy.check(fresh(user), Action.POST_MOMENT)
    note = Notification.objects.get(user=user, kind="appeal.denied")
    assert note.title == "Your appeal was denied" and "The links were spam." in note.body
    with pytest.raises(appeals.AppealError, match="already"):
        appeals.appeal_decide(appeal=appeal, reviewer=make_moderator(), uphold=True)


# --- Pages ------------------------------------------------------------------------------------

def test_status_page_lists_measures_strikes_and_appeals(client, moderator, other_moderator):
    user = Level2UserFactory(language="en")
    warned = apply_rung(user, Rung.WARN, moderator=moderator, reason="First notice")
    restricted = apply_rung(user, Rung.RESTRICT, moderator=other_moderator, reason="Spam again", days=7)
    _appeal(warned)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    client.force_login(user)
    html = client.get(reverse("moderation_public:status")).content.decode()
    for text in ("Measures in force", "Spam again", "First notice", "Waiting for a decision",
                 reverse("moderation_public:appeal_create", args=[restricted.pk]), "counts now"):
        assert text in html, text
    assert reverse("moderation_public:appeal_create", args=[warned.pk]) not in html


def test_status_page_of_a_user_in_good_standing(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    client.force_login(Level2UserFactory())
    assert "good standing" in client.get("/me/status/").content.decode()


def test_appeal_page_is_404_for_someone_elses_penalty(client, moderator):
    penalty = apply_rung(Level2UserFactory(), Rung.WARN, moderator=moderator)
    client.force_login(Level2UserFactory())
    assert client.get(reverse("moderation_public:appeal_create", args=[penalty.pk])).status_code == 404


def test_appeal_page_keeps_the_statement_and_refuses_a_second_appeal(client, moderator):
    user = Level2UserFactory()
    penalty = apply_rung(user, Rung.WARN, moderator=moderator)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    client.force_login(user)
    url = reverse("moderation_public:appeal_create", args=[penalty.pk])
    assert client.post(url, {"statement": ""}).status_code == 400
    assert client.post(url, {"statement": "Please look again"}).status_code == 302
    response = client.get(url)
    assert "one appeal per action" in response.content.decode() and 'name="statement"' not in response.content.decode()


def test_appeal_item_page_for_the_moderator_who_acted_and_for_another(client, moderator, other_moderator):
    penalty = apply_rung(Level2UserFactory(), Rung.WARN, moderator=moderator, reason="Rude words")
    _appeal(penalty, "I was quoting someone")
    item = ReviewItem.objects.get(kind="appeal")
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    mfa_login(client, moderator)
    html = client.get(reverse("moderation:item", args=[item.pk])).content.decode()
    assert "someone else must judge" in html and "I was quoting someone" in html
    mfa_login(client, other_moderator)
    client.post(reverse("moderation:claim", args=[item.pk]))
    html = client.get(reverse("moderation:item", args=[item.pk])).content.decode()
    assert 'value="uphold"' in html and "Reply to the user" in html
