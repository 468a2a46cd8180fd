"""Tests for core.images: every upload is re-encoded clean, every bad upload is refused clearly.

Only needs Django settings to be configured (no database). The shared upload fixtures are
read from $UPLOADS_TESTDATA, else <repo parent>/shared/testdata/uploads; when they are
missing the fixture-driven tests skip, except on CI (CI=true) where they fail.
"""

import csv
import hashlib
import io
import os
import struct
import time
import zlib
from pathlib import Path

import pytest
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils.functional import Promise
from django.utils.translation import override
from PIL import Image, ImageChops, ImageFile, ImageOps, ImageStat
from PIL.PngImagePlugin import PngInfo

from core.images import ImageRejected, ProcessedImage, process_image
from core.testing import running_in_ci, uploads_dir

try:
    UPLOADS_DIR = uploads_dir()
except FileNotFoundError:
    UPLOADS_DIR = Path(os.environ.get("UPLOADS_TESTDATA") or "testdata/uploads")
MANIFEST = UPLOADS_DIR / "MANIFEST.tsv"
ON_CI = running_in_ci()

# What each known fixture must be refused for; rows added to the manifest later are only
# required to be refused.
EXPECTED_CODES = {
    "empty.jpg": "empty",
    "truncated.jpg": "damaged",
    "not-an-image.jpg": "format",
    "script.png": "format",
    "bomb.png": "too_many_pixels",
    "tiny.png": "too_small",
    "animated.gif": "format",
}
ROTATED = "id-front-gps-rotated.jpg"
# Found in the raw bytes of ROTATED (EXIF Make and BodySerialNumber); must never be stored.
ROTATED_SECRETS = (b"SecretCam", b"SERIAL-0042-XYZ")
GPS_IFD = 0x8825

# Keys Pillow puts in .info for metadata we must never carry over.
FORBIDDEN_INFO_KEYS = {
    "exif", "xmp", "XML:com.adobe.xmp", "icc_profile", "comment", "photoshop", "adobe",
    "mp", "mpoffset", "Comment", "Author", "Description", "Software", "chromaticity", "srgb",
}  # fmt: skip
PNG_IEND = b"\x00\x00\x00\x00IEND\xaeB`\x82"
ALLOWED_PNG_CHUNKS = {b"IHDR", b"PLTE", b"tRNS", b"IDAT", b"IEND"}


def _manifest_rows(expected):
    if not MANIFEST.is_file():
        return [pytest.param(None, id="testdata-missing")]
    with MANIFEST.open(newline="", encoding="utf-8") as fh:
        rows = [row for row in csv.DictReader(fh, delimiter="\t") if row["expected"] == expected]
    return [pytest.param(row["file"], id=row["file"]) for row in rows]


ACCEPT_ROWS = _manifest_rows("accept")
REFUSE_ROWS = _manifest_rows("refuse")


def _fixture_path(name):
    """Path of a shared fixture; skips (fails on CI) when the fixtures are not available."""
    if name is None or not MANIFEST.is_file():
        reason = f"upload fixtures not found at {UPLOADS_DIR} (set UPLOADS_TESTDATA to their directory)"
        if ON_CI:
            pytest.fail(reason)
        pytest.skip(reason)
    return UPLOADS_DIR / name


@pytest.fixture(autouse=True)
def _image_settings(settings):
    # Pin the documented defaults so env overrides on a developer machine cannot change results.
    settings.IMAGE_MAX_BYTES = 10 * 1024 * 1024
    settings.IMAGE_MAX_PIXELS = 50_000_000
    settings.IMAGE_MIN_SIDE = 64
    settings.IMAGE_MAX_SIDE_STORED = 4096
    return settings


# --- helpers -------------------------------------------------------------------------


