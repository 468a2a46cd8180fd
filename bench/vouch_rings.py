"""Benchmark: the vouching ring check per case, at 100,000 users and 1,000,000 friendships on PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test .venv/bin/python bench/vouch_rings.py

Creates a throwaway database (bench_vouch) on the same server, migrates it, fills it with raw SQL
(generate_series), measures `vouch_selectors.vouch_ring_pairs` (the query the services run when a case
reaches its quorum) against a primary-key lookup in the same run, prints the figures, and drops the
database again. Runs in well under three minutes on a laptop.
"""

import os
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

BENCH_DB = "bench_vouch"
USERS = 100_000
# Every user befriends the users at these distances (mod USERS): 10 x 100,000 = 1,000,000 distinct pairs,
# since every distance is below USERS / 2.
FRIEND_OFFSETS = (1, 7, 31, 101, 311, 1009, 3001, 9001, 20011, 40009)
CASES = 60_000
SAMPLES = 2_000
RING_EVERY = 20  # one sampled case in 20 gets a planted ring, so the check also finds something
WARMUP = 100


def say(line: str) -> None:
    """Report a line (stdout: the benchmark's output is its result, not logging)."""
    sys.stdout.write(f"{line}\n")
    sys.stdout.flush()


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))


def _admin(url: str):
    import psycopg

    return psycopg.connect(_with_database(url, "postgres"), autocommit=True)


def _recreate(url: str) -> None:
    with _admin(url) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {BENCH_DB}")


def _drop(url: str) -> None:
    with _admin(url) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")


def _timed(label: str, fn):
    start = time.perf_counter()
    fn()
    say(f"  {label}: {time.perf_counter() - start:.1f} s")


def _generate(cursor, *, token: str, kind_id: int) -> None:
    """Users, friendships, identities, granted vouch cases with three confirmed requests each, some declines."""
    # Inlined, not passed as parameters: the statements use % as the modulo operator. Both are ours (a
    # Fernet token is URL-safe base64, the kind id an integer).
    assert token.replace("-", "").replace("_", "").replace("=", "").isalnum() and isinstance(kind_id, int)
    offsets = ",".join(str(d) for d in FRIEND_OFFSETS)
    _timed("users", lambda: cursor.execute(f"""
        INSERT INTO accounts_user (id, password, is_superuser, email, is_staff, is_active, date_joined,
                                   level, level_source, level_changed_at, language)
        SELECT g, '!', false, 'u' || g || '@bench.local', false, true, now() - (30 + g % 700) * interval '1 day',
               CASE WHEN g % 3 = 0 THEN 2 ELSE 1 END, CASE WHEN g % 3 = 0 THEN 'document' ELSE 'phone' END,
               now() - (g % 400) * interval '1 day', 'en'
        FROM generate_series(1, {USERS}) g;
        SELECT setval(pg_get_serial_sequence('accounts_user', 'id'), {USERS});
    """))
    _timed("friendships", lambda: cursor.execute(f"""
        INSERT INTO social_friendship (user_low_id, user_high_id, since)
        SELECT least(g, (g - 1 + d) % {USERS} + 1), greatest(g, (g - 1 + d) % {USERS} + 1),
               now() - ((g::bigint * d) % 700) * interval '1 day'
        FROM generate_series(1, {USERS}) g CROSS JOIN unnest(ARRAY[{offsets}]) d;
    """))
    # Each case's applicant is a distinct user (7919 is prime to USERS); its vouchers are three of its friends.
    applicant = f"((c * 7919) % {USERS} + 1)"
    offsets_array = f"ARRAY[{offsets}]"

    def friend(k: str) -> str:
        return f"(({applicant} - 1 + ({offsets_array})[{k} + 1]) % {USERS} + 1)"

    _timed("identities and cases", lambda: cursor.execute(f"""
        INSERT INTO accounts_realidentity (id, user_id, real_name, document_type, document_number, fingerprint,
                                           status, created_at, confirmed_at)
        SELECT c, {applicant}, '{token}', 'resident_id', '{token}', md5(c::text), 'confirmed',
               now() - (c % 500) * interval '1 day', now() - (c % 500) * interval '1 day'
        FROM generate_series(1, {CASES}) c;
        SELECT setval(pg_get_serial_sequence('accounts_realidentity', 'id'), {CASES});
        INSERT INTO verification_vouchcase (id, applicant_id, identity_id, document_kind_id, status, created_at,
                                            decided_at, note, ip_fingerprint, device_fingerprint)
        SELECT c, {applicant}, c, {kind_id}, 'granted', now() - (c % 500) * interval '1 day',
               now() - (c % 500) * interval '1 day', '', md5('ip' || c), md5('dev' || c)
        FROM generate_series(1, {CASES}) c;
        SELECT setval(pg_get_serial_sequence('verification_vouchcase', 'id'), {CASES});
    """))
    _timed("vouch requests", lambda: cursor.execute(f"""
        INSERT INTO verification_vouchrequest (case_id, voucher_id, applicant_id, status, created_at, expires_at,
                                               decided_at, ip_fingerprint, device_fingerprint)
        SELECT c, {friend("k")}, {applicant},
               CASE WHEN j = 3 THEN 'declined' ELSE 'confirmed' END,
               now() - (c % 500) * interval '1 day', now() - (c % 500 - 14) * interval '1 day',
               now() - (c % 500) * interval '1 day', md5('ip' || c || j), md5('dev' || c || j)
        FROM generate_series(1, {CASES}) c
        CROSS JOIN LATERAL (VALUES (0, c % 10), (1, (c + 3) % 10), (2, (c + 7) % 10), (3, (c + 5) % 10)) v(j, k)
        WHERE j < 3 OR c % 5 = 0;
    """))
    _timed("analyze", lambda: cursor.execute("ANALYZE"))


