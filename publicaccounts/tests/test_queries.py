"""Pages cost the same number of queries whatever the number of articles, accounts and qualifications."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.tests.factories import UserFactory
from publicaccounts.models import Article, LicenceType, Subscription

from .factories import make_account, make_qualification

pytestmark = pytest.mark.django_db


def _grow(accounts, n):
    now = timezone.now()
    Article.objects.bulk_create([
        Article(account=accounts[i % len(accounts)], title=f"A{i}", body="b", body_html="<p>b</p>",
                published_at=now - timedelta(minutes=i)) for i in range(n)])


def _count(client, url) -> int:
    client.get(url)  # the first request of a session also caches the agreement check
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_account_page_and_feed_have_constant_query_counts(client):
    accounts = [make_account(handle=f"acc-q{i}") for i in range(3)]
    for account in accounts:
        make_qualification(account, licence_type=LicenceType.REPRODUCTION)
    reader = UserFactory()
    for account in accounts:
        Subscription.objects.create(user=reader, account=account)
    client.force_login(reader)
    _grow(accounts, 3)
    small = (_count(client, "/p/acc-q0/"), _count(client, "/publicaccounts/feed/"))
    more = [make_account(handle=f"acc-r{i}") for i in range(5)]
    for account in more:
        make_qualification(account)
        make_qualification(account, licence_type=LicenceType.ORIGINAL)
        Subscription.objects.create(user=reader, account=account)
    _grow(accounts + more, 60)
    large = (_count(client, "/p/acc-q0/"), _count(client, "/publicaccounts/feed/"))
    assert small == large