def _photo(size=(400, 300), mode="RGB"):
    """A non-uniform test picture, so orientation and colour mistakes are visible."""
    w, h = size
    r = Image.linear_gradient("L").resize(size)
    g = Image.linear_gradient("L").rotate(90).resize(size)
    b = Image.radial_gradient("L").resize(size)
    img = Image.merge("RGB", (r, g, b))
    img.paste((255, 0, 0), (0, 0, w // 4, h // 4))  # a marker in one corner
    return img.convert(mode)


def _encode(img, fmt, **kwargs):
    buf = io.BytesIO()
    img.save(buf, fmt, **kwargs)
    return buf.getvalue()


def _png_chunk(kind, body):
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _png_header_only(width, height):
    """A PNG that claims width x height (1-bit grey) but carries no pixel data."""
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", ihdr)
        + _png_chunk(b"IDAT", zlib.compress(b""))
        + _png_chunk(b"IEND", b"")
    )


def _png_chunk_types(data):
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    pos, kinds = 8, []
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kinds.append(data[pos + 4 : pos + 8])
        pos += 12 + length
    assert pos == len(data), "bytes after the last PNG chunk"
    return kinds


def _jpeg_markers(data):
    """Marker bytes of every segment up to start-of-scan."""
    assert data.startswith(b"\xff\xd8")
    pos, markers = 2, []
    while True:
        assert data[pos] == 0xFF
        marker = data[pos + 1]
        markers.append(marker)
        if marker == 0xDA:
            return markers
        (length,) = struct.unpack(">H", data[pos + 2 : pos + 4])
        pos += 2 + length


def _assert_clean(data, fmt):
    """The bytes are a complete image of ``fmt`` carrying no metadata and nothing after its end."""
    img = Image.open(io.BytesIO(data))
    img.load()
    assert img.format == fmt
    assert len(img.getexif()) == 0
    assert not (FORBIDDEN_INFO_KEYS & set(img.info)), img.info
    assert b"Exif\x00\x00" not in data
    assert b"http://ns.adobe.com/xap/" not in data
    if fmt == "JPEG":
        markers = _jpeg_markers(data)
        # APP1-APP15 carry EXIF/XMP/ICC/MPF/Photoshop, COM carries comments.
        assert not [m for m in markers if 0xE1 <= m <= 0xEF or m == 0xFE], [hex(m) for m in markers]
        assert data.endswith(b"\xff\xd9")
        assert data.count(b"\xff\xd9") == 1, "a second JPEG end marker means something is appended or embedded"
        assert img.mode == "RGB"
    else:
        assert set(_png_chunk_types(data)) <= ALLOWED_PNG_CHUNKS
        assert data.endswith(PNG_IEND)
        assert img.text == {}
        assert img.mode == "RGBA"
    return img


def _assert_result(result, original):
    assert isinstance(result, ProcessedImage)
    assert result.sha256 == hashlib.sha256(original).hexdigest()
    assert result.content != original
    assert (result.format, result.extension, result.content_type) in {
        ("JPEG", ".jpg", "image/jpeg"),
        ("PNG", ".png", "image/png"),
    }
    img = _assert_clean(result.content, result.format)
    assert img.size == (result.width, result.height)
    thumb = _assert_clean(result.thumbnail, result.format)
    return img, thumb


def _mean_difference(a, b):
    return sum(ImageStat.Stat(ImageChops.difference(a.convert("RGB"), b.convert("RGB"))).mean) / 3


def _rejected(upload, **kwargs):
    with pytest.raises(ImageRejected) as excinfo:
        process_image(upload, **kwargs)
    exc = excinfo.value
    assert str(exc.message).strip()
    assert str(exc) == str(exc.message)
    return exc


# --- shared fixtures from the manifest ------------------------------------------------


@pytest.mark.parametrize("name", ACCEPT_ROWS)
def test_accepted_fixture_is_reencoded_clean(name):
    path = _fixture_path(name)
    original = path.read_bytes()
    with path.open("rb") as fh:
        result = process_image(File(fh, name=name))

    img, thumb = _assert_result(result, original)
    assert max(thumb.size) <= 320
    assert thumb.width < result.width and thumb.height < result.height
    assert thumb.width / thumb.height == pytest.approx(result.width / result.height, rel=0.02)


@pytest.mark.parametrize("name", REFUSE_ROWS)
def test_refused_fixture(name):
    path = _fixture_path(name)
    with path.open("rb") as fh:
        exc = _rejected(File(fh, name=name))
    if name in EXPECTED_CODES:
        assert exc.code == EXPECTED_CODES[name]


def test_manifest_lists_both_outcomes():
    _fixture_path("MANIFEST.tsv")
    assert ACCEPT_ROWS and REFUSE_ROWS
    assert ROTATED in {p.values[0] for p in ACCEPT_ROWS}


def test_rotated_id_comes_out_upright_without_gps_or_serial():
    path = _fixture_path(ROTATED)
    original = path.read_bytes()
    raw = Image.open(io.BytesIO(original))  # not transposed: the pixels as stored
    exif = raw.getexif()
    # Preconditions, so this test cannot pass vacuously if the fixture changes.
    assert exif.get(0x0112) == 6
    assert exif.get_ifd(GPS_IFD)
    for secret in ROTATED_SECRETS:
        assert secret in original

    result = process_image(original)

    out, thumb = _assert_result(result, original)
    assert (result.width, result.height) == (raw.height, raw.width)
    assert thumb.height > thumb.width
    # Right way up, not merely rotated: closer to the EXIF-correct view than to the mirror rotation.
    size = (50, 80)
    expected = ImageOps.exif_transpose(raw).resize(size)
    wrong_way = raw.transpose(Image.Transpose.ROTATE_90).resize(size)
    got = out.resize(size)
    assert _mean_difference(got, expected) < 5
    assert _mean_difference(got, wrong_way) > 4 * _mean_difference(got, expected)
    for secret in ROTATED_SECRETS:
        assert secret not in result.content
        assert secret not in result.thumbnail


def test_bomb_fixture_refused_fast_without_decoding(monkeypatch):
    path = _fixture_path("bomb.png")

    def no_decoding(self):
        raise AssertionError("pixels of a decompression bomb must never be decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", no_decoding)
    started = time.monotonic()
    exc = _rejected(path.read_bytes())
    assert time.monotonic() - started < 1
    assert exc.code == "too_many_pixels"
    with override("en"):
        assert "megapixels" in str(exc.message)


# --- size limits and bombs -------------------------------------------------------------


def test_oversize_refused_with_limit_in_megabytes():
    data = _encode(_photo(), "JPEG")
    exc = _rejected(data, max_bytes=len(data) - 1)
    assert exc.code == "too_large"
    with override("en"):
        assert "MB" in str(exc.message)
    assert process_image(data, max_bytes=len(data)).format == "JPEG"


def test_oversize_message_states_configured_limit(settings):
    settings.IMAGE_MAX_BYTES = 2 * 1024 * 1024
    exc = _rejected(b"\xff" * (2 * 1024 * 1024 + 1))
    with override("en"):
        assert "2 MB" in str(exc.message)


def test_huge_stream_is_not_read_past_the_limit():
    class EndlessStream:
        bytes_read = 0

        def read(self, size=-1):
            assert size is not None and size > 0, "must never read the whole stream"
            self.bytes_read += size
            return b"\0" * size

    stream = EndlessStream()
    exc = _rejected(stream, max_bytes=5000)
    assert exc.code == "too_large"
    assert stream.bytes_read <= 5001


def test_pixel_cap_checked_from_header_before_decoding(monkeypatch):
    # 64 MP: over our 50 MP cap but under Pillow's own warning threshold.
    data = _png_header_only(8000, 8000)
    monkeypatch.setattr(ImageFile.ImageFile, "load", lambda self: pytest.fail("decoded a bomb"))
    assert _rejected(data).code == "too_many_pixels"


def test_pillow_bomb_warning_is_a_refusal_even_with_a_generous_cap():
    # 100 MP trips Image.DecompressionBombWarning; it must refuse, not just warn.
    data = _png_header_only(10_000, 10_000)
    assert _rejected(data, max_pixels=10**9).code == "too_many_pixels"


def test_header_only_png_under_the_cap_is_refused_as_damaged():
    # Control for the two tests above: the crafted file really is caught at decode time.
    assert _rejected(_png_header_only(100, 100)).code == "damaged"


def test_pillow_globals_are_left_alone():
    before = (Image.MAX_IMAGE_PIXELS, ImageFile.LOAD_TRUNCATED_IMAGES)
    _rejected(_png_header_only(10_000, 10_000), max_pixels=10**9)
    process_image(_encode(_photo(), "PNG"))
    assert (Image.MAX_IMAGE_PIXELS, ImageFile.LOAD_TRUNCATED_IMAGES) == before
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False


def test_too_small_refused_and_min_side_from_settings(settings):
    data = _encode(_photo((8, 8)), "PNG")
    assert _rejected(data).code == "too_small"
    settings.IMAGE_MIN_SIDE = 4
    assert process_image(data).width == 8


def test_works_when_image_settings_are_missing(settings):
    del settings.IMAGE_MAX_BYTES
    del settings.IMAGE_MAX_PIXELS
    del settings.IMAGE_MIN_SIDE
    del settings.IMAGE_MAX_SIDE_STORED
    assert _rejected(_encode(_photo((8, 8)), "PNG")).code == "too_small"  # built-in default 64
    assert process_image(_encode(_photo(), "JPEG")).width == 400


def test_larger_than_max_side_is_downscaled():
    data = _encode(_photo((3000, 1200)), "JPEG")
    result = process_image(data, max_side=1000)
    img, thumb = _assert_result(result, data)
    assert img.size == (1000, 400)
    assert thumb.size == (320, 128)


def test_max_side_defaults_from_settings(settings):
    settings.IMAGE_MAX_SIDE_STORED = 200
    result = process_image(_encode(_photo((400, 300)), "PNG"))
    assert (result.width, result.height) == (200, 150)


def test_image_at_max_side_is_not_resized():
    result = process_image(_encode(_photo((1000, 500)), "JPEG"), max_side=1000)
    assert (result.width, result.height) == (1000, 500)


# --- metadata and smuggled bytes -------------------------------------------------------


def test_png_text_chunks_and_exif_are_stripped():
    info = PngInfo()
    info.add_text("Comment", "secret-comment-4711")
    info.add_text("Author", "secret-author-ztxt", zip=True)
    info.add_itxt("Description", "secret-itxt-0815", lang="en")
    exif = Image.Exif()
    exif[0x010F] = "SecretMakePng"
    data = _encode(_photo(), "PNG", pnginfo=info, exif=exif.tobytes())
    parsed = Image.open(io.BytesIO(data))
    assert parsed.text["Comment"] == "secret-comment-4711"  # precondition
    assert b"SecretMakePng" in data

    result = process_image(data)

    img, _ = _assert_result(result, data)
    assert "Comment" not in img.info
    for secret in (b"secret-comment-4711", b"secret-itxt-0815", b"SecretMakePng", b"secret"):
        assert secret not in result.content
        assert secret not in result.thumbnail


def test_jpeg_exif_gps_xmp_icc_and_comment_are_stripped():
    exif = Image.Exif()
    exif[0x010F] = "SecretMakeJpeg"
    exif[0x0112] = 1
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (39.0, 54.0, 26.0)})
    icc = b"\0" * 128 + b"secret-icc"
    data = _encode(
        _photo(), "JPEG", exif=exif.tobytes(), comment=b"secret-comment", icc_profile=icc, xmp=b"<x>secret-xmp</x>"
    )
    parsed = Image.open(io.BytesIO(data))
    assert parsed.getexif().get_ifd(GPS_IFD) and "comment" in parsed.info  # preconditions

    result = process_image(data)

    _assert_result(result, data)
    for secret in (b"SecretMakeJpeg", b"secret-comment", b"secret-icc", b"secret-xmp"):
        assert secret not in result.content


