"""Helpers shared by the social tests."""

import os
from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile

from core.testing import uploads_dir
from social.models import private_storage

UPLOADS = uploads_dir()


def upload(name: str, as_name: str | None = None) -> SimpleUploadedFile:
    """A test file from the shared upload corpus, as the browser would send it."""
    return SimpleUploadedFile(as_name or name, (UPLOADS / name).read_bytes(), content_type="application/octet-stream")


def private_files() -> set[str]:
    """Every file currently in the private storage."""
    root = Path(private_storage().location)
    if not root.exists():
        return set()
    return {str(Path(d, f).relative_to(root)) for d, _dirs, files in os.walk(root) for f in files}
