"""Concurrent callers on PostgreSQL: one payment per identity, no overspending, exact rate limits."""

import threading

import pytest
from django.db import connections

from accounts.tests.factories import UserFactory
from idcheck.models import IdCheckQuery
from idcheck.services import idcheck_month_spend, idcheck_query

from .fakes import fingerprint_of, valid_number

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

THREADS = 6


def _race(calls):
    """Run each (kwargs) through idcheck_query in its own thread, released together; return the outcomes."""
    barrier = threading.Barrier(len(calls))
    outcomes, errors = [None] * len(calls), []

    def work(i, kwargs):
        try:
            barrier.wait(timeout=10)
            outcomes[i] = idcheck_query(**kwargs)
        except Exception as exc:  # surfaced by the assertion below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(i, kw)) for i, kw in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    return outcomes


def _kwargs(number, name="王五", **extra):
    return {"fingerprint": fingerprint_of(number), "real_name": name, "id_number": number, **extra}


def test_concurrent_checks_of_one_identity_pay_once(counting_backend):
    counting_backend.reset(delay=0.3)  # a slow provider: everyone else arrives while the call is in flight
    outcomes = _race([_kwargs("11010519491231002X") for _ in range(THREADS)])
    assert len(counting_backend.calls) == 1
    assert {o.status for o in outcomes} == {"match"}
    paid = [o for o in outcomes if not o.cached]
    assert len(paid) == 1 and paid[0].cost_fen == 500
    assert all(o.cost_fen == 0 and o.query_id == paid[0].query_id for o in outcomes if o.cached)
    assert IdCheckQuery.objects.count() == 1
    assert idcheck_month_spend() == 500


def test_concurrent_checks_cannot_overspend_the_budget(counting_backend, settings):
    settings.IDCHECK_MONTHLY_BUDGET_FEN = 1000
    counting_backend.reset(delay=0.1)
    outcomes = _race([_kwargs(valid_number(400 + i)) for i in range(THREADS)])
    statuses = sorted(o.status for o in outcomes)
    assert statuses == ["budget_exhausted"] * (THREADS - 2) + ["not_found"] * 2
    assert len(counting_backend.calls) == 2
    assert idcheck_month_spend() == 1000


def test_concurrent_checks_by_one_user_respect_the_rate_limit(counting_backend, settings):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "idcheck_query": "2/h/user"}
    reviewer = UserFactory()
    counting_backend.reset(delay=0.1)
    outcomes = _race([_kwargs(valid_number(500 + i), requested_by=reviewer) for i in range(THREADS)])
    statuses = sorted(o.status for o in outcomes)
    assert statuses == ["not_found"] * 2 + ["rate_limited"] * (THREADS - 2)
    assert IdCheckQuery.objects.filter(requested_by=reviewer).count() == 2


def test_concurrent_errors_are_never_kept(counting_backend):
    # Sandbox error numbers: each caller may try (errors are not kept) and none is charged.
    outcomes = _race([_kwargs("110101199001019992") for _ in range(3)])
    assert {(o.status, o.cost_fen) for o in outcomes} == {("error", 0)}
    assert not IdCheckQuery.objects.exclude(result="error").exists()
    assert idcheck_month_spend() == 0
