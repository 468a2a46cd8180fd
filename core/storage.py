"""The two storages every app uses: public media, and private files with no URL at all."""

import logging
from collections.abc import Iterable

from django.core.files.storage import Storage, storages

logger = logging.getLogger(__name__)


def private_storage() -> Storage:
    """Documents, friends-only images and licence scans: served only by permission-checked views."""
    # A callable keeps the storage out of migrations and lets each environment choose it.
    return storages["private"]


def delete_files(storage: Storage, names: Iterable[str | None]) -> None:
    """Remove files; a missing one is not an error (call it on commit, so a rollback loses nothing)."""
    for name in names:
        if not name:
            continue
        try:
            storage.delete(name)
        except OSError:  # pragma: no cover - a leftover file is harmless, a failed request is not
            logger.warning("could not delete file %s", name)


def delete_private_files(names: Iterable[str | None]) -> None:
    """Remove files from the private storage."""
    delete_files(private_storage(), names)