def test_jpeg_with_trailing_bytes_comes_out_clean():
    jpeg = _encode(_photo(), "JPEG")
    payload = b"<script>alert(1)</script>PK\x03\x04" + _encode(_photo((80, 80)), "JPEG")
    data = jpeg + payload

    result = process_image(data)

    _assert_result(result, data)
    assert b"<script>" not in result.content
    assert b"PK\x03\x04" not in result.content


def test_png_with_trailing_bytes_comes_out_clean():
    data = _encode(_photo(), "PNG") + b"<?php echo 1; ?>"
    result = process_image(data)
    _assert_result(result, data)
    assert b"<?php" not in result.content


# --- formats and modes -----------------------------------------------------------------


def test_cmyk_jpeg_becomes_rgb():
    rgb = _photo()
    data = _encode(rgb.convert("CMYK"), "JPEG")
    assert Image.open(io.BytesIO(data)).mode == "CMYK"  # precondition

    result = process_image(data)

    img, _ = _assert_result(result, data)
    assert result.format == "JPEG"
    assert _mean_difference(img, rgb) < 10


def test_palette_png_with_transparency_keeps_alpha():
    img = _photo().convert("P", palette=Image.Palette.ADAPTIVE, colors=16)
    img.paste(15, (300, 200, 400, 300))
    data = _encode(img, "PNG", transparency=15)

    result = process_image(data)

    out, thumb = _assert_result(result, data)
    assert result.format == "PNG" and result.extension == ".png"
    assert out.getpixel((350, 250))[3] == 0
    assert out.getpixel((10, 10))[3] == 255
    assert thumb.mode == "RGBA"


