"""Facial expression: the face aligned (eyes level), cropped and scaled as FER-2013 faces are,
then the classifier's seven probabilities read back as labelled scores."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from apps.core.imageio import RGBImage
from apps.idphoto.pipeline.faces import FACE_OVAL, face_geometry

from .types import EMOTIONS

Landmarks = npt.NDArray[np.float32]
FER_SIZE = 64  # the fer package's mini-Xception input: 64x64 greyscale
# FER-2013 crops show the face from mid-forehead to just under the chin with a little margin.
CROP_MARGIN = 0.12  # of the face oval's size, added on every side


@dataclass(frozen=True)
class EmotionResult:
    label: str
    scores: dict[str, float]  # all seven, summing to 1

    @property
    def confidence(self) -> float:
        return self.scores[self.label]


def aligned_face(rgb: RGBImage, landmarks: Landmarks, size: int = FER_SIZE) -> npt.NDArray[np.uint8]:
    """A size x size greyscale face, rotated so the eyes are level, cropped around the face oval."""
    geometry = face_geometry(landmarks)
    ex, ey = geometry.eye_mid
    angle = geometry.roll_deg
    rotation = cv2.getRotationMatrix2D((ex, ey), angle, 1.0)
    oval = landmarks[list(FACE_OVAL)]
    level = np.hstack([oval, np.ones((len(oval), 1), np.float32)]) @ rotation.T
    x0, y0 = level.min(axis=0)
    x1, y1 = level.max(axis=0)
    side = max(x1 - x0, y1 - y0) * (1 + 2 * CROP_MARGIN)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    scale = size / max(side, 1.0)
    # Rotate about the eyes, then move the crop's corner to the origin and scale to size.
    to_crop = np.array([[scale, 0, -scale * (cx - side / 2)], [0, scale, -scale * (cy - side / 2)]])
    matrix = to_crop @ np.vstack([rotation, [0, 0, 1]])
    grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    return cv2.warpAffine(grey, matrix, (size, size), flags=interpolation, borderMode=cv2.BORDER_REPLICATE)


def preprocess_fer(face: npt.NDArray[np.uint8]) -> npt.NDArray[np.float32]:
    """The fer package's own scaling: pixels to [-1, 1], as a 1 x h x w x 1 batch."""
    x = face.astype(np.float32) / 255.0
    return ((x - 0.5) * 2.0)[None, :, :, None]


def model_input(face: npt.NDArray[np.uint8], size: int, blur_sigma: float = 0.0) -> npt.NDArray[np.float32]:
    """The 1 x size x size x 1 batch an emotion model reads from a greyscale face of any size.

    INTER_AREA resize, then a Gaussian blur of ``blur_sigma`` pixels at that size, then ``preprocess_fer``.
    The blur exists because the shared copy of FER-2013's train split is blurred (its test split is not):
    a model trained on it is served, and scored, on faces softened to the same sharpness.
    """
    if face.shape != (size, size):
        face = cv2.resize(face, (size, size), interpolation=cv2.INTER_AREA)
    if blur_sigma > 0:
        face = cv2.GaussianBlur(face, (0, 0), blur_sigma, borderType=cv2.BORDER_REPLICATE)
    return preprocess_fer(face)


def read_scores(probabilities: npt.ArrayLike) -> EmotionResult:
    p = np.asarray(probabilities, dtype=np.float64).reshape(-1)
    if p.shape != (len(EMOTIONS),) or not np.all(np.isfinite(p)):
        raise ValueError(f"expected {len(EMOTIONS)} finite probabilities, got {p.shape}")
    p = np.clip(p, 0, None)
    p = p / p.sum() if p.sum() > 0 else np.full(len(EMOTIONS), 1 / len(EMOTIONS))
    scores = {label: round(float(v), 4) for label, v in zip(EMOTIONS, p, strict=True)}
    return EmotionResult(label=EMOTIONS[int(np.argmax(p))], scores=scores)
