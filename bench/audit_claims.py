"""Audit log benchmark: 16 moderators claiming from 10,000 review items at once, audited, against a bare claim loop.

Run from the project root with PostgreSQL:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test .venv/bin/python bench/audit_claims.py

It creates a throwaway database `bench_audit` next to the one DATABASE_URL names, migrates it, fills it
with 10,000 open report cases, and runs, in one process and the same run:

- the real service: 16 threads, each a moderator, calling `review_item_claim_next()` until the queue is
  empty (each claim locks one item with SKIP LOCKED, takes it and writes an audit entry; the entries are
  chained after each commit by whichever thread gets the sequencer's advisory lock);
- the bare loop: the same 10,000 items reopened, 16 threads each running `SELECT ... FOR UPDATE SKIP
  LOCKED` + `UPDATE` in a transaction until none is left.

It prints claims/s of both, the ratio (goal: at least 0.6), the number of items claimed twice (must be 0),
and whether the audit chain verifies once everything is chained. Then it drops the database.
"""

import os
import sys
import threading
import time
from collections import Counter

from harness import admin_sql, fresh_database, out  # noqa: E402 (bench/ is the script's folder)

BENCH_DB = "bench_audit"
ITEMS = int(os.environ.get("BENCH_ITEMS", "10000"))
THREADS = 16


def _setup(url: str) -> None:
    fresh_database(url, BENCH_DB)
    from django.conf import settings

    # As in production (the test settings chain after every commit so tests can read the chain at once).
    settings.AUDIT_CHAIN_INTERVAL_SECONDS = float(os.environ.get("AUDIT_CHAIN_INTERVAL_SECONDS", "1.0"))


def _fill() -> list:
    """10,000 open report cases about 200 members, and 16 moderators who are friends with none of them."""
    from django.contrib.auth.models import Group
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection

    from accounts.models import User
    from accounts.tests.factories import Level1UserFactory, Level2UserFactory

    people = [Level1UserFactory().pk for _ in range(200)]
    ct = ContentType.objects.get_for_model(User).pk
    with connection.cursor() as cur:
        cur.execute("""
            INSERT INTO moderation_reviewitem (kind, content_type_id, object_id, subject_id, summary, flags, status,
                                               created_at, decision, reason_code, note)
            SELECT 'report', %s, g, (%s::bigint[])[1 + g %% 200], 'User profile · 1 report', '[]'::jsonb, 'open',
                   now() - make_interval(secs => g), '', '', ''
            FROM generate_series(1, %s) AS g
        """, [ct, people, ITEMS])
        cur.execute("""
            INSERT INTO moderation_reportcase (item_id, target_key, owner_id, snapshot, report_count, outcome)
            SELECT id, 'user', subject_id, '{"title": "a nickname", "text": "a bio"}'::jsonb, 1, ''
            FROM moderation_reviewitem WHERE kind = 'report'
        """)
        cur.execute("VACUUM ANALYZE")
    group = Group.objects.get(name="moderator")
    moderators = []
    for _ in range(THREADS):
        moderator = Level2UserFactory()
        moderator.groups.add(group)
        moderators.append(moderator)
    return moderators


def _run(workers) -> tuple[float, list[list[int]]]:
    """Start every worker together; return the wall time and what each claimed."""
    from django.db import connection

    barrier = threading.Barrier(len(workers) + 1)
    claimed: list[list[int]] = [[] for _ in workers]
    errors: list[BaseException] = []

    def run(index, work):
        try:
            barrier.wait()
            work(claimed[index])
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, w)) for i, w in enumerate(workers)]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if errors:
        raise errors[0]
    return elapsed, claimed


def _service_worker(moderator):
    from moderation.services import review_item_claim_next

    def work(out: list[int]) -> None:
        while True:
            item = review_item_claim_next(reviewer=moderator, kind="report")
            if item is None:
                return
            out.append(item.pk)

    return work