def test_palette_png_without_transparency_becomes_jpeg():
    data = _encode(_photo().convert("P", palette=Image.Palette.ADAPTIVE), "PNG")
    assert process_image(data).format == "JPEG"


def test_rgba_uses_png_only_when_alpha_is_used():
    opaque = _encode(_photo(mode="RGBA"), "PNG")
    assert process_image(opaque).format == "JPEG"

    see_through = _photo(mode="RGBA")
    see_through.putalpha(128)
    data = _encode(see_through, "WEBP", lossless=True)
    result = process_image(data)
    out, _ = _assert_result(result, data)
    assert result.format == "PNG"
    assert out.getpixel((200, 150))[3] == 128


def test_sixteen_bit_greyscale_is_scaled_not_clipped():
    grey = Image.linear_gradient("L").resize((256, 256))
    sixteen = grey.convert("I").point(lambda v: v * 257).convert("I;16")
    data = _encode(sixteen, "PNG")
    assert Image.open(io.BytesIO(data)).mode.startswith("I")  # precondition

    result = process_image(data)

    out, _ = _assert_result(result, data)
    low, high = out.convert("L").getextrema()
    assert low < 10 and high > 245
    # Clipping would turn almost the whole gradient white; scaling keeps its middle grey.
    assert 100 < ImageStat.Stat(out.convert("L")).mean[0] < 155


