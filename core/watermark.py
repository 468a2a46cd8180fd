"""Burning the viewer's identity and the time into a reviewer's copy of a document image."""

import io
from datetime import datetime

from django.contrib.auth.base_user import AbstractBaseUser
from django.utils import timezone
from PIL import Image, ImageDraw, ImageFont

_ANGLE = 30
_FILL = (255, 255, 255, 120)
_STROKE = (0, 0, 0, 120)
_JPEG_QUALITY = 85


def watermark_text(*, viewer: AbstractBaseUser, at: datetime | None = None) -> str:
    """Who looked and when, e.g. "REVIEW #12 nick 2026-01-02 10:30 CST"."""
    at = timezone.localtime(at or timezone.now())
    nickname = getattr(getattr(viewer, "profile", None), "nickname", "") or ""
    # Pillow's built-in font has Latin glyphs only: a Chinese nickname would burn in as boxes,
    # so it is left out and the id (which names the reviewer in the audit log) is enough.
    if not (nickname.isascii() and nickname.isprintable()):
        nickname = ""
    return " ".join(part for part in ("REVIEW", f"#{viewer.pk}", nickname, f"{at:%Y-%m-%d %H:%M %Z}") if part)


def _tile(text: str, size: int) -> Image.Image:
    font = ImageFont.load_default(size=size)
    left, top, right, bottom = font.getbbox(text, stroke_width=1)
    pad = size
    tile = Image.new("RGBA", (int(right - left + 2 * pad), int(bottom - top + 2 * pad)), (0, 0, 0, 0))
    ImageDraw.Draw(tile).text((pad - left, pad - top), text, font=font, fill=_FILL, stroke_width=1, stroke_fill=_STROKE)
    return tile.rotate(_ANGLE, expand=True, resample=Image.Resampling.BICUBIC)


def watermark(data: bytes, *, text: str) -> bytes:
    """The image in `data` (one of ours: JPEG or PNG) with `text` repeated diagonally across it, same size."""
    with Image.open(io.BytesIO(data), formats=("JPEG", "PNG")) as src:
        src.load()
        fmt = src.format
        base = src.convert("RGBA")
    width, height = base.size
    tile = _tile(text, size=max(12, min(width, height) // 20))
    overlay = Image.new("RGBA", base.size, (0, 0, 0, 0))
    # Rows overlap and shift, so no strip of the document is left unmarked; cropping cannot remove it.
    step_x, step_y = max(tile.width * 3 // 4, 1), max(tile.height // 2, 1)
    for row, y in enumerate(range(-tile.height // 2, height, step_y)):
        for x in range(-tile.width + (row % 2) * step_x // 2, width, step_x):
            overlay.paste(tile, (x, y), tile)
    marked = Image.alpha_composite(base, overlay)
    out = io.BytesIO()
    if fmt == "PNG":
        marked.save(out, "PNG", optimize=True)
    else:
        marked.convert("RGB").save(out, "JPEG", quality=_JPEG_QUALITY)
    return out.getvalue()
