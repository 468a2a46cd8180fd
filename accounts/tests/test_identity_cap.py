"""The per-identity account cap both ways to level 2 ask: who else holds an identity, and the lock for a grant."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts import services
from accounts.models import IdentityStatus, User
from accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

NUMBER = "11010519491231002X"


def _claim(user, status=IdentityStatus.CONFIRMED, number=NUMBER):
    identity = services.identity_store(user=user, real_name="张三", document_type="resident_id",
                                       document_number=number)
    identity.status = status
    identity.save(update_fields=["status"])
    return identity


def test_only_other_accounts_with_the_identity_confirmed_count(settings):
    settings.IDENTITY_MAX_ACCOUNTS = 2
    applicant, confirmed, pending, revoked, other_person = UserFactory.create_batch(5)
    claim = _claim(applicant, IdentityStatus.PENDING)
    _claim(confirmed)
    _claim(pending, IdentityStatus.PENDING)
    _claim(revoked, IdentityStatus.REVOKED)
    _claim(other_person, number="110101199003071233")

    cap = services.identity_cap_check(fingerprint=claim.fingerprint, exclude_user=applicant, uncounted_user_ids=[])

    assert cap.account_ids == [confirmed.pk] and cap.limit == 2 and not cap.reached
    settings.IDENTITY_MAX_ACCOUNTS = 1
    assert services.identity_cap_check(fingerprint=claim.fingerprint, exclude_user=applicant.pk,
                                       uncounted_user_ids=[]).reached


def test_accounts_the_caller_says_no_longer_hold_their_identity_do_not_count():
    applicant, closed = UserFactory.create_batch(2)
    claim = _claim(applicant, IdentityStatus.PENDING)
    _claim(closed)

    assert services.identity_cap_check(fingerprint=claim.fingerprint, exclude_user=applicant,
                                       uncounted_user_ids=[]).reached
    cap = services.identity_cap_check(fingerprint=claim.fingerprint, exclude_user=applicant,
                                      uncounted_user_ids=User.objects.filter(pk=closed.pk).values("pk"))
    assert cap.account_ids == [] and not cap.reached


def test_the_lock_takes_every_identity_row_of_the_fingerprint():
    first, second = UserFactory.create_batch(2)
    claim = _claim(first, IdentityStatus.PENDING)
    _claim(second)
    with CaptureQueriesContext(connection) as captured:
        services.identity_lock(fingerprint=claim.fingerprint)
    [query] = captured.captured_queries  # one statement locks them all
    sql = query["sql"]
    assert "accounts_realidentity" in sql and claim.fingerprint in sql
    # The race itself is shown on PostgreSQL (verification/documents/tests/test_concurrency.py).
    if connection.features.has_select_for_update:
        assert "FOR UPDATE" in sql
