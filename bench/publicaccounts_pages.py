"""Benchmark of the public-account pages on PostgreSQL.

(a) The account page and the subscriptions feed cost the same number of queries at 10 and at
    1,000 articles.
(b) Subscriptions-feed latency (p50/p95) with 10,000 articles and 1,000 subscriptions, against a
    baseline measured in the same run: the same page for a user with no subscriptions.

Usage (creates and drops a throwaway database `bench_pa` next to the one in DATABASE_URL):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test .venv/bin/python bench/publicaccounts_pages.py
    options: --requests N (default 200)  --keep (do not drop bench_pa)
"""

import argparse
import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

BENCH_DB = "bench_pa"
ROOT = Path(__file__).resolve().parent.parent


def say(line: str = "") -> None:
    """Report a line (stdout: the benchmark's output is its result, not logging)."""
    sys.stdout.write(f"{line}\n")
    sys.stdout.flush()


def _bench_url(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{BENCH_DB}"))


def _admin_conninfo(url: str) -> str:
    """Connect to the `postgres` maintenance database of the same server to create/drop bench_pa."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(scheme="postgresql", path="/postgres"))


def _recreate_database(url: str) -> None:
    import psycopg

    with psycopg.connect(_admin_conninfo(url), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{BENCH_DB}"')


def _drop_database(url: str) -> None:
    import psycopg

    with psycopg.connect(_admin_conninfo(url), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')


def _setup_django(url: str) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ["DATABASE_URL"] = _bench_url(url)
    # Test settings: fast password hashing, eager Celery, a temporary media folder, English pages.
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.test"
    import django

    django.setup()


def _timed(client, url: str, n: int) -> list[float]:
    for _ in range(5):  # warm-up: caches, connection, template loading
        assert client.get(url).status_code == 200
    samples = []
    for _ in range(n):
        start = time.perf_counter()
        response = client.get(url)
        samples.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200
    return samples


def _p(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _queries(client, url: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(url)  # the first request of a session also caches the agreement check
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def run(n_requests: int) -> None:
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from accounts.tests.factories import Level2UserFactory, UserFactory
    from publicaccounts.models import (
        Article,
        LicenceType,
        PublicAccount,
        Qualification,
        QualificationStatus,
        Subscription,
    )

    t0 = time.perf_counter()
    call_command("migrate", verbosity=0)
    say(f"migrated {BENCH_DB} in {time.perf_counter() - t0:.1f}s")
    now = timezone.now()
    today = timezone.localdate()
    owners = [Level2UserFactory() for _ in range(5)]

    def make_accounts(prefix: str, count: int) -> list[PublicAccount]:
        return PublicAccount.objects.bulk_create([
            PublicAccount(owner=owners[i % len(owners)], name=f"{prefix} {i}", name_key=f"{prefix}{i}".lower(),
                          handle=f"{prefix}-{i}".lower()) for i in range(count)])

    def make_articles(accounts, count: int, start: int = 0) -> None:
        batch = [Article(account=accounts[i % len(accounts)], title=f"Article {i}", body="Some *text*.",
                         body_html="<p>Some <em>text</em>.</p>", published_at=now - timedelta(minutes=i))
                 for i in range(start, start + count)]
        Article.objects.bulk_create(batch, batch_size=2000)

    # --- (a) query counts at 10 and at 1,000 articles ---------------------------------
    small = make_accounts("Q", 3)
    Qualification.objects.bulk_create([
        Qualification(account=a, licence_type=LicenceType.REPRODUCTION, licence_number=f"N{a.pk}",
                      issuing_authority="CAC", valid_from=today - timedelta(days=1),
                      valid_until=today + timedelta(days=100), status=QualificationStatus.APPROVED) for a in small])
    reader = UserFactory()
    Subscription.objects.bulk_create([Subscription(user=reader, account=a) for a in small])
    client = Client()
    client.force_login(reader)
    account_url, feed_url = f"/p/{small[0].handle}/", "/publicaccounts/feed/"
    make_articles(small, 10)
    at_10 = (_queries(client, account_url), _queries(client, feed_url))
    make_articles(small, 990, start=10)
    at_1000 = (_queries(client, account_url), _queries(client, feed_url))
    say("\n(a) queries per page        10 articles   1,000 articles")
    say(f"    account page /p/<h>/   {at_10[0]:>10}   {at_1000[0]:>14}")
    say(f"    subscriptions feed     {at_10[1]:>10}   {at_1000[1]:>14}")
    say(f"    constant: {'yes' if at_10 == at_1000 else 'NO'}")

    # --- (b) feed latency with 10,000 articles and 1,000 subscriptions ---------------------
    Article.objects.all().delete()
    t0 = time.perf_counter()
    accounts = make_accounts("F", 1_200)  # 1,000 subscribed, 200 not, so the feed must filter
    make_articles(accounts, 9_950)
    make_articles(accounts[:1], 50, start=9_950)  # one account with pages of its own, as a second reference
    Qualification.objects.bulk_create([
        Qualification(account=a, licence_type=LicenceType.REPRODUCTION, licence_number=f"N{a.pk}",
                      issuing_authority="CAC", valid_from=today - timedelta(days=1),
                      valid_until=today + timedelta(days=100), status=QualificationStatus.APPROVED)
        for a in accounts[::4]])
    heavy = UserFactory()
    Subscription.objects.bulk_create([Subscription(user=heavy, account=a) for a in accounts[:1_000]])
    empty = UserFactory()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    say(f"\ncreated 1,200 accounts, {Article.objects.count():,} articles, "
          f"{Subscription.objects.filter(user=heavy).count():,} subscriptions in {time.perf_counter() - t0:.1f}s")

    heavy_client, empty_client = Client(), Client()
    heavy_client.force_login(heavy)
    empty_client.force_login(empty)
    baseline = _timed(empty_client, feed_url, n_requests)
    account_page = _timed(heavy_client, f"/p/{accounts[0].handle}/", n_requests)
    feed = _timed(heavy_client, feed_url, n_requests)
    deep = _timed(heavy_client, f"{feed_url}?page=100", n_requests // 2)
    say(f"\n(b) {n_requests} requests each (Django test client, full middleware and template)")
    say("                                             p50 ms    p95 ms   p95 / baseline")
    rows = [("baseline: feed, no subscriptions", baseline),
            ("reference: account page, 20 articles", account_page),
            ("feed, 1,000 subscriptions, page 1", feed),
            ("feed, 1,000 subscriptions, page 100", deep)]
    for label, samples in rows:
        say(f"    {label:<38} {_p(samples, .5):>7.2f} {_p(samples, .95):>9.2f} "
              f"{_p(samples, .95) / _p(baseline, .95):>10.2f}x")
    say(f"    feed page 1 mean {statistics.mean(feed):.2f} ms; p95 vs the account page rendering as many "
          f"articles: {_p(feed, .95) / _p(account_page, .95):.2f}x")

    from publicaccounts.selectors import feed_for

    page_qs = feed_for(heavy)[:20]
    with connection.cursor() as cursor:
        sql, params = page_qs.query.sql_with_params()
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS OFF, TIMING ON) {sql}", params)
        plan = [row[0] for row in cursor.fetchall()]
    say("\n    plan of the feed page query (EXPLAIN ANALYZE):")
    for line in plan:
        say(f"      {line}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--keep", action="store_true", help=f"keep the {BENCH_DB} database afterwards")
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        sys.exit("Set DATABASE_URL=postgres://... (the benchmark creates and drops a database next to it).")
    started = time.perf_counter()
    _recreate_database(url)
    try:
        _setup_django(url)
        run(args.requests)
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep:
            _drop_database(url)
    say(f"\ntotal {time.perf_counter() - started:.1f}s")


if __name__ == "__main__":
    main()
