"""Moderation benchmark: (a) what the penalty rule costs a write, (b) the review queue with 100,000 open reports.

Run from the project root with PostgreSQL:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test .venv/bin/python bench/moderation_bench.py

It creates a throwaway database `bench_mod` next to the one DATABASE_URL names, migrates it,
fills it, measures through the Django test client (the whole middleware stack), prints the
figures and drops the database again. About a minute on a laptop.
"""

import os
import statistics
import sys
import time

from harness import admin_sql, fresh_database, out  # noqa: E402 (bench/ is the script's folder)

BENCH_DB = "bench_mod"
OPEN_REPORTS = 100_000
DECIDED_REPORTS = 2_000
REQUESTS = 40


def _setup(url: str) -> None:
    fresh_database(url, BENCH_DB)


def _mfa_client(user):
    """A test client logged in as `user`, as if password and TOTP were passed in this session."""
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP
    from django.test import Client

    if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
        TOTP.activate(user, "JBSWY3DPEHPK3PXP")
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    session = client.session
    session["account_authentication_methods_user"] = str(user.pk)
    session["account_authentication_methods"] = [{"method": "password", "at": time.time(), "email": user.email},
                                                 {"method": "mfa", "at": time.time(), "type": "totp"}]
    session.save()
    return client


def _post_queries(client, text: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        response = client.post("/", {"text": text})
    assert response.status_code == 302, response.status_code
    return len(ctx.captured_queries)


def part_a() -> None:
    """The same moment POST with the moderation rule registered and unregistered, and with penalties on record."""
    from datetime import timedelta

    from django.test import Client
    from django.utils import timezone

    from accounts import policy
    from accounts.tests.factories import Level1UserFactory, Level2UserFactory
    from moderation import restrictions
    from moderation.models import Penalty, Rung

    user = Level1UserFactory()
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    _post_queries(client, "warm-up")  # content types, the agreement cache, the session
    with_rule = [_post_queries(client, f"with rule {i}") for i in range(5)]
    policy.unregister_restriction(restrictions.user_rule)
    try:
        without_rule = [_post_queries(client, f"without rule {i}") for i in range(5)]
    finally:
        policy.register_restriction(restrictions.user_rule)
    moderator = Level2UserFactory()
    now = timezone.now()
    # A warning (no effect) and an ended restriction on record: still one query, and the post goes through.
    Penalty.objects.create(user=user, owner=user, action=Rung.WARN, rule="community", reason="r", moderator=moderator)
    Penalty.objects.create(user=user, owner=user, action=Rung.RESTRICT, rule="community", reason="r",
                           moderator=moderator, created_at=now - timedelta(days=8), ends_at=now - timedelta(days=1))
    with_history = [_post_queries(client, f"with history {i}") for i in range(5)]
    out("(a) queries of one moment POST to / as a level-1 user (5 runs each)")
    out(f"    moderation rule unregistered : {without_rule}")
    out(f"    moderation rule registered   : {with_rule}")
    out(f"    registered, penalties on file: {with_history}")
    out(f"    difference (registered - unregistered): {max(with_rule) - min(without_rule)} (budget: at most 1)")


def _fill_queue() -> None:
    """100,000 open report cases (one report each) and a few decided ones, inserted in bulk by SQL."""
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection

    from accounts.models import User
    from accounts.tests.factories import Level1UserFactory

    people = [Level1UserFactory().pk for _ in range(200)]
    ct = ContentType.objects.get_for_model(User).pk
    with connection.cursor() as cur:
        cur.execute("""
            INSERT INTO moderation_reviewitem (kind, content_type_id, object_id, subject_id, summary, flags, status,
                                               created_at, decision, reason_code, note)
            SELECT 'report', %s, g, (%s::bigint[])[1 + g %% 200], 'User profile · 1 report', '[]'::jsonb,
                   CASE WHEN g <= %s THEN 'decided' ELSE 'open' END,
                   now() - make_interval(secs => g), CASE WHEN g <= %s THEN 'dismiss' ELSE '' END, '', ''
            FROM generate_series(1, %s) AS g
        """, [ct, people, DECIDED_REPORTS, DECIDED_REPORTS, OPEN_REPORTS + DECIDED_REPORTS])
        cur.execute("UPDATE moderation_reviewitem SET decided_at = created_at WHERE status = 'decided'")
        cur.execute("""
            INSERT INTO moderation_reportcase (item_id, target_key, owner_id, snapshot, report_count, outcome)
            SELECT id, 'user', subject_id, '{"title": "a nickname", "text": "a bio"}'::jsonb, 1,
                   CASE WHEN status = 'decided' THEN 'dismissed' ELSE '' END
            FROM moderation_reviewitem WHERE kind = 'report'
        """)
        cur.execute("""
            INSERT INTO moderation_report (reporter_id, case_id, category, text, created_at)
            SELECT (%s::bigint[])[1 + (item_id + 7) %% 200], item_id, 'fraud', '', now() FROM moderation_reportcase
        """, [people])
    with connection.cursor() as cur:
        # As autovacuum leaves a table in steady state: visibility map set, statistics fresh.
        cur.execute("VACUUM ANALYZE")


def _time(client, url: str, n: int) -> list[float]:
    timings = []
    for _ in range(n):
        start = time.perf_counter()
        response = client.get(url)
        timings.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return timings


def _p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1]


def part_b() -> None:
    """The queue page with 100,000 open reports, against a trivial page, as a moderator with MFA passed."""
    from django.contrib.auth.models import Group
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from accounts.tests.factories import Level2UserFactory
    from moderation.models import ReviewItem

    started = time.perf_counter()
    _fill_queue()
    filled = time.perf_counter() - started
    moderator = Level2UserFactory()
    moderator.groups.add(Group.objects.get(name="moderator"))
    client = _mfa_client(moderator)
    pages = {"/review/": "queue, all kinds", "/review/?kind=report": "queue, reports only",
             "/review/?page=1000": "queue, page 1000", "/review/dashboard/": "dashboard"}
    baseline_url = "/agreement/"
    for url in [*pages, baseline_url]:
        _time(client, url, 3)  # warm caches and plans
    with CaptureQueriesContext(connection) as ctx:
        client.get("/review/")
    # Read now: the next request empties the connection's query log that captured_queries reads.
    queue_queries = len(ctx.captured_queries)
    baseline = _time(client, baseline_url, REQUESTS)
    results = {url: _time(client, url, REQUESTS) for url in pages}
    pending = ReviewItem.objects.filter(status="open").count()
    out(f"(b) review queue with {pending:,} open report cases ({filled:.1f}s to insert), {REQUESTS} requests each")
    out(f"    queries on /review/: {queue_queries}")
    out(f"    baseline {baseline_url:<22} p50 {statistics.median(baseline):7.1f} ms   p95 {_p95(baseline):7.1f} ms")
    for url, label in pages.items():
        values = results[url]
        out(f"    {label:<31} p50 {statistics.median(values):7.1f} ms   p95 {_p95(values):7.1f} ms   "
              f"p95 ratio to baseline {_p95(values) / _p95(baseline):4.1f}x")


def main() -> int:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        out("Set DATABASE_URL=postgres://... (the benchmark creates and drops a database next to it).")
        return 2
    began = time.perf_counter()
    _setup(url)
    try:
        part_a()
        part_b()
    finally:
        from django.db import connections

        connections.close_all()
        admin_sql(url, f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
    out(f"done in {time.perf_counter() - began:.0f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
