"""Helpers for tests of every app (kept out of tests/ so any app may import them)."""

import csv
import os
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
