import inspect

import pytest

from accounts.tests.factories import UserFactory
from idcheck.models import IdCheckQuery
from idcheck.tasks import run_idcheck_for_identity

pytestmark = pytest.mark.django_db


def test_task_checks_a_stored_identity_once(identity_of, counting_backend):
    identity = identity_of("王五", "11010519491231002X")
    reviewer = UserFactory()
    assert run_idcheck_for_identity.delay(identity_id=identity.pk, requested_by_id=reviewer.pk).get() == "match"
    row = IdCheckQuery.objects.get()
    assert (row.fingerprint, row.requested_by_id, row.result) == (identity.fingerprint, reviewer.pk, "match")
    # Redelivered or asked again: already checked, nothing happens.
    assert run_idcheck_for_identity.delay(identity_id=identity.pk, requested_by_id=reviewer.pk).get() is None
    assert IdCheckQuery.objects.count() == 1 and len(counting_backend.calls) == 1


def test_the_same_number_on_another_account_is_not_paid_again(identity_of, counting_backend):
    first = identity_of("王五", "11010519491231002X")
    second = identity_of("王五", "110105 19491231 002x")
    run_idcheck_for_identity(identity_id=first.pk, requested_by_id=None)
    assert run_idcheck_for_identity(identity_id=second.pk, requested_by_id=None) is None
    assert len(counting_backend.calls) == 1


def test_task_is_quiet_for_a_missing_identity_or_another_document(identity_of, counting_backend):
    passport = identity_of("John Smith", "E12345678", document_type="passport")
    assert run_idcheck_for_identity(identity_id=10**9, requested_by_id=None) is None
    assert run_idcheck_for_identity(identity_id=passport.pk, requested_by_id=None) is None
    assert not IdCheckQuery.objects.exists() and counting_backend.calls == []


def test_task_takes_ids_only_and_is_acks_late():
    params = inspect.signature(run_idcheck_for_identity.run).parameters
    assert set(params) == {"identity_id", "requested_by_id"}
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in params.values())
    assert run_idcheck_for_identity.acks_late is True


def test_task_reports_the_budget_outcome(identity_of, settings):
    settings.IDCHECK_MONTHLY_BUDGET_FEN = 0
    identity = identity_of("王五", "11010519491231002X")
    assert run_idcheck_for_identity(identity_id=identity.pk, requested_by_id=None) == "budget_exhausted"
    assert not IdCheckQuery.objects.exists()
