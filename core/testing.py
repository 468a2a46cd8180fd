"""Helpers for tests of every app (kept out of tests/ so any app may import them)."""

import csv
import os
import threading
from collections.abc import Callable
from pathlib import Path

from django.db import connection

REPO = Path(__file__).resolve().parent.parent

CI_TRUE = frozenset({"1", "true", "yes"})


def running_in_ci() -> bool:
    """Whether this run is CI (`CI=true`, `1` or `yes`): then a missing service or tool fails instead of skipping.

    The one place that reads the CI variable; every conftest and test asks this (a test greps for other reads).
    """
    return os.environ.get("CI", "").strip().lower() in CI_TRUE


def uploads_dir() -> Path:
    """The upload corpus: $UPLOADS_TESTDATA, ../shared/testdata/uploads, or the copy in testdata/."""
    candidates = [os.environ.get("UPLOADS_TESTDATA"), REPO.parent / "shared" / "testdata" / "uploads",
                  REPO / "testdata" / "uploads"]
    for candidate in candidates:
        if candidate and (Path(candidate) / "MANIFEST.tsv").exists():
            return Path(candidate)
    raise FileNotFoundError("upload corpus not found (testdata/uploads/MANIFEST.tsv)")


def upload_manifest() -> list[tuple[str, str]]:
    """(file, expected) rows of MANIFEST.tsv; expected is 'accept' or 'refuse'."""
    with open(uploads_dir() / "MANIFEST.tsv", newline="") as fh:
        return [(row["file"], row["expected"]) for row in csv.DictReader(fh, delimiter="\t")]


def race(*calls: Callable[[], object]) -> list[object]:
    """Run each call in its own thread, all released together; return what each returned or raised.

    For PostgreSQL race tests (transactional DB): each thread closes its own connection.
    """
    barrier = threading.Barrier(len(calls))
    results: list[object] = [None] * len(calls)

    def run(index: int, call: Callable[[], object]) -> None:
        try:
            barrier.wait(timeout=10)
            results[index] = call()
        except Exception as exc:  # noqa: BLE001 - the test inspects what each thread got
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads), "a thread hung (a lock never released?)"
    return results


def queries_of(call: Callable[[], object]) -> list[str]:
    """The SQL of every query `call()` runs on the default connection."""
    # Django's test utilities are loaded only when a test asks: this module is imported by settings-free tooling too.
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        call()
    return [query["sql"] for query in ctx.captured_queries]


def _compare(small_sql: list[str], large_sql: list[str], *, at_most: int | None) -> int:
    assert len(small_sql) == len(large_sql), (
        f"{len(small_sql)} queries at the small size but {len(large_sql)} at the large size:\n"
        + "\n".join(large_sql))
    if at_most is not None:
        assert len(large_sql) <= at_most, f"{len(large_sql)} queries, more than {at_most}:\n" + "\n".join(large_sql)
    return len(large_sql)


def assert_same_queries(small: Callable[[], object], large: Callable[[], object], *,
                        at_most: int | None = None) -> int:
    """`small()` and `large()` (the same page or read at two data sizes) cost the same number of queries.

    `at_most` is a sanity bound on the count. Returns the count.
    """
    return _compare(queries_of(small), queries_of(large), at_most=at_most)


def assert_constant_queries(call: Callable[[], object], grow: Callable[[], object], *,
                            at_most: int | None = None) -> int:
    """`call()` costs as many queries after `grow()` added data as before: constant per page, not per row.

    Run `call()` once at the small size, `grow()` (add items, friends, rows...), run it again and compare;
    `at_most` is a sanity bound on the count. Warm caches (a first request of a session) before calling.
    Returns the count.
    """
    small_sql = queries_of(call)
    grow()
    return _compare(small_sql, queries_of(call), at_most=at_most)
