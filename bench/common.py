"""What every benchmark script shares: Django set up, percentiles, the test database, a 1-megapixel photo."""

from __future__ import annotations

import os
import platform
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
SHARED_FACES = REPO.parent / "shared" / "data" / "faces" / "face_recognition"
sys.path.insert(0, str(REPO))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "emopic.settings")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def setup() -> None:
    """Django, and the machine's description as the first line of the report."""
    import django

    django.setup()
    print(f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")


def use_test_database() -> None:
    from django.db import connection
    from django.test.utils import setup_test_environment

    setup_test_environment()
    connection.creation.create_test_db(verbosity=0)


def p(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q))


def report(title: str, series: dict[str, list[float]]) -> None:
    print(f"\n{title}")
    for key, values in series.items():
        print(f"  {key:24s} p50 {p(values, 50):7.1f} ms   p95 {p(values, 95):7.1f} ms")


def photo_at_1mp(relative: str, crop: tuple[slice, slice] | None = None) -> np.ndarray:
    """A shared photo scaled to one megapixel (scikit-image's astronaut when the shared data is absent)."""
    import cv2
    from skimage import data

    path = SHARED_FACES / relative
    if path.exists():
        rgb = cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB)
        rgb = rgb[crop] if crop is not None else rgb
    else:
        print(f"({path} is absent: using scikit-image's astronaut)")
        rgb = data.astronaut()
    h, w = rgb.shape[:2]
    scale = (1e6 / (h * w)) ** 0.5
    interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
    return np.ascontiguousarray(cv2.resize(rgb, (round(w * scale), round(h * scale)), interpolation=interpolation))
