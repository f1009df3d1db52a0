"""Shared test helpers: real photos, generated images and data URLs."""

from __future__ import annotations

import base64
import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

REPO = Path(__file__).resolve().parent.parent
SHARED_DATA = REPO.parent / "shared" / "data"
FACES = SHARED_DATA / "faces" / "face_recognition"


def astronaut() -> np.ndarray:
    """A real 512x512 portrait shipped with scikit-image (RGB)."""
    from skimage import data

    return np.ascontiguousarray(data.astronaut())


def shared_photo(relative: str) -> np.ndarray:
    """An RGB photo from ../shared/data, or a skip that says why it is missing."""
    path = SHARED_DATA / relative
    if not path.exists():
        pytest.skip(f"{path} is absent: the shared data folder is not beside this checkout")
    return np.ascontiguousarray(np.asarray(Image.open(path).convert("RGB")))


def encode(rgb: np.ndarray, fmt: str = "JPEG", **save_kwargs) -> bytes:
    out = io.BytesIO()
    Image.fromarray(rgb).save(out, fmt, **save_kwargs)
    return out.getvalue()


def data_url(data: bytes, mime: str = "image/jpeg") -> str:
    return f"data:{mime};base64," + base64.b64encode(data).decode("ascii")


def flat_image(width: int = 200, height: int = 200, colour: tuple[int, int, int] = (12, 75, 51)) -> np.ndarray:
    return np.full((height, width, 3), colour, np.uint8)


OPENCV_SAMPLES = REPO / ".cache" / "opencv-samples"


def opencv_sample(name: str) -> np.ndarray:
    """An RGB photo from OpenCV's sample data (Debian's opencv-doc, unpacked by `make testdata`), or a skip."""
    path = OPENCV_SAMPLES / name
    if not path.exists():
        pytest.skip(f"{path} is absent: run `make testdata` (OpenCV's sample photos from Debian's opencv-doc)")
    return np.ascontiguousarray(np.asarray(Image.open(path).convert("RGB")))
