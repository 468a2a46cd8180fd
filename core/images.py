"""The one safe path every uploaded image goes through (avatars, moments, identity documents).

Uploaded bytes are never trusted: not the filename, not the content type, not the
metadata. We sniff the real format from the bytes, refuse anything we cannot decode
cheaply and completely, and store only a brand-new image rebuilt from pixel data, so
EXIF/GPS, XMP, ICC profiles, text chunks, comments and trailing bytes (polyglots) never
reach storage or other users.

Output format: JPEG for opaque images, PNG only when the image really uses transparency.
Both are readable by every browser, image library and document-checking vendor we might
hand them to; WebP input is therefore re-encoded too. Colour profiles are dropped and
pixels are treated as sRGB, which is what almost every phone produces anyway.
"""

from __future__ import annotations

import hashlib
import io
import struct
import warnings
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, TypeAlias

from django.conf import settings
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageOps

if TYPE_CHECKING:
    from django.core.files import File
    from django_stubs_ext import StrPromise

__all__ = ["ImageRejected", "ProcessedImage", "process_image"]

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
DEFAULT_MAX_PIXELS = 50_000_000
DEFAULT_MIN_SIDE = 64
DEFAULT_MAX_SIDE = 4096

# Restricting Image.open to these plugins keeps rarely-fuzzed decoders away from untrusted
# bytes. "MPO" must not be listed: Pillow registers it lazily and raises KeyError; the JPEG
# opener returns an MPO image by itself when it finds one.
_OPEN_FORMATS = ("JPEG", "PNG", "WEBP")
# MPO is what many phones call a JPEG with an embedded preview; we keep its primary image.
_ACCEPTED_FORMATS = frozenset({*_OPEN_FORMATS, "MPO"})

# What Pillow raises on malformed input. Deliberately narrow: a bug in our own code must
# surface as a bug, not be blamed on the user's file.
_DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, struct.error)

_JPEG_QUALITY = 85
# What process_image() reads: bytes, a Django File / UploadedFile, or any binary file-like.
Upload: TypeAlias = "bytes | bytearray | memoryview | IO[bytes] | File[bytes]"
_READ_CHUNK = 1024 * 1024


def _format_message(message: str | StrPromise, **params: object) -> str:
    return str(message) % params


# Keeps messages lazy (translated when shown, in the reader's language) despite parameters.
_format_lazy = lazy(_format_message, str)


def _megabytes(num_bytes: int) -> str:
    return f"{max(num_bytes / (1024 * 1024), 0.1):.1f}".removesuffix(".0")


class ImageRejected(Exception):
    """An upload we refuse; ``message`` is safe to show to the user, ``code`` is for code."""

    def __init__(self, message: str | StrPromise, code: str = "invalid") -> None:
        super().__init__(message)
        self.message = message
        self.code = code

    def __str__(self) -> str:
        return str(self.message)


@dataclass(frozen=True)
class ProcessedImage:
    """A re-encoded, metadata-free image ready to store, with its thumbnail."""

    content: bytes
    thumbnail: bytes
    width: int
    height: int
    format: str
    extension: str
    content_type: str
    sha256: str  # of the original upload, so a re-upload of a rejected file can be recognised


def _reject_format() -> ImageRejected:
    return ImageRejected(
        _("This file is not an image we accept. Please upload a JPEG, PNG or WebP photo."),
        code="format",
    )


def _reject_damaged() -> ImageRejected:
    return ImageRejected(_("The image is damaged or incomplete. Please upload it again."), code="damaged")


def _reject_pixels(max_pixels: int) -> ImageRejected:
    return ImageRejected(
        _format_lazy(
            _("The image has too many pixels. The limit is %(limit)s megapixels."),
            limit=f"{max_pixels / 1_000_000:g}",
        ),
        code="too_many_pixels",
    )


def _read_capped(upload: Upload, limit: int) -> bytes:
    """Read at most ``limit`` bytes from bytes, a Django File or any binary file-like."""
    if isinstance(upload, (bytes, bytearray, memoryview)):
        return bytes(upload[:limit])
    if getattr(upload, "closed", False) and hasattr(upload, "open"):
        upload.open("rb")
    # Form validation (e.g. forms.ImageField) may already have read the stream.
    if hasattr(upload, "seek"):
        try:
            upload.seek(0)
        except (OSError, ValueError):
            pass
    chunks = []
    remaining = limit
    while remaining > 0:
        chunk = upload.read(min(remaining, _READ_CHUNK))
        if not chunk:
            break
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def _open(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data), formats=_OPEN_FORMATS)


