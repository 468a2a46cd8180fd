import datetime
import logging
import uuid

import pytest
from django.db import transaction
from django.test import RequestFactory
from django.utils import timezone
from django.utils.functional import Promise

from accounts.tests.factories import UserFactory
from idcheck import services
from idcheck.backends import ProviderResult
from idcheck.models import IdCheckQuery, QueryResult
from idcheck.services import idcheck_month_spend, idcheck_query, idcheck_result_for

from .fakes import fingerprint_of, valid_number

pytestmark = pytest.mark.django_db

WANG = ("王五", "11010519491231002X")


def _query(name, number, **kwargs):
    return idcheck_query(fingerprint=fingerprint_of(number), real_name=name, id_number=number, **kwargs)


def test_a_match_is_recorded_against_the_fingerprint_with_its_cost(identity_of):
    identity = identity_of(*WANG)
    reviewer = UserFactory()
    outcome = idcheck_query(fingerprint=identity.fingerprint, real_name=identity.real_name,
                            id_number=identity.document_number, requested_by=reviewer)
    assert (outcome.status, outcome.cached, outcome.cost_fen) == ("match", False, 500)
    assert str(outcome.label) == "The ID service says the name matches the number."
    assert isinstance(outcome.label, Promise) and "not proof" in str(outcome.note)
    row = IdCheckQuery.objects.get(pk=outcome.query_id)
    assert (row.fingerprint, row.requested_by, row.result, row.cost_fen, row.backend) == (
        identity.fingerprint, reviewer, "match", 500, "sandbox")
    assert row.reference == f"sandbox-{row.request_id}" and row.completed_at is not None
    assert WANG[1] not in row.fingerprint and len(row.fingerprint) == 64
    assert idcheck_month_spend() == 500


@pytest.mark.parametrize(("name", "number", "status", "label"), [
    ("张三", WANG[1], "mismatch", "does not match"),
    ("王五", "120101198001011234", "not_found", "no record"),
])
def test_mismatch_and_not_found_are_verdicts_too(name, number, status, label):
    outcome = _query(name, number)
    assert (outcome.status, outcome.cost_fen) == (status, 500)
    assert label in str(outcome.label) and outcome.note
    assert idcheck_result_for(fingerprint=fingerprint_of(number)) == outcome.__class__(
        status=status, cached=True, cost_fen=0, query_id=outcome.query_id, checked_at=outcome.checked_at)


def test_one_query_per_fingerprint_ever(counting_backend):
    first = _query(*WANG)
    # Same identity, even asked with another name or by another person: the kept verdict, free.
    second = _query("张三", WANG[1], requested_by=UserFactory())
    third = _query(*WANG)
    assert len(counting_backend.calls) == 1
    assert (first.cached, first.cost_fen) == (False, 500)
    for again in (second, third):
        assert (again.status, again.cached, again.cost_fen, again.query_id) == ("match", True, 0, first.query_id)
    assert IdCheckQuery.objects.count() == 1
    assert idcheck_month_spend() == 500


def test_result_for_is_none_until_a_verdict_and_never_calls(counting_backend):
    fp = fingerprint_of(WANG[1])
    assert idcheck_result_for(fingerprint=fp) is None
    IdCheckQuery.objects.create(fingerprint=fp, backend="x", result=QueryResult.PENDING, cost_fen=500)
    assert idcheck_result_for(fingerprint=fp) is None
    assert counting_backend.calls == []


def test_errors_are_not_kept_or_charged_and_a_later_call_queries_again(counting_backend):
    number = "110101199001019992"  # sandbox: error, not charged
    first = _query("王五", number)
    second = _query("王五", number)
    assert [(o.status, o.cached, o.cost_fen) for o in (first, second)] == [("error", False, 0)] * 2
    assert not first.note
    assert len(counting_backend.calls) == 2
    assert list(IdCheckQuery.objects.values_list("result", "cost_fen")) == [("error", 0), ("error", 0)]
    assert idcheck_result_for(fingerprint=fingerprint_of(number)) is None
    assert idcheck_month_spend() == 0