def _plant_rings(samples, VouchCase, VouchRequest) -> None:
    """In one sampled case out of RING_EVERY, make the first voucher an earlier voucher of the second."""
    from django.utils import timezone

    seconds = {voucher_ids[1]: voucher_ids[0] for _applicant, voucher_ids in samples[::RING_EVERY]}
    cases = dict(VouchCase.objects.filter(applicant_id__in=list(seconds)).values_list("applicant_id", "pk"))
    now = timezone.now()
    VouchRequest.objects.bulk_create([
        VouchRequest(case_id=cases[second], voucher_id=first, applicant_id=second, status="confirmed",
                     created_at=now, expires_at=now, decided_at=now)
        for second, first in seconds.items() if second in cases], ignore_conflicts=True)


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p * (len(ordered) - 1))))]


def main() -> int:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        say("Set DATABASE_URL=postgres://... (the benchmark creates and drops its own database there).")
        return 2
    started = time.perf_counter()
    _recreate(url)
    try:
        os.environ["DATABASE_URL"] = _with_database(url, BENCH_DB)
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connection

        say(f"database {BENCH_DB}: migrating")
        call_command("migrate", verbosity=0)
        from accounts.models import User
        from core.crypto import encrypt_str
        from verification.documents.models import DocumentKind
        from verification.vouching.models import VouchCase, VouchRequest
        from verification.vouching.selectors import vouch_ring_pairs, vouch_ring_queryset
        from verification.vouching.services import vouch_risk_flags

        say("generating data")
        with connection.cursor() as cursor:
            _generate(cursor, token=encrypt_str("bench"), kind_id=DocumentKind.objects.get(code="resident_id").pk)

        users = User.objects.count()
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM social_friendship")
            friendships = cursor.fetchone()[0]
        requests = VouchRequest.objects.count()
        confirmed = VouchRequest.objects.filter(status="confirmed").count()
        cases = VouchCase.objects.count()

        # The sample: real cases, their applicant and confirmed vouchers fetched before timing.
        step = max(1, CASES // SAMPLES)
        sample_ids = list(range(1, CASES + 1, step))[:SAMPLES]
        members: dict[int, list[int]] = {pk: [] for pk in sample_ids}
        applicants: dict[int, int] = {}
        for case_id, applicant_id, voucher_id in VouchRequest.objects.filter(
                case_id__in=sample_ids, status="confirmed").values_list("case_id", "applicant_id", "voucher_id"):
            members[case_id].append(voucher_id)
            applicants[case_id] = applicant_id
        samples = [(applicants[pk], members[pk]) for pk in sample_ids]
        _plant_rings(samples, VouchCase, VouchRequest)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE verification_vouchrequest")

        for applicant_id, voucher_ids in samples[:WARMUP]:
            vouch_ring_pairs(applicant_id=applicant_id, voucher_ids=voucher_ids)
            User.objects.get(pk=applicant_id)
        ring_ms, pk_ms, hits = [], [], 0
        # Interleaved, so both see the same machine load.
        for applicant_id, voucher_ids in samples:
            t0 = time.perf_counter()
            pairs = vouch_ring_pairs(applicant_id=applicant_id, voucher_ids=voucher_ids)
            t1 = time.perf_counter()
            User.objects.get(pk=voucher_ids[0])
            t2 = time.perf_counter()
            ring_ms.append((t1 - t0) * 1000)
            pk_ms.append((t2 - t1) * 1000)
            hits += bool(pairs)

        # The whole flag computation of a case (ring, young accounts, addresses, devices, identity checks).
        flag_ms = []
        from django.test.utils import CaptureQueriesContext

        for case in VouchCase.objects.select_related("identity", "applicant").filter(pk__in=sample_ids[:300]):
            t0 = time.perf_counter()
            vouch_risk_flags(case)
            flag_ms.append((time.perf_counter() - t0) * 1000)
        with CaptureQueriesContext(connection) as ctx:
            vouch_risk_flags(case)
        flag_queries = len(ctx.captured_queries)

        applicant_id, voucher_ids = samples[0]
        sql, params = (vouch_ring_queryset(applicant_id=applicant_id, voucher_ids=voucher_ids)
                       .values_list("voucher_id", "applicant_id").distinct().query.sql_with_params())
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN {sql}", params)
            plan = [row[0] for row in cursor.fetchall()]

        ring_p95, pk_p95 = _percentile(ring_ms, 0.95), _percentile(pk_ms, 0.95)
        say("")
        say(f"users:            {users:,}")
        say(f"friendships:      {friendships:,}")
        say(f"vouch cases:      {cases:,}")
        say(f"vouches:          {requests:,} requests, {confirmed:,} confirmed")
        say(f"cases measured:   {len(samples):,} (rings found in {hits:,})")
        say(f"ring check:       median {statistics.median(ring_ms):.3f} ms, p95 {ring_p95:.3f} ms")
        say(f"PK lookup:        median {statistics.median(pk_ms):.3f} ms, p95 {pk_p95:.3f} ms")
        say(f"all risk flags:   median {statistics.median(flag_ms):.3f} ms, p95 {_percentile(flag_ms, 0.95):.3f} ms "
              f"({flag_queries} queries, {len(flag_ms)} cases)")
        say("ring query plan:  " + "\n                  ".join(plan))
        say("")
        say(f"ring check p95 = {ring_p95:.3f} ms ({ring_p95 / pk_p95:.1f} x a PK lookup)")
        say(f"total time {time.perf_counter() - started:.0f} s")
    finally:
        from django.db import connections

        connections.close_all()
        _drop(url)
    return 0


if __name__ == "__main__":
    sys.exit(main())
