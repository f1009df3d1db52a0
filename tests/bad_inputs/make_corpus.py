"""Regenerate the bad-input corpus beside this file: `.venv/bin/python tests/bad_inputs/make_corpus.py`.

Deterministic: the same Pillow, numpy and scikit-image give byte-identical files. The portrait is
scikit-image's astronaut (shipped with the package), cropped and shrunk, with two markers that make its
orientation checkable: a red band along the top edge and a blue square in the top-left corner.
What each file is, and what emopic answers, is in README.md here.
"""

from __future__ import annotations

import io
import struct
import sys
import zlib
from pathlib import Path

import numpy as np
from PIL import Image

HERE = Path(__file__).resolve().parent

PORTRAIT_SIZE = (240, 300)  # width, height
RED_BAND = 10  # rows of pure red along the top edge
BLUE_SQUARE = 24  # a blue square in the top-left corner, over the red band
RED = (255, 0, 0)
BLUE = (0, 0, 255)

# Pillow's ImageOps.exif_transpose applies, per EXIF orientation, the transform on the left; the stored
# pixels must be the upright portrait under its inverse so that a viewer that honours the tag shows it upright.
_UNDO_ORIENTATION = {
    1: None,
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_90,  # exif_transpose rotates by 270 for 6
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_270,  # exif_transpose rotates by 90 for 8
}


def portrait() -> np.ndarray:
    """The upright, marked portrait: 240×300 RGB."""
    from skimage import data

    face = Image.fromarray(data.astronaut()).crop((96, 0, 416, 400)).resize(PORTRAIT_SIZE, Image.Resampling.LANCZOS)
    pixels = np.array(face)
    pixels[:RED_BAND] = RED
    pixels[:BLUE_SQUARE, :BLUE_SQUARE] = BLUE
    return pixels


def jpeg(image: Image.Image, **kwargs) -> bytes:
    out = io.BytesIO()
    image.save(out, "JPEG", quality=kwargs.pop("quality", 85), **kwargs)
    return out.getvalue()


def png(image: Image.Image, **kwargs) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG", **kwargs)
    return out.getvalue()


def jpeg_claiming(data: bytes, width: int, height: int) -> bytes:
    """The JPEG with the frame size in its SOF marker replaced; the scan data stays that of the small image."""
    at = 2
    while at < len(data):
        marker, length = data[at + 1], struct.unpack(">H", data[at + 2 : at + 4])[0]
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            # SOFn: length(2) precision(1) height(2) width(2)
            return data[: at + 5] + struct.pack(">HH", height, width) + data[at + 9 :]
        at += 2 + length
    raise ValueError("no SOF marker")


def animated_png(frames: list[Image.Image]) -> bytes:
    out = io.BytesIO()
    frames[0].save(out, "PNG", save_all=True, append_images=frames[1:], duration=200, loop=0)
    return out.getvalue()


def animated_gif(frames: list[Image.Image]) -> bytes:
    out = io.BytesIO()
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:], duration=200, loop=0)
    return out.getvalue()


def bomb_png(width: int = 20000, height: int = 20000) -> bytes:
    """A real, complete 1-bit PNG: all black, 400 megapixels, about 50 KB on disk (zlib's ~1000:1 on zeros)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # bit depth 1, greyscale
    row = b"\0" * (1 + (width + 7) // 8)  # filter byte 0, then the packed pixels
    packer = zlib.compressobj(9)
    body = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", body) + chunk(b"IEND", b"")


def png_with_short_header(data: bytes) -> bytes:
    """The PNG with its IHDR chunk's declared length cut from 13 to 11 bytes: the rest of the file is intact."""
    assert data[8:16] == b"\0\0\0\x0dIHDR"
    return data[:11] + b"\x0b" + data[12:]


def exif_with_mistyped_tag(orientation: int) -> bytes:
    """EXIF (big-endian TIFF) whose ImageWidth tag, a number, holds ASCII text, beside an orientation tag."""
    entries = [
        struct.pack(">HHI4s", 0x0100, 2, 4, b"cam\0"),  # ImageWidth, type 2 (ASCII), 4 bytes inline
        struct.pack(">HHIH2x", 0x0112, 3, 1, orientation),  # Orientation, type 3 (SHORT)
    ]
    ifd = struct.pack(">H", len(entries)) + b"".join(entries) + struct.pack(">I", 0)
    return b"Exif\0\0MM\0*" + struct.pack(">I", 8) + ifd


def corpus() -> dict[str, bytes]:
    upright = portrait()
    image = Image.fromarray(upright)
    whole = jpeg(image)
    files = {
        "empty.jpg": b"",
        "text.jpg": b"This is a text file with a .jpg name, not a photo.\n",
        "truncated.jpg": whole[: len(whole) // 2],
        "bomb.png": bomb_png(),
        "bomb_64mp.png": bomb_png(8000, 8000),  # under Pillow's own bomb check, over emopic's 40 MP limit
        "one_pixel.png": png(Image.new("RGB", (1, 1), (200, 120, 90))),
        "huge_header.jpg": jpeg_claiming(jpeg(image.resize((64, 80))), 30000, 30000),
        "animated.gif": animated_gif([Image.new("RGB", (96, 96), colour) for colour in (RED, BLUE)]),
        "animated.png": animated_png([Image.new("RGB", (96, 96), colour) for colour in (RED, BLUE)]),
        "short_ihdr.png": png_with_short_header(png(image.resize((96, 120)))),
        "exif_bad_tag.jpg": jpeg(image.transpose(_UNDO_ORIENTATION[6]), exif=exif_with_mistyped_tag(6)),
        "bad_data_url.txt": b"data:image/jpeg;base64,/9j/4AAQSkZJRg@@not*base64@@==\n",
        # Valid but unusual: the decoder accepts each as an upright RGB portrait.
        "cmyk.jpg": jpeg(image.convert("CMYK")),
        "grey.jpg": jpeg(image.convert("L")),
        # 16-bit greyscale (PNG colour type 0, bit depth 16): each 8-bit level v spread to v * 257.
        "grey16.png": png(Image.fromarray(np.asarray(image.convert("L")).astype(np.uint16) * 257)),
    }
    for orientation, undo in _UNDO_ORIENTATION.items():
        stored = image if undo is None else image.transpose(undo)
        exif = Image.Exif()
        exif[0x0112] = orientation
        files[f"exif_{orientation}.jpg"] = jpeg(stored, exif=exif.tobytes())
    return files


def main() -> None:
    for name, content in corpus().items():
        (HERE / name).write_bytes(content)
        print(f"{name:20} {len(content):>7} bytes", file=sys.stderr)


if __name__ == "__main__":
    main()