def test_an_error_is_charged_when_the_provider_says_it_charged():
    outcome = _query("王五", "110101199001019984")  # sandbox: error, charged
    assert (outcome.status, outcome.cost_fen) == ("error", 500)
    assert idcheck_month_spend() == 500


def test_after_an_error_a_retry_keeps_the_verdict(scripted_backend):
    scripted_backend.script = [ProviderResult("error"), ProviderResult("match", "R-2", charged=True)]
    assert _query(*WANG).status == "error"
    retry = _query(*WANG)
    assert (retry.status, retry.cached, retry.cost_fen) == ("match", False, 500)
    assert _query(*WANG).cached is True
    assert len(scripted_backend.calls) == 2 and len(set(scripted_backend.calls)) == 2


def test_an_uncharged_verdict_costs_nothing(scripted_backend):
    scripted_backend.script = [ProviderResult("match", "FREE-1", charged=False)]
    outcome = _query(*WANG)
    assert (outcome.status, outcome.cost_fen) == ("match", 0)
    assert IdCheckQuery.objects.get().reference == "FREE-1"


# --- Budget ---------------------------------------------------------------------

def test_the_budget_stops_queries_and_nothing_is_charged(settings, counting_backend):
    settings.IDCHECK_MONTHLY_BUDGET_FEN = 1000
    assert _query("王五", valid_number(101)).cost_fen == 500
    assert _query("王五", valid_number(102)).cost_fen == 500
    refused = _query("王五", valid_number(103))
    assert (refused.status, refused.cost_fen, refused.query_id, refused.cached) == ("budget_exhausted", 0, None, False)
    assert "budget" in str(refused.label) and not refused.note
    assert len(counting_backend.calls) == 2 and IdCheckQuery.objects.count() == 2
    assert idcheck_month_spend() == 1000
    # A kept verdict is still free to read.
    assert _query("王五", valid_number(101)).cached is True


def test_the_budget_refuses_a_query_that_would_cross_it(settings):
    settings.IDCHECK_MONTHLY_BUDGET_FEN = 499
    assert _query(*WANG).status == "budget_exhausted"
    assert not IdCheckQuery.objects.exists()


def test_reservations_of_calls_in_flight_count_against_the_budget(settings):
    settings.IDCHECK_MONTHLY_BUDGET_FEN = 1000
    IdCheckQuery.objects.create(fingerprint="a" * 64, backend="x", result=QueryResult.PENDING, cost_fen=500)
    IdCheckQuery.objects.create(fingerprint="b" * 64, backend="x", result=QueryResult.ERROR, cost_fen=500)
    assert _query(*WANG).status == "budget_exhausted"


def test_spend_is_per_calendar_month_in_shanghai(settings):
    shanghai = datetime.timezone(datetime.timedelta(hours=8))
    # 2026-01-31 16:30 UTC is already 1 February in Beijing time.
    rows = [(datetime.datetime(2026, 1, 31, 23, 59, tzinfo=shanghai), 100),
            (datetime.datetime(2026, 2, 1, 0, 30, tzinfo=shanghai), 200),
            (datetime.datetime(2026, 2, 28, 23, 59, tzinfo=shanghai), 400),
            (datetime.datetime(2026, 3, 1, 0, 0, tzinfo=shanghai), 800)]
    for i, (created_at, cost) in enumerate(rows):
        IdCheckQuery.objects.create(fingerprint=f"{i}" * 64, backend="x", result="match", cost_fen=cost,
                                    created_at=created_at)
    with timezone.override("UTC"):  # the viewer's timezone does not move the budget month
        assert idcheck_month_spend(month=datetime.date(2026, 1, 15)) == 100
        assert idcheck_month_spend(month=datetime.date(2026, 2, 1)) == 600
        assert idcheck_month_spend(month=datetime.datetime(2026, 1, 31, 16, 30, tzinfo=datetime.UTC)) == 600
        assert idcheck_month_spend(month=datetime.date(2026, 3, 31)) == 800


