"""Decoding and encoding of images at the edge of the system. No Django here.

Every image that enters emopic goes through `decode_image_bytes` (uploads) or
`decode_data_url` (webcam captures), so every tool sees the same thing: an
``RGBImage``, a C-contiguous HxWx3 uint8 array in RGB order with the EXIF
orientation applied and all metadata dropped.
"""

from __future__ import annotations

import base64
import binascii
import io
import re
import struct
import warnings
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from PIL import Image, ImageOps, UnidentifiedImageError

RGBImage = npt.NDArray[np.uint8]  # HxWx3, RGB order
Matte = npt.NDArray[np.float32]  # HxW, 0 (background) .. 1 (person)

# Magic numbers, checked before Pillow sees the bytes: the format is what the
# bytes say, never what the file name or the declared content type claims.
_SIGNATURES: tuple[tuple[str, bytes, int], ...] = (
    ("jpeg", b"\xff\xd8\xff", 0),
    ("png", b"\x89PNG\r\n\x1a\n", 0),
    ("webp", b"WEBP", 8),
)
_PIL_FORMATS = {"jpeg": "JPEG", "png": "PNG", "webp": "WEBP"}
_DATA_URL = re.compile(r"^data:image/(png|jpeg|jpg|webp);base64,", re.IGNORECASE)


class ImageInputError(ValueError):
    """Input that is not a usable image. ``status`` is the HTTP status it maps to."""

    def __init__(self, code: str, message: str, status: int = 400, details: dict | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
        self.details = details or {}  # extra JSON fields of the error, e.g. the faces that were found

    def to_json(self) -> dict:
        return {"error": {"code": self.code, "message": self.message, **self.details}}


@dataclass(frozen=True)
class Limits:
    max_bytes: int
    max_pixels: int
    min_side: int


@dataclass(frozen=True)
class DecodedImage:
    rgb: RGBImage
    format: str  # "jpeg" | "png" | "webp", sniffed from the bytes
    source: str  # "upload" | "data_url"

    @property
    def width(self) -> int:
        return int(self.rgb.shape[1])

    @property
    def height(self) -> int:
        return int(self.rgb.shape[0])


def sniff_format(data: bytes) -> str | None:
    for name, magic, offset in _SIGNATURES:
        if data[offset : offset + len(magic)] == magic:
            if name == "webp" and data[:4] != b"RIFF":
                continue
            return name
    return None


def decode_image_bytes(data: bytes, limits: Limits, source: str = "upload") -> DecodedImage:
    if not data:
        raise ImageInputError("empty", "The file is empty.")
    if len(data) > limits.max_bytes:
        raise ImageInputError(
            "too_large",
            f"The image is {len(data) / 1e6:.1f} MB; the limit is {limits.max_bytes / 1e6:.0f} MB.",
            413,
        )
    fmt = sniff_format(data)
    if fmt is None:
        raise ImageInputError("unsupported_format", "This is not a JPEG, PNG or WebP image.", 415)
    with warnings.catch_warnings():
        # Pillow warns, then raises, on decompression bombs; we check the size ourselves first.
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data), formats=[_PIL_FORMATS[fmt]])
        except Image.DecompressionBombError as exc:
            raise ImageInputError(
                "too_many_pixels", "The image claims far more pixels than any photo; it was not opened.", 413
            ) from exc
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
            # ValueError: Pillow's PNG reader on a malformed chunk (a short IHDR, acTL or fcTL).
            raise ImageInputError("corrupt", "The image could not be read; the file looks damaged.") from exc
        width, height = image.size
        if width * height > limits.max_pixels:
            raise ImageInputError(
                "too_many_pixels",
                f"The image is {width}×{height} pixels; the limit is {limits.max_pixels / 1e6:.0f} megapixels.",
                413,
            )
        if min(width, height) < limits.min_side:
            raise ImageInputError(
                "too_small",
                f"The image is only {width}×{height} pixels; at least {limits.min_side} pixels a side are needed.",
                422,
            )
        try:
            frames = getattr(image, "n_frames", 1)
        except (OSError, ValueError) as exc:
            raise ImageInputError("corrupt", "The image could not be read; the file looks damaged.") from exc
        if frames > 1:
            raise ImageInputError("animated", "Animated images are not supported; send a still photo.", 415)
        try:
            image.load()
        except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
            raise ImageInputError(
                "corrupt", "The image could not be read; the file looks truncated or damaged."
            ) from exc
    try:
        upright = ImageOps.exif_transpose(image)
    except (OSError, ValueError, TypeError, struct.error) as exc:
        # Pillow rewrites the EXIF block when it turns the image; a mistyped tag breaks that.
        raise ImageInputError("corrupt", "The photo's EXIF data is damaged; it could not be turned upright.") from exc
    try:
        rgb = _to_rgb(upright)
    except (OSError, ValueError) as exc:
        raise ImageInputError("corrupt", "The image's colour data could not be converted.") from exc
    return DecodedImage(rgb=rgb, format=fmt, source=source)


