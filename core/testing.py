"""Helpers for tests of every app (kept out of tests/ so any app may import them)."""

import csv
import os
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


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
    import threading

    from django.db import connection

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