def test_last_months_spend_does_not_count_against_this_month(settings):
    settings.IDCHECK_MONTHLY_BUDGET_FEN = 500
    IdCheckQuery.objects.create(fingerprint="a" * 64, backend="x", result="match", cost_fen=500,
                                created_at=timezone.now() - datetime.timedelta(days=40))
    assert _query(*WANG).status == "match"


# --- Rate limit -----------------------------------------------------------------

def test_rate_limit_per_user_on_the_ledger(settings, counting_backend):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "idcheck_query": "2/h/user,3/d/user"}
    reviewer, other = UserFactory(), UserFactory()
    assert _query("王五", valid_number(201), requested_by=reviewer).status == "not_found"
    assert _query("王五", valid_number(202), requested_by=reviewer).status == "not_found"
    limited = _query("王五", valid_number(203), requested_by=reviewer)
    assert (limited.status, limited.cost_fen, limited.query_id) == ("rate_limited", 0, None)
    assert "Too many" in str(limited.label)
    assert len(counting_backend.calls) == 2
    # Reusing a kept verdict is free and not limited; other people and system tasks are not affected.
    assert _query("王五", valid_number(201), requested_by=reviewer).cached is True
    assert _query("王五", valid_number(204), requested_by=other).status == "not_found"
    assert _query("王五", valid_number(205)).status == "not_found"
    # An hour later the hourly window has room again, but the daily one (3) allows only one more.
    IdCheckQuery.objects.filter(requested_by=reviewer).update(created_at=timezone.now() - datetime.timedelta(hours=2))
    assert _query("王五", valid_number(206), requested_by=reviewer).status == "not_found"
    assert _query("王五", valid_number(207), requested_by=reviewer).status == "rate_limited"


def test_errors_count_towards_the_rate_limit(settings):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "idcheck_query": "1/h/user"}
    reviewer = UserFactory()
    assert _query("王五", "110101199001019992", requested_by=reviewer).status == "error"
    assert _query("王五", "110101199001019992", requested_by=reviewer).status == "rate_limited"


def test_with_a_request_allauths_limiter_applies_too(settings):
    # Per-IP limits can only be counted with a request: allauth's limiter does that.
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "idcheck_query": "1/h/ip,10/h/user"}
    reviewer = UserFactory()
    request = RequestFactory().post("/review/")
    request.user = reviewer
    assert _query("王五", valid_number(301), requested_by=reviewer, request=request).status == "not_found"
    assert _query("王五", valid_number(302), requested_by=reviewer, request=request).status == "rate_limited"
    assert _query("王五", valid_number(302), requested_by=reviewer).status == "not_found"


# --- Guard rails and recovery ---------------------------------------------------

@pytest.mark.parametrize(("fingerprint", "number"), [
    (fingerprint_of(WANG[1]), "E12345678"),
    (fingerprint_of(WANG[1]), "110105194912310021"),
    ("short", WANG[1]),
])
def test_only_valid_resident_id_numbers_with_a_fingerprint_are_checked(counting_backend, fingerprint, number):
    with pytest.raises(ValueError):
        idcheck_query(fingerprint=fingerprint, real_name="王五", id_number=number)
    assert not IdCheckQuery.objects.exists() and counting_backend.calls == []


def test_refuses_to_run_inside_the_callers_transaction(counting_backend):
    # A paid call must be recorded even if the caller's work rolls back: enqueue on commit instead.
    with pytest.raises(RuntimeError), transaction.atomic():
        _query(*WANG)
    assert counting_backend.calls == []


def test_a_broken_backend_settles_the_row_as_an_uncharged_error(settings, caplog):
    settings.IDCHECK_BACKEND = "idcheck.tests.fakes.RaisingBackend"
    caplog.set_level(logging.DEBUG)
    outcome = _query(*WANG)
    assert (outcome.status, outcome.cost_fen) == ("error", 0)
    assert IdCheckQuery.objects.get().result == "error"
    assert "RuntimeError" in caplog.text and "王五" not in caplog.text and WANG[1] not in caplog.text


