"""Races on a real PostgreSQL: each thread has its own connection, and they start at the same moment."""


import pytest

from core.testing import race
from moderation import audit, services
from moderation.models import AuditEntry, ItemStatus, ReviewItem
from moderation.services import QueueError

from .conftest import KIND, make_moderator, open_item

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]



def test_two_moderators_claiming_next_on_one_item_only_one_gets_it():
    item = open_item()
    first, second = make_moderator(), make_moderator()
    results = race(lambda: services.review_item_claim_next(reviewer=first),
                   lambda: services.review_item_claim_next(reviewer=second))
    assert not any(isinstance(r, Exception) for r in results), results
    got = [r for r in results if r is not None]
    assert len(got) == 1 and got[0].pk == item.pk
    item.refresh_from_db()
    assert item.status == ItemStatus.CLAIMED and item.claimed_by_id in {first.pk, second.pk}
    assert AuditEntry.objects.filter(action=f"review.{KIND}.claim").count() == 1


def test_many_moderators_claiming_next_each_get_a_different_item():
    items = [open_item() for _ in range(3)]
    moderators = [make_moderator() for _ in range(5)]
    results = race(*[lambda m=m: services.review_item_claim_next(reviewer=m) for m in moderators])
    assert not any(isinstance(r, Exception) for r in results), results
    got = [r.pk for r in results if r is not None]
    assert sorted(got) == sorted(i.pk for i in items)  # every item once, nobody twice
    assert audit.verify_chain() == []


def test_racing_decisions_make_exactly_one(kinds):
    dummy = kinds["dummy"]
    item = open_item()
    holder, other = make_moderator(), make_moderator()
    services.review_item_claim(item=item, reviewer=holder)
    decide = lambda who: lambda: services.review_item_decide(item=item, reviewer=who, decision="approve")  # noqa: E731
    results = race(decide(holder), decide(holder), decide(other))
    # The holder's double submit is harmless (both get the decided item); the other moderator is refused.
    assert [type(r) for r in results[:2]] == [ReviewItem, ReviewItem], results
    assert isinstance(results[2], QueueError)
    item.refresh_from_db()
    assert (item.status, item.decided_by_id, item.decision) == (ItemStatus.DECIDED, holder.pk, "approve")
    assert len(dummy.calls) == 1
    assert AuditEntry.objects.filter(action=f"review.{KIND}.decide").count() == 1
    assert audit.verify_chain() == []


def test_concurrent_records_chain_strictly():
    actor = make_moderator()
    n = 8
    results = race(*[lambda i=i: audit.record(actor=actor, action="test.concurrent", data={"i": i}) for i in range(n)])
    assert not any(isinstance(r, Exception) for r in results), results
    entries = list(AuditEntry.objects.filter(action="test.concurrent").order_by("pk"))
    assert len(entries) == n
    # One chain, no fork: every entry follows exactly the one before it.
    assert len({e.prev_hash for e in entries}) == n
    assert audit.verify_chain() == []