def _to_rgb_or_rgba(img: Image.Image) -> Image.Image:
    if img.mode in ("I;16", "I;16L", "I;16B", "I;16N", "I"):
        # Pillow clips (rather than scales) 16-bit values when converting to 8-bit.
        img = img.convert("I").point(lambda v: v * (1 / 256)).convert("L")
    has_alpha = img.mode in ("RGBA", "RGBa", "LA", "La", "PA") or "transparency" in img.info
    img = img.convert("RGBA" if has_alpha else "RGB")
    # A fully opaque alpha channel is common (screenshots, editors); JPEG is far smaller.
    if has_alpha and img.getchannel("A").getextrema() == (255, 255):
        img = img.convert("RGB")
    return img


def _encode(img: Image.Image, fmt: str) -> bytes:
    out = io.BytesIO()
    if fmt == "JPEG":
        img.save(out, "JPEG", quality=_JPEG_QUALITY, optimize=True)
    else:
        img.save(out, "PNG", optimize=True)
    return out.getvalue()


def process_image(
    upload: Upload,
    *,
    max_bytes: int | None = None,
    max_pixels: int | None = None,
    min_side: int | None = None,
    max_side: int | None = None,
    thumb_side: int = 320,
) -> ProcessedImage:
    """Validate an upload and return a clean re-encoded copy, or raise ImageRejected."""
    if max_bytes is None:
        max_bytes = getattr(settings, "IMAGE_MAX_BYTES", DEFAULT_MAX_BYTES)
    if max_pixels is None:
        max_pixels = getattr(settings, "IMAGE_MAX_PIXELS", DEFAULT_MAX_PIXELS)
    if min_side is None:
        min_side = getattr(settings, "IMAGE_MIN_SIDE", DEFAULT_MIN_SIDE)
    if max_side is None:
        max_side = getattr(settings, "IMAGE_MAX_SIDE_STORED", DEFAULT_MAX_SIDE)

    # One byte over the limit is enough to know it is too big; never buffer a huge stream.
    data = _read_capped(upload, max_bytes + 1)
    if not data:
        raise ImageRejected(_("The file is empty."), code="empty")
    if len(data) > max_bytes:
        raise ImageRejected(
            _format_lazy(_("The file is too large. The maximum size is %(limit)s MB."), limit=_megabytes(max_bytes)),
            code="too_large",
        )
    sha256 = hashlib.sha256(data).hexdigest()

    # Local filter only: Image.MAX_IMAGE_PIXELS and LOAD_TRUNCATED_IMAGES stay untouched,
    # so other code in the process keeps its own behaviour.
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            img = _process_decode(data, max_pixels=max_pixels, min_side=min_side)
        except ImageRejected:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise _reject_pixels(max_pixels) from None
        except _DECODE_ERRORS:
            raise _reject_damaged() from None

    fmt = "PNG" if img.mode == "RGBA" else "JPEG"
    # Pixel data only: nothing from the upload's info/exif/ICC/text can ride along.
    clean = Image.new(img.mode, img.size)
    clean.paste(img)
    del img
    if max(clean.size) > max_side:
        clean.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    thumb = clean.copy()
    thumb.thumbnail((thumb_side, thumb_side), Image.Resampling.LANCZOS)

    return ProcessedImage(
        content=_encode(clean, fmt),
        thumbnail=_encode(thumb, fmt),
        width=clean.width,
        height=clean.height,
        format=fmt,
        extension=".png" if fmt == "PNG" else ".jpg",
        content_type="image/png" if fmt == "PNG" else "image/jpeg",
        sha256=sha256,
    )


def _process_decode(data: bytes, *, max_pixels: int, min_side: int) -> Image.Image:
    """Check headers, fully decode and orient the image; return it in RGB or RGBA mode."""
    try:
        probe = _open(data)
    except Image.UnidentifiedImageError:  # type: ignore[attr-defined]  # PIL re-exports it from PIL.UnidentifiedImageError
        raise _reject_format() from None
    with probe:
        if probe.format not in _ACCEPTED_FORMATS:
            raise _reject_format()
        width, height = probe.size
        # Image.open only parsed the header: refuse bombs before any pixel is allocated.
        if width * height > max_pixels:
            raise _reject_pixels(max_pixels)
        # An MPO's extra frames are previews/depth maps, not animation.
        if probe.format != "MPO" and (getattr(probe, "is_animated", False) or getattr(probe, "n_frames", 1) > 1):
            raise ImageRejected(
                _("Animated images are not accepted. Please upload a single still photo."), code="animated"
            )
        if min(width, height) < min_side:
            raise ImageRejected(
                _format_lazy(
                    _("The image is too small to read. Each side must be at least %(min_side)s pixels."),
                    min_side=min_side,
                ),
                code="too_small",
            )
        # Catches broken PNG chunk CRCs without decoding; a verified image cannot be reused.
        probe.verify()

    img = _open(data)
    # Decodes every pixel; with LOAD_TRUNCATED_IMAGES off a cut-short file raises here.
    img.load()
    ImageOps.exif_transpose(img, in_place=True)
    return _to_rgb_or_rgba(img)