def test_service_logs_never_contain_the_name_or_number(caplog, settings):
    caplog.set_level(logging.DEBUG)
    settings.IDCHECK_MONTHLY_BUDGET_FEN = 500
    _query(*WANG)
    _query(*WANG)
    _query("李四", "110101199003071233")
    assert "王五" not in caplog.text and WANG[1] not in caplog.text and "李四" not in caplog.text
    assert str(IdCheckQuery.objects.get().request_id) in caplog.text


def test_a_dead_callers_pending_row_is_retried_with_the_same_request_id(counting_backend):
    stale = IdCheckQuery.objects.create(fingerprint=fingerprint_of(WANG[1]), backend="sandbox",
                                        result=QueryResult.PENDING, cost_fen=500,
                                        created_at=timezone.now() - datetime.timedelta(minutes=5))
    outcome = _query(*WANG)
    assert [c["request_id"] for c in counting_backend.calls] == [str(stale.request_id)]
    assert (outcome.status, outcome.query_id, outcome.cost_fen) == ("match", stale.pk, 500)
    assert IdCheckQuery.objects.count() == 1 and idcheck_month_spend() == 500


def test_a_call_in_flight_is_not_duplicated(counting_backend, monkeypatch):
    # Someone reserved this identity a moment ago and has not answered: wait, never pay twice.
    monkeypatch.setattr(services, "WAIT_LIMIT_SECONDS", 0.2)
    pending = IdCheckQuery.objects.create(fingerprint=fingerprint_of(WANG[1]), backend="sandbox",
                                          result=QueryResult.PENDING, cost_fen=500, request_id=uuid.uuid4())
    outcome = _query(*WANG)
    assert (outcome.status, outcome.cost_fen, outcome.query_id) == ("error", 0, None)
    assert counting_backend.calls == []
    pending.refresh_from_db()
    assert pending.result == QueryResult.PENDING


# --- Through the HTTP provider --------------------------------------------------

@pytest.mark.parametrize(("mode", "status", "cost"), [
    ("answer", "match", 500),
    ("500", "error", 0),
    ("500-charged", "error", 500),
    ("malformed", "error", 0),
])
def test_the_ledger_row_is_the_providers_request(fake_provider, settings, mode, status, cost):
    settings.IDCHECK_BACKEND = "idcheck.backends.HttpBackend"
    fake_provider.mode = mode
    outcome = _query(*WANG, requested_by=UserFactory())
    assert (outcome.status, outcome.cost_fen) == (status, cost)
    row = IdCheckQuery.objects.get(pk=outcome.query_id)
    [received] = fake_provider.requests
    assert received["json"] == {"request_id": str(row.request_id), "name": WANG[0], "id_number": WANG[1]}
    assert (row.backend, row.result, row.cost_fen) == ("http", status, cost)
    assert row.reference == ("GOV-1" if mode == "answer" else "")


def test_a_wrong_token_is_an_uncharged_error_and_may_be_retried(fake_provider, settings):
    settings.IDCHECK_BACKEND = "idcheck.backends.HttpBackend"
    settings.IDCHECK_HTTP_TOKEN = "expired-token"
    assert (_query(*WANG).status, idcheck_month_spend()) == ("error", 0)
    settings.IDCHECK_HTTP_TOKEN = fake_provider.token
    assert _query(*WANG).status == "match"
    assert len(fake_provider.requests) == 2 and idcheck_month_spend() == 500


def test_a_timeout_is_an_uncharged_error(fake_provider, settings):
    settings.IDCHECK_BACKEND = "idcheck.backends.HttpBackend"
    settings.IDCHECK_HTTP_TIMEOUT_SECONDS = 0.2
    fake_provider.mode, fake_provider.delay = "sleep", 1.0
    outcome = _query(*WANG)
    assert (outcome.status, outcome.cost_fen) == ("error", 0)
    assert idcheck_result_for(fingerprint=fingerprint_of(WANG[1])) is None
