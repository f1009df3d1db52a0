"""Face geometry from face-mesh landmarks, in pixel coordinates of the photo."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
import numpy.typing as npt

Landmarks = npt.NDArray[np.float32]  # Nx2 (x, y) in pixels; N = 478 with iris refinement

# Indices in mediapipe's 468/478-point face mesh topology.
FOREHEAD_TOP = 10
CHIN = 152
LEFT_EYE_CORNERS = (263, 362)  # the person's left eye (image right)
RIGHT_EYE_CORNERS = (33, 133)
LEFT_IRIS = 473
RIGHT_IRIS = 468
FACE_OVAL = (
    10, 338, 297, 332, 284, 251, 389, 356, 454, 323, 361, 288, 397, 365, 379, 378, 400, 377,
    152, 148, 176, 149, 150, 136, 172, 58, 132, 93, 234, 127, 162, 21, 54, 103, 67, 109,
)  # fmt: skip


@dataclass(frozen=True)
class FaceGeometry:
    box: tuple[int, int, int, int]  # x, y, width, height of the face oval
    left_eye: tuple[float, float]
    right_eye: tuple[float, float]
    chin: tuple[float, float]
    forehead: tuple[float, float]
    roll_deg: float  # positive when the head leans towards the image's right

    @property
    def eye_mid(self) -> tuple[float, float]:
        return ((self.left_eye[0] + self.right_eye[0]) / 2, (self.left_eye[1] + self.right_eye[1]) / 2)

    @property
    def eye_distance(self) -> float:
        return math.dist(self.left_eye, self.right_eye)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> FaceGeometry:
        return cls(**{key: tuple(value) if isinstance(value, list) else value for key, value in data.items()})


def face_geometry(landmarks: Landmarks) -> FaceGeometry:
    def point(index: int) -> tuple[float, float]:
        return float(landmarks[index, 0]), float(landmarks[index, 1])

    if len(landmarks) > LEFT_IRIS:
        left_eye, right_eye = point(LEFT_IRIS), point(RIGHT_IRIS)
    else:
        left_eye = tuple(landmarks[list(LEFT_EYE_CORNERS)].mean(axis=0).tolist())
        right_eye = tuple(landmarks[list(RIGHT_EYE_CORNERS)].mean(axis=0).tolist())
    oval = landmarks[list(FACE_OVAL)]
    x0, y0 = np.floor(oval.min(axis=0)).astype(int)
    x1, y1 = np.ceil(oval.max(axis=0)).astype(int)
    dx, dy = left_eye[0] - right_eye[0], left_eye[1] - right_eye[1]
    return FaceGeometry(
        box=(int(x0), int(y0), int(x1 - x0), int(y1 - y0)),
        left_eye=(float(left_eye[0]), float(left_eye[1])),
        right_eye=(float(right_eye[0]), float(right_eye[1])),
        chin=point(CHIN),
        forehead=point(FOREHEAD_TOP),
        roll_deg=math.degrees(math.atan2(dy, dx)),
    )


def scale_geometry(geometry: FaceGeometry, factor: float) -> FaceGeometry:
    def s(p: tuple[float, float]) -> tuple[float, float]:
        return (p[0] * factor, p[1] * factor)

    x, y, w, h = geometry.box
    return FaceGeometry(
        box=(round(x * factor), round(y * factor), round(w * factor), round(h * factor)),
        left_eye=s(geometry.left_eye),
        right_eye=s(geometry.right_eye),
        chin=s(geometry.chin),
        forehead=s(geometry.forehead),
        roll_deg=geometry.roll_deg,
    )
