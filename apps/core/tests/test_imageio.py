"""The intake decodes every accepted kind of photo to the same RGB array, and refuses the rest clearly."""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from apps.core.imageio import (
    ImageInputError,
    Limits,
    decode_data_url,
    decode_image_bytes,
    encode_jpeg,
    encode_png,
    sniff_format,
)
from tests.images import data_url, encode

LIMITS = Limits(max_bytes=2_000_000, max_pixels=4_000_000, min_side=16)


def gradient(width: int = 64, height: int = 48) -> np.ndarray:
    x = np.linspace(0, 255, width, dtype=np.uint8)[None, :].repeat(height, 0)
    y = np.linspace(0, 255, height, dtype=np.uint8)[:, None].repeat(width, 1)
    return np.dstack([x, y, np.full_like(x, 90)])


def error_of(data: bytes, limits: Limits = LIMITS) -> ImageInputError:
    with pytest.raises(ImageInputError) as info:
        decode_image_bytes(data, limits)
    return info.value


@pytest.mark.parametrize("fmt,name", [("JPEG", "jpeg"), ("PNG", "png"), ("WEBP", "webp")])
def test_it_decodes_jpeg_png_and_webp_to_rgb(fmt, name):
    decoded = decode_image_bytes(encode(gradient(), fmt, quality=95), LIMITS)
    assert decoded.format == name
    assert decoded.rgb.shape == (48, 64, 3) and decoded.rgb.dtype == np.uint8
    assert np.abs(decoded.rgb.astype(int) - gradient().astype(int)).mean() < 4


def test_it_sniffs_the_format_from_bytes_not_names():
    assert sniff_format(encode(gradient(), "PNG")) == "png"
    assert sniff_format(b"hello, I am a text file named photo.jpg") is None


def test_it_applies_exif_orientation():
    image = Image.fromarray(gradient(64, 32))
    exif = image.getexif()
    exif[0x0112] = 6  # rotate 90° clockwise to display
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes())
    decoded = decode_image_bytes(out.getvalue(), LIMITS)
    assert decoded.rgb.shape[:2] == (64, 32)


@pytest.mark.parametrize("orientation", range(1, 9))
def test_every_exif_orientation_decodes_upright(orientation):
    base = gradient(40, 24)
    image = Image.fromarray(base)
    exif = image.getexif()
    exif[0x0112] = orientation
    out = io.BytesIO()
    image.save(out, "PNG", exif=exif.tobytes())
    decoded = decode_image_bytes(out.getvalue(), LIMITS)
    expected = (24, 40) if orientation < 5 else (40, 24)
    assert decoded.rgb.shape[:2] == expected


def test_it_converts_cmyk_to_rgb():
    cmyk = Image.new("CMYK", (32, 32), (0, 255, 255, 0))  # pure red in CMYK
    out = io.BytesIO()
    cmyk.save(out, "JPEG", quality=95)
    rgb = decode_image_bytes(out.getvalue(), LIMITS).rgb
    assert rgb[16, 16, 0] > 200 and rgb[16, 16, 1] < 60 and rgb[16, 16, 2] < 60


def test_it_scales_16_bit_greyscale_instead_of_clipping():
    wide = (np.linspace(0, 65535, 32 * 32).reshape(32, 32)).astype(np.uint16)
    out = io.BytesIO()
    Image.fromarray(wide).save(out, "PNG")
    rgb = decode_image_bytes(out.getvalue(), LIMITS).rgb
    assert rgb.shape == (32, 32, 3)
    assert rgb[0, 0, 0] < 5 and rgb[-1, -1, 0] > 250 and 100 < rgb[16, 0, 0] < 160


def test_it_flattens_transparency_onto_white_and_expands_palettes():
    rgba = np.zeros((32, 32, 4), np.uint8)
    rgba[:, :16] = (255, 0, 0, 255)  # left half opaque red, right half transparent
    decoded = decode_image_bytes(encode(rgba, "PNG"), LIMITS).rgb
    assert tuple(decoded[5, 5]) == (255, 0, 0) and tuple(decoded[5, 25]) == (255, 255, 255)
    palette = Image.fromarray(gradient(32, 32)).convert("P")
    out = io.BytesIO()
    palette.save(out, "PNG")
    assert decode_image_bytes(out.getvalue(), LIMITS).rgb.shape == (32, 32, 3)


def test_it_makes_greyscale_rgb():
    grey = np.full((32, 32), 77, np.uint8)
    assert tuple(decode_image_bytes(encode(grey, "PNG"), LIMITS).rgb[0, 0]) == (77, 77, 77)


def test_it_refuses_empty_files():
    assert error_of(b"").code == "empty"


def test_it_refuses_text_files():
    error = error_of(b"definitely not a photo")
    assert (error.code, error.status) == ("unsupported_format", 415)


def test_it_refuses_truncated_jpegs():
    data = encode(gradient(256, 256), "JPEG")
    assert error_of(data[: len(data) // 2]).code == "corrupt"


def test_it_refuses_too_many_bytes():
    error = error_of(encode(gradient(), "PNG"), Limits(max_bytes=100, max_pixels=10**6, min_side=1))
    assert (error.code, error.status) == ("too_large", 413)


def png_header_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims a huge size: the decompression bomb shape."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")
    )


def test_it_refuses_decompression_bombs_before_decoding():
    error = error_of(png_header_claiming(30000, 30000))
    assert (error.code, error.status) == ("too_many_pixels", 413)


def test_it_refuses_tiny_images():
    error = error_of(encode(np.zeros((1, 1, 3), np.uint8), "PNG"))
    assert (error.code, error.status) == ("too_small", 422)


def test_it_refuses_animated_images():
    frames = [Image.fromarray(np.full((32, 32, 3), v, np.uint8)) for v in (0, 255)]
    out = io.BytesIO()
    frames[0].save(out, "WEBP", save_all=True, append_images=frames[1:])
    assert error_of(out.getvalue()).code == "animated"


def test_data_urls_decode_like_uploads():
    jpeg = encode(gradient(), "JPEG")
    from_url = decode_data_url(data_url(jpeg), LIMITS)
    from_upload = decode_image_bytes(jpeg, LIMITS)
    assert from_url.source == "data_url"
    assert np.array_equal(from_url.rgb, from_upload.rgb)


@pytest.mark.parametrize(
    "text",
    ["data:text/plain;base64,aGVsbG8=", "image/png;base64,AAAA", "data:image/png;base64,@@@not base64@@@", ""],
)
def test_malformed_data_urls_are_refused(text):
    with pytest.raises(ImageInputError) as info:
        decode_data_url(text, LIMITS)
    assert info.value.code == "bad_data_url"


def test_huge_data_urls_are_refused_before_decoding():
    with pytest.raises(ImageInputError) as info:
        decode_data_url("data:image/png;base64," + "A" * 3_000_000, LIMITS)
    assert info.value.status == 413


def test_encoders_write_no_exif_but_the_dpi():
    jpeg = encode_jpeg(gradient(), dpi=300)
    image = Image.open(io.BytesIO(jpeg))
    assert image.info.get("dpi") == (300, 300)
    assert not image.getexif()
    png = encode_png(np.dstack([gradient(), np.full((48, 64), 128, np.uint8)]))
    assert Image.open(io.BytesIO(png)).mode == "RGBA"
