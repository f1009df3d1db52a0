"""The parser evaluation: a LaPa-style folder in, per-class F1 and Jaccard of the site's engines out."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest
from PIL import Image

from apps.suit.unet import LAPA_CLASSES
from tests.images import astronaut, flat_image
from training.suit import evaluate_parser

pytestmark = [pytest.mark.models, pytest.mark.django_db]
SKIN, HAIR = LAPA_CLASSES.index("skin"), LAPA_CLASSES.index("hair")


def lapa_folder(tmp_path, photos: dict[str, tuple[np.ndarray, np.ndarray]]):
    for stem, (rgb, labels) in photos.items():
        for sub in ("images", "labels"):
            (tmp_path / "test" / sub).mkdir(parents=True, exist_ok=True)
        Image.fromarray(rgb).save(tmp_path / "test" / "images" / f"{stem}.jpg", quality=95)
        Image.fromarray(labels).save(tmp_path / "test" / "labels" / f"{stem}.png")
    return tmp_path


def rough_labels() -> np.ndarray:
    """The astronaut's face and hair, drawn by hand as ellipses: roughly right, never exact."""
    labels = np.zeros((512, 512), np.uint8)
    cv2.ellipse(labels, (228, 80), (75, 70), 0, 0, 360, HAIR, -1)
    cv2.ellipse(labels, (222, 118), (48, 66), 0, 0, 360, SKIN, -1)
    return labels


def test_the_landmark_engine_is_scored_per_class_and_a_faceless_photo_is_counted(tmp_path):
    data = lapa_folder(tmp_path, {"astronaut": (astronaut(), rough_labels()),
                                  "wall": (flat_image(128, 128), np.zeros((128, 128), np.uint8))})  # fmt: skip
    out = tmp_path / "report.json"

    assert evaluate_parser.main(["--data", str(data), "--out", str(out)]) == 0

    report = json.loads(out.read_text())
    assert report["images"] == 2 and report["no_face"] == 1 and "unet" not in report
    per_class = report["landmarks"]["pooled"]["per_class"]
    assert 0.6 < per_class["skin"]["f1"] < 1.0  # the engine's face against a hand-drawn ellipse
    assert 0.3 < per_class["hair"]["f1"] < 1.0


def test_a_folder_without_the_split_is_refused(tmp_path):
    assert evaluate_parser.main(["--data", str(tmp_path)]) == 2
