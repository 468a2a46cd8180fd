"""The queue's services against the database: open, claim, lapse, release, decide, withdraw."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.tests.factories import Level1UserFactory
from moderation import registry, services
from moderation.models import AuditEntry, ItemStatus, ReviewItem, TransitionNotAllowed
from moderation.services import QueueError
from social.tests.factories import make_friends

from .conftest import KIND, SENIOR_KIND, make_moderator, open_item

pytestmark = pytest.mark.django_db


def _actions(item) -> list[str]:
    return list(AuditEntry.objects.filter(target_type="moderation.reviewitem", target_id=str(item.pk))
                .order_by("pk").values_list("action", flat=True))


# --- Registry -------------------------------------------------------------------

def test_registry_lists_and_unregisters_kinds(dummy_kind):
    assert registry.get(KIND) is dummy_kind
    assert KIND in registry.kinds()
    registry.unregister(KIND)
    assert KIND not in registry.kinds()
    with pytest.raises(KeyError):
        registry.get(KIND)
    registry.unregister(KIND)  # twice is harmless


def test_may_review_by_group_or_superuser(moderator):
    dummy, senior = registry.get(KIND), registry.get(SENIOR_KIND)
    assert registry.may_review(moderator, dummy) and not registry.may_review(moderator, senior)
    assert set(registry.reviewable_kinds(moderator)) >= {KIND} and SENIOR_KIND not in registry.reviewable_kinds(moderator)
    boss = Level1UserFactory(is_superuser=True)
    assert registry.may_review(boss, senior) and SENIOR_KIND in registry.reviewable_kinds(boss)
    nobody = Level1UserFactory()
    assert not registry.may_review(nobody, dummy) and registry.reviewable_kinds(nobody) == {}
    moderator.is_active = False
    assert not registry.may_review(moderator, dummy) and registry.reviewable_kinds(moderator) == {}


def test_conflict_with_oneself_and_with_friends_registered_by_social(moderator):
    stranger, friend = Level1UserFactory(), Level1UserFactory()
    make_friends(moderator, friend)
    assert registry.has_conflict(moderator, moderator)
    assert registry.has_conflict(moderator, friend)
    assert not registry.has_conflict(moderator, stranger)
    assert not registry.has_conflict(moderator, None)


def test_conflict_check_registered_twice_runs_once():
    calls = []

    def check(reviewer, subject):
        calls.append(1)
        return False

    before = list(registry._conflict_checks)
    try:
        registry.register_conflict_check(check)
        registry.register_conflict_check(check)
        registry.has_conflict(Level1UserFactory(), Level1UserFactory())
        assert calls == [1]
    finally:
        registry._conflict_checks[:] = before


# --- Open -----------------------------------------------------------------------

def test_open_is_idempotent_and_merges_new_flags():
    subject = Level1UserFactory()
    first = open_item(subject=subject, flags=[{"code": "a", "text": "A"}])
    again = open_item(subject=subject, flags=[{"code": "a", "text": "A"}, {"code": "b", "text": "B"}])
    assert again.pk == first.pk
    assert ReviewItem.objects.get(pk=first.pk).flags == [{"code": "a", "text": "A"}, {"code": "b", "text": "B"}]
    assert _actions(first) == [f"review.{KIND}.open"]


def test_open_an_unregistered_kind_fails_loudly():
    with pytest.raises(KeyError):
        open_item(kind="no.such.kind")


def test_a_decided_object_can_be_queued_again(moderator, item):
    services.review_item_claim(item=item, reviewer=moderator)
    services.review_item_decide(item=item, reviewer=moderator, decision="approve")
    again = open_item(subject=item.subject)
    assert again.pk != item.pk and again.status == ItemStatus.OPEN


# --- Claim ----------------------------------------------------------------------

def test_claim_and_release(moderator, item):
    item = services.review_item_claim(item=item, reviewer=moderator)
    assert item.status == ItemStatus.CLAIMED and item.is_claimed_by(moderator)
    assert services.review_item_claim(item=item, reviewer=moderator).pk == item.pk  # again: harmless
    item = services.review_item_release(item=item, reviewer=moderator)
    assert item.status == ItemStatus.OPEN and item.claimed_by is None
    assert _actions(item) == [f"review.{KIND}.{a}" for a in ("open", "claim", "release")]


def test_release_by_someone_else_changes_nothing(moderator, other_moderator, item):
    services.review_item_claim(item=item, reviewer=moderator)
    item = services.review_item_release(item=item, reviewer=other_moderator)
    assert item.is_claimed_by(moderator)


def test_claim_refused_while_another_claim_is_live(moderator, other_moderator, item):
    services.review_item_claim(item=item, reviewer=moderator)
    with pytest.raises(QueueError, match="Another moderator"):
        services.review_item_claim(item=item, reviewer=other_moderator)


def test_no_claim_of_own_item_or_a_friends(moderator):
    own = open_item(subject=moderator)
    friend = Level1UserFactory()
    make_friends(moderator, friend)
    friends_item = open_item(subject=friend)
    for item in (own, friends_item):
        with pytest.raises(QueueError, match="of your own or of a friend"):
            services.review_item_claim(item=item, reviewer=moderator)
    assert services.review_item_claim_next(reviewer=moderator) is None


def test_claim_refused_for_a_kind_the_reviewer_may_not_review(moderator):
    item = open_item(kind=SENIOR_KIND)
    with pytest.raises(QueueError, match="not allowed"):
        services.review_item_claim(item=item, reviewer=moderator)
    assert services.review_item_claim_next(reviewer=moderator) is None
    senior = make_moderator("senior moderator")
    assert services.review_item_claim_next(reviewer=senior).pk == item.pk


def test_claim_next_takes_the_oldest_skipping_conflicts_and_kinds(moderator):
    friend = Level1UserFactory()
    make_friends(moderator, friend)
    oldest_but_friend = open_item(subject=friend)
    own = open_item(subject=moderator)
    first = open_item()
    second = open_item()
    ReviewItem.objects.filter(pk=oldest_but_friend.pk).update(created_at=timezone.now() - timedelta(hours=5))
    ReviewItem.objects.filter(pk=own.pk).update(created_at=timezone.now() - timedelta(hours=4))
    ReviewItem.objects.filter(pk=first.pk).update(created_at=timezone.now() - timedelta(hours=3))
    assert services.review_item_claim_next(reviewer=moderator).pk == first.pk
    assert services.review_item_claim_next(reviewer=moderator, kind=KIND).pk == second.pk
    assert services.review_item_claim_next(reviewer=moderator) is None
    assert services.review_item_claim_next(reviewer=moderator, kind=SENIOR_KIND) is None


def test_claim_next_skips_items_claimed_by_others(moderator, other_moderator, item):
    services.review_item_claim(item=item, reviewer=moderator)
    assert services.review_item_claim_next(reviewer=other_moderator) is None


def test_claim_lapses_after_idle_minutes(moderator, other_moderator, item, time_machine, settings):
    settings.REVIEW_CLAIM_TIMEOUT_MINUTES = 30
    time_machine.move_to(timezone.now(), tick=False)
    services.review_item_claim(item=item, reviewer=moderator)
    time_machine.shift(timedelta(minutes=29))
    item.refresh_from_db()
    assert item.is_claimed_by(moderator)
    with pytest.raises(QueueError):
        services.review_item_claim(item=item, reviewer=other_moderator)
    time_machine.shift(timedelta(minutes=2))
    item.refresh_from_db()
    assert not item.is_claimed_by(moderator) and not item.claim_is_live()
    # A lapsed claim is not revived by the old holder's page...
    services.review_item_touch(item=item, reviewer=moderator)
    item.refresh_from_db()
    assert not item.claim_is_live()
    # ...and someone else may take the item over, which the log records.
    assert services.review_item_claim_next(reviewer=other_moderator).pk == item.pk
    entry = AuditEntry.objects.filter(action=f"review.{KIND}.claim").order_by("-pk").first()
    assert entry.actor == other_moderator and entry.data == {"lapsed_claim_of": moderator.pk}
    with pytest.raises(QueueError, match="Claim this item"):
        services.review_item_decide(item=item, reviewer=moderator, decision="approve")


def test_touch_keeps_a_claim_alive(moderator, other_moderator, item, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    services.review_item_claim(item=item, reviewer=moderator)
    for _step in range(3):
        time_machine.shift(timedelta(minutes=20))
        services.review_item_touch(item=item, reviewer=moderator)
    item.refresh_from_db()
    assert item.is_claimed_by(moderator)
    assert services.review_item_claim_next(reviewer=other_moderator) is None


# --- Decide ---------------------------------------------------------------------

def test_decide_applies_the_kind_and_records_it(moderator, item, dummy_kind):
    services.review_item_claim(item=item, reviewer=moderator)
    item = services.review_item_decide(item=item, reviewer=moderator, decision="reject", reason_code="spam", note="Bot")
    assert (item.status, item.decision, item.reason_code, item.note, item.decided_by) == (
        ItemStatus.DECIDED, "reject", "spam", "Bot", moderator)
    assert dummy_kind.calls == [(item.pk, "reject", "spam")]
    assert item.subject.profile.__class__.objects.get(pk=item.subject_id).bio == "reject:spam"
    entry = AuditEntry.objects.get(action=f"review.{KIND}.decide")
    assert (entry.actor, entry.reason, entry.data) == (moderator, "Bot", {"decision": "reject", "reason_code": "spam"})


def test_decide_twice_by_the_same_reviewer_is_harmless(moderator, item, dummy_kind):
    services.review_item_claim(item=item, reviewer=moderator)
    services.review_item_decide(item=item, reviewer=moderator, decision="approve")
    again = services.review_item_decide(item=item, reviewer=moderator, decision="approve")
    assert again.status == ItemStatus.DECIDED and len(dummy_kind.calls) == 1
    assert AuditEntry.objects.filter(action=f"review.{KIND}.decide").count() == 1
    with pytest.raises(QueueError, match="already been decided"):
        services.review_item_decide(item=item, reviewer=moderator, decision="reject", reason_code="spam")


def test_decide_without_the_claim_is_refused(moderator, other_moderator, item, dummy_kind):
    with pytest.raises(QueueError, match="Claim this item"):
        services.review_item_decide(item=item, reviewer=moderator, decision="approve")
    services.review_item_claim(item=item, reviewer=moderator)
    with pytest.raises(QueueError, match="Claim this item"):
        services.review_item_decide(item=item, reviewer=other_moderator, decision="approve")
    services.review_item_decide(item=item, reviewer=moderator, decision="approve")
    with pytest.raises(QueueError, match="already been decided"):
        services.review_item_decide(item=item, reviewer=other_moderator, decision="approve")
    assert dummy_kind.calls == [(item.pk, "approve", "")]


@pytest.mark.parametrize(("decision", "reason", "note", "message"), [
    ("reject", "", "", "Choose a reason"),
    ("reject", "nonsense", "", "Choose a reason"),
    ("close", "", "a note", "not available"),  # senior moderators only
    ("nonsense", "", "", "not available"),
])
def test_decide_checks_the_option(moderator, item, dummy_kind, decision, reason, note, message):
    services.review_item_claim(item=item, reviewer=moderator)
    with pytest.raises(QueueError, match=message):
        services.review_item_decide(item=item, reviewer=moderator, decision=decision, reason_code=reason, note=note)
    item.refresh_from_db()
    assert item.status == ItemStatus.CLAIMED and dummy_kind.calls == []


def test_group_restricted_option_needs_the_group_and_its_note(item, dummy_kind):
    senior = make_moderator("moderator", "senior moderator")
    services.review_item_claim(item=item, reviewer=senior)
    with pytest.raises(QueueError, match="Write a note"):
        services.review_item_decide(item=item, reviewer=senior, decision="close", note="  ")
    services.review_item_decide(item=item, reviewer=senior, decision="close", note="Fraud ring")
    assert dummy_kind.calls == [(item.pk, "close", "")]


def test_decide_rechecks_conflicts_made_after_the_claim(moderator, item, dummy_kind):
    services.review_item_claim(item=item, reviewer=moderator)
    make_friends(moderator, item.subject)
    with pytest.raises(QueueError, match="of your own or of a friend"):
        services.review_item_decide(item=item, reviewer=moderator, decision="approve")
    assert dummy_kind.calls == []


def test_a_failing_kind_rolls_the_decision_back(moderator, item, dummy_kind, monkeypatch):
    def boom(**kwargs):
        raise QueueError("The profile changed meanwhile.")

    monkeypatch.setattr(dummy_kind, "decide", boom)
    services.review_item_claim(item=item, reviewer=moderator)
    with pytest.raises(QueueError, match="changed meanwhile"):
        services.review_item_decide(item=item, reviewer=moderator, decision="approve")
    item.refresh_from_db()
    assert item.status == ItemStatus.CLAIMED and not AuditEntry.objects.filter(action__endswith=".decide").exists()


# --- Withdraw and the state machine ------------------------------------------------

def test_withdraw_takes_the_item_out_of_the_queue(moderator, item):
    services.review_item_claim(item=item, reviewer=moderator)
    services.review_item_withdraw(target=item.target, kind=KIND, actor=item.subject, reason="user withdrew")
    item.refresh_from_db()
    assert item.status == ItemStatus.WITHDRAWN
    with pytest.raises(QueueError, match="withdrawn"):
        services.review_item_decide(item=item, reviewer=moderator, decision="approve")
    with pytest.raises(QueueError, match="withdrawn"):
        services.review_item_claim(item=item, reviewer=moderator)


def test_undeclared_transitions_are_refused(item):
    item.status = ItemStatus.DECIDED
    with pytest.raises(TransitionNotAllowed):
        item.transition(to=ItemStatus.OPEN)
    item.status = ItemStatus.OPEN
    with pytest.raises(TransitionNotAllowed):
        item.transition(to=ItemStatus.DECIDED)