@pytest.mark.parametrize("mode", ["1", "L", "LA", "RGB", "RGBA", "P"])
def test_png_modes_are_normalised(mode):
    data = _encode(_photo(mode=mode), "PNG")
    result = process_image(data)
    _assert_result(result, data)


def test_mpo_from_a_phone_is_accepted_as_jpeg():
    data = _encode(_photo(), "MPO", save_all=True, append_images=[_photo((200, 150))])
    assert Image.open(io.BytesIO(data)).format == "MPO"  # precondition

    result = process_image(data)

    _assert_result(result, data)
    assert (result.format, result.width, result.height) == ("JPEG", 400, 300)


def test_animated_png_refused():
    frames = [_photo(), _photo().rotate(180)]
    data = _encode(frames[0], "PNG", save_all=True, append_images=frames[1:])
    assert _rejected(data).code == "animated"


def test_animated_webp_refused():
    frames = [_photo(), _photo().rotate(180)]
    data = _encode(frames[0], "WEBP", save_all=True, append_images=frames[1:])
    assert _rejected(data).code == "animated"


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(_encode(_photo(), "GIF"), id="still-gif"),
        pytest.param(_encode(_photo(), "BMP"), id="bmp"),
        pytest.param(_encode(_photo(), "TIFF"), id="tiff"),
        pytest.param(b"<html><body><img src=x onerror=alert(1)></body></html>", id="html"),
        pytest.param(b"GIF89a" + b"\0" * 100, id="gif-header-garbage"),
    ],
)
def test_other_formats_refused(data):
    assert _rejected(data).code == "format"