def _bare_worker(moderator_id: int):
    from django.db import connection, transaction

    def work(out: list[int]) -> None:
        while True:
            with transaction.atomic(), connection.cursor() as cur:
                cur.execute("SELECT id FROM moderation_reviewitem WHERE status = 'open' AND kind = 'report' "
                            "ORDER BY created_at, id LIMIT 1 FOR UPDATE SKIP LOCKED")
                row = cur.fetchone()
                if row is None:
                    return
                cur.execute("UPDATE moderation_reviewitem SET status = 'claimed', claimed_by_id = %s, "
                            "claimed_at = now(), last_activity_at = now() WHERE id = %s", [moderator_id, row[0]])
            out.append(row[0])

    return work


def _reopen() -> None:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("UPDATE moderation_reviewitem SET status = 'open', claimed_by_id = NULL, claimed_at = NULL, "
                    "last_activity_at = NULL")
        cur.execute("VACUUM ANALYZE moderation_reviewitem")
    connection.close()


def _twice(claimed: list[list[int]]) -> int:
    counts = Counter(pk for ids in claimed for pk in ids)
    return sum(1 for n in counts.values() if n > 1)


def main() -> None:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        sys.exit("Set DATABASE_URL=postgres://... (the benchmark creates and drops its own database next to it).")
    _setup(url)
    try:
        from django.db import connection
        from django.db.models import Count

        from moderation import audit
        from moderation.models import AuditEntry, ReviewItem

        moderators = _fill()
        out(f"{ITEMS:,} open review items, {THREADS} moderators (threads), PostgreSQL "
             f"{connection.cursor().connection.info.server_version}")

        elapsed, claimed = _run([_service_worker(m) for m in moderators])
        service_claims = sum(len(ids) for ids in claimed)
        service_rate = service_claims / elapsed
        twice_service = _twice(claimed)
        pending_after = AuditEntry.objects.filter(seq__isnull=True).count()
        audit.chain_pending()
        entries = AuditEntry.objects.filter(action="review.report.claim")
        twice_audit = entries.values("target_id").annotate(n=Count("id")).filter(n__gt=1).count()
        verified = audit.verify(checkpoints=False)
        connection.close()

        # For scale: the same service with audit.record() doing nothing (what the claim itself costs).
        _reopen()
        real_record = audit.record
        audit.record = lambda **kwargs: None
        try:
            elapsed_quiet, claimed_quiet = _run([_service_worker(m) for m in moderators])
        finally:
            audit.record = real_record
        quiet_rate = sum(len(ids) for ids in claimed_quiet) / elapsed_quiet

        _reopen()
        elapsed_bare, claimed_bare = _run([_bare_worker(m.pk) for m in moderators])
        bare_claims = sum(len(ids) for ids in claimed_bare)
        bare_rate = bare_claims / elapsed_bare

        out(f"claim service (audited):  {service_claims:>6,} claims in {elapsed:6.2f} s = {service_rate:7.1f} claims/s"
             f"  ({pending_after} entries left for the beat to chain at the end)")
        out(f"claim service, no audit:  {sum(len(ids) for ids in claimed_quiet):>6,} claims in {elapsed_quiet:6.2f} s = "
             f"{quiet_rate:7.1f} claims/s  (for scale: the audit's share is the difference)")
        out(f"bare SKIP LOCKED + UPDATE: {bare_claims:>6,} claims in {elapsed_bare:6.2f} s = {bare_rate:7.1f} claims/s")
        out(f"ratio service / bare = {service_rate / bare_rate:.2f} (goal >= 0.6)")
        out(f"items claimed twice: service {twice_service}, audit entries {twice_audit}, bare {_twice(claimed_bare)} "
             f"(must be 0)")
        out(f"audit chain: {verified.chained:,} entries chained, {len(verified.problems)} problems, "
             f"{ReviewItem.objects.filter(status='claimed').count():,} items claimed")
    finally:
        from django.db import connections

        connections.close_all()
        admin_sql(url, f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")


if __name__ == "__main__":
    main()
