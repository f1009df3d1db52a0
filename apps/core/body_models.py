"""Body models every tool shares (one copy per process): MediaPipe's pose landmarker.

From the mediapipe 0.10.21 wheel (BlazePose, full model: the heavy one is not in the
wheel). Helpers take an RGB array and return pixel coordinates in that array.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from . import ml as registry
from .imageio import RGBImage

POSE = "core.pose"

# Indices in BlazePose's 33-point topology ("left" is the person's left: the image's right).
NOSE = 0
LEFT_SHOULDER, RIGHT_SHOULDER = 11, 12
LEFT_HIP, RIGHT_HIP = 23, 24
LEFT_HEEL, RIGHT_HEEL = 29, 30
LEFT_FOOT_INDEX, RIGHT_FOOT_INDEX = 31, 32


@dataclass(frozen=True)
class BodyLandmarks:
    points: npt.NDArray[np.float32]  # 33x2 (x, y) pixels of the image given; may lie outside it
    visibility: npt.NDArray[np.float32]  # 33: the model's belief that the point is in view and not occluded

    def visible(self, index: int, threshold: float = 0.5) -> bool:
        x, y = self.points[index]
        return bool(self.visibility[index] >= threshold and np.isfinite(x) and np.isfinite(y))


def _load_pose(spec: registry.ModelSpec) -> Any:
    import mediapipe as mp

    registry.mediapipe_module_path("modules/pose_landmark/pose_landmark_full.tflite")
    return mp.solutions.pose.Pose(static_image_mode=True, model_complexity=1, min_detection_confidence=0.5)


def register_models() -> None:
    registry.register(
        registry.ModelSpec(
            name=POSE,
            app="core",
            description="33-point body pose (MediaPipe BlazePose, full)",
            loader=_load_pose,
            package="mediapipe",
            warmup=registry.warm_mediapipe,
            parallel=True,
        )
    )


def body_landmarks(rgb: RGBImage) -> BodyLandmarks | None:
    """The most prominent person's pose, or None when nobody is found."""
    height, width = rgb.shape[:2]
    result = registry.get_model(POSE).run(lambda pose: pose.process(rgb))
    if result.pose_landmarks is None:
        return None
    marks = result.pose_landmarks.landmark
    points = np.array([(lm.x * width, lm.y * height) for lm in marks], dtype=np.float32)
    visibility = np.array([lm.visibility for lm in marks], dtype=np.float32)
    return BodyLandmarks(points=points, visibility=visibility)