def decode_data_url(text: str, limits: Limits) -> DecodedImage:
    text = text.strip()
    match = _DATA_URL.match(text)
    if match is None:
        raise ImageInputError("bad_data_url", "Expected a data URL starting with data:image/png, jpeg or webp;base64,")
    payload = text[match.end() :]
    if len(payload) > limits.max_bytes * 4 // 3 + 4:
        raise ImageInputError("too_large", f"The image is over the {limits.max_bytes / 1e6:.0f} MB limit.", 413)
    try:
        data = base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ImageInputError("bad_data_url", "The data URL's base64 payload is malformed.") from exc
    return decode_image_bytes(data, limits, source="data_url")


def _to_rgb(image: Image.Image) -> RGBImage:
    """Any Pillow mode to 8-bit RGB; transparency is flattened onto white."""
    mode = image.mode
    if mode in ("I;16", "I;16B", "I;16L", "I"):
        # 16-bit greyscale: scale to 8 bits instead of letting Pillow clip at 255.
        wide = np.asarray(image, dtype=np.float64)
        top = 65535.0 if wide.max() > 255 else 255.0
        grey = np.clip(wide / top * 255.0 + 0.5, 0, 255).astype(np.uint8)
        return np.ascontiguousarray(np.repeat(grey[:, :, None], 3, axis=2))
    if mode == "F":
        grey = np.clip(np.asarray(image, dtype=np.float64), 0, 255).astype(np.uint8)
        return np.ascontiguousarray(np.repeat(grey[:, :, None], 3, axis=2))
    if mode == "P":
        image = image.convert("RGBA")
    elif mode in ("LA", "La", "PA"):
        image = image.convert("RGBA")
    if image.mode in ("RGBA", "RGBa"):
        white = Image.new("RGBA", image.size, (255, 255, 255, 255))
        image = Image.alpha_composite(white, image.convert("RGBA"))
    return np.ascontiguousarray(np.asarray(image.convert("RGB"), dtype=np.uint8))


def encode_jpeg(rgb: RGBImage, quality: int = 92, dpi: int | None = None) -> bytes:
    """JPEG bytes with no metadata but the optional DPI (JFIF density)."""
    out = io.BytesIO()
    kwargs: dict = {"quality": quality, "optimize": True}
    if dpi:
        kwargs["dpi"] = (dpi, dpi)
    Image.fromarray(rgb).save(out, "JPEG", **kwargs)
    return out.getvalue()


def encode_png(pixels: npt.NDArray[np.uint8], dpi: int | None = None) -> bytes:
    """PNG bytes of an RGB or RGBA array, no metadata but the optional DPI."""
    out = io.BytesIO()
    kwargs: dict = {"compress_level": 1}  # level 1: a third of the time of the default, files 5% larger
    if dpi:
        kwargs["dpi"] = (dpi, dpi)
    Image.fromarray(pixels).save(out, "PNG", **kwargs)
    return out.getvalue()


def to_data_url(png_or_jpeg: bytes) -> str:
    kind = "png" if png_or_jpeg.startswith(b"\x89PNG") else "jpeg"
    return f"data:image/{kind};base64," + base64.b64encode(png_or_jpeg).decode("ascii")