def test_filename_and_content_type_are_not_trusted():
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    assert _rejected(SimpleUploadedFile("photo.jpg", pdf, content_type="image/jpeg")).code == "format"

    png = _encode(_photo(mode="RGBA"), "PNG")
    result = process_image(SimpleUploadedFile("scan.pdf", png, content_type="application/pdf"))
    assert result.format == "JPEG"


# --- damaged files ---------------------------------------------------------------------


def test_truncated_png_refused_as_damaged():
    data = _encode(_photo(), "PNG")
    assert _rejected(data[: len(data) // 2]).code == "damaged"


def test_png_with_bad_checksum_refused_as_damaged():
    data = bytearray(_encode(_photo(), "PNG"))
    idat = data.index(b"IDAT")
    data[idat + 20] ^= 0xFF
    assert _rejected(bytes(data)).code == "damaged"


def test_png_with_only_a_bad_crc_refused_as_damaged():
    # The pixel data decodes fine; only verify() notices, so this pins that check.
    data = bytearray(_encode(_photo(), "PNG"))
    idat = data.index(b"IDAT")
    (length,) = struct.unpack(">I", data[idat - 4 : idat])
    data[idat + 4 + length] ^= 0xFF
    assert _rejected(bytes(data)).code == "damaged"


def test_truncated_jpeg_refused_as_damaged():
    data = _encode(_photo(), "JPEG")
    assert _rejected(data[: len(data) * 2 // 3]).code == "damaged"


# --- API surface -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "wrap",
    [
        pytest.param(lambda d: d, id="bytes"),
        pytest.param(bytearray, id="bytearray"),
        pytest.param(memoryview, id="memoryview"),
        pytest.param(io.BytesIO, id="BytesIO"),
        pytest.param(lambda d: ContentFile(d, name="x.jpg"), id="ContentFile"),
        pytest.param(lambda d: SimpleUploadedFile("x.jpg", d, content_type="image/jpeg"), id="UploadedFile"),
    ],
)
def test_accepts_bytes_and_file_likes(wrap):
    data = _encode(_photo(), "JPEG")
    result = process_image(wrap(data))
    assert result.sha256 == hashlib.sha256(data).hexdigest()


def test_upload_already_read_by_form_validation_is_rewound():
    upload = SimpleUploadedFile("x.png", _encode(_photo(), "PNG"), content_type="image/png")
    upload.read()
    assert process_image(upload).width == 400


def test_sha256_identifies_the_original_upload():
    data = _encode(_photo(), "JPEG")
    first, second = process_image(data), process_image(io.BytesIO(data))
    assert first.sha256 == second.sha256 == hashlib.sha256(data).hexdigest()
    assert first.sha256 != hashlib.sha256(first.content).hexdigest()


def test_result_is_immutable():
    result = process_image(_encode(_photo(), "JPEG"))
    with pytest.raises(AttributeError):
        result.width = 1


def test_every_refusal_has_its_own_translatable_message():
    refusals = [
        _rejected(b""),
        _rejected(b"\xff" * 100, max_bytes=10),
        _rejected(b"%PDF-1.4"),
        _rejected(_encode(_photo(), "PNG", save_all=True, append_images=[_photo().rotate(180)])),
        _rejected(_png_header_only(8000, 8000)),
        _rejected(_encode(_photo(), "JPEG")[:2000]),
        _rejected(_encode(_photo((8, 8)), "PNG")),
    ]
    codes = [exc.code for exc in refusals]
    assert codes == ["empty", "too_large", "format", "animated", "too_many_pixels", "damaged", "too_small"]
    for exc in refusals:
        assert isinstance(exc.message, Promise), f"{exc.code} message is not lazy"
    with override("en"):
        messages = [str(exc.message) for exc in refusals]
    assert all(m.strip() for m in messages)
    assert len(set(messages)) == len(messages)
    assert messages[0] == "The file is empty."
