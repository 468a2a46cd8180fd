"""Helpers shared by the verification tests."""

import io
import os
from datetime import timedelta
from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image
from stdnum.cn import ric

from core.testing import uploads_dir
from verification.documents.models import private_storage

UPLOADS = uploads_dir()
FRONT, BACK, PHOTO_PAGE = "id-front-gps-rotated.jpg", "id-back-plain.png", "passport.webp"
PASSPORT_NUMBER = "E12345678"


def upload(name: str, as_name: str | None = None) -> SimpleUploadedFile:
    """A file of the shared upload corpus, as a browser would send it."""
    return SimpleUploadedFile(as_name or name, (UPLOADS / name).read_bytes(), content_type="application/octet-stream")


def fresh(name: str = "photo.png") -> SimpleUploadedFile:
    """A never-seen-before image (random pixels), so the rule on rejected images never catches it."""
    img = Image.frombytes("RGB", (160, 100), os.urandom(160 * 100 * 3))
    out = io.BytesIO()
    img.save(out, "PNG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/png")


def as_upload(file) -> SimpleUploadedFile:
    """A corpus file by name, or an upload as it is."""
    return upload(file) if isinstance(file, str) else file


def private_files() -> set[str]:
    """Every file currently in the private storage."""
    root = Path(private_storage().location)
    if not root.exists():
        return set()
    return {str(Path(d, f).relative_to(root)) for d, _dirs, files in os.walk(root) for f in files}


def resident_id(birth: str = "19900307", region: str = "110105", seq: str = "123") -> str:
    """A valid (checksummed) resident ID number; not a real person."""
    body = f"{region}{birth}{seq}"
    # calc_check_digit() expects a full-length number and ignores its last character.
    return body + ric.calc_check_digit(body + "0")


def birth_years_ago(years: int, days: int = 0) -> str:
    """YYYYMMDD of the day someone turns `years` today (plus `days` later)."""
    today = timezone.localdate()
    # 29 February has no twin in most years; the 28th is the day before it.
    birthday = today.replace(year=today.year - years, day=min(today.day, 28) if today.month == 2 else today.day)
    return (birthday + timedelta(days=days)).strftime("%Y%m%d")
