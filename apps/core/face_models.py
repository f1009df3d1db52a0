"""Face models every tool shares (one copy per process): MediaPipe's face mesh and face detector.

Both come from the mediapipe 0.10.21 wheel. Helpers take an RGB array and return
pixel coordinates in that array.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from . import ml as registry
from .imageio import RGBImage

FACE_MESH = "core.face_mesh"
FACE_DETECTOR = "core.face_detector"  # short range: faces within about 2 m, selfies, close-ups
FACE_DETECTOR_FAR = "core.face_detector_far"  # full range: small faces further away
MAX_FACES = 4  # enough to tell "several people" apart from one

Landmarks = npt.NDArray[np.float32]  # Nx2 (x, y) pixels; N = 478 with iris refinement


@dataclass(frozen=True)
class FaceBox:
    x: int
    y: int
    width: int
    height: int
    confidence: float

    def to_dict(self) -> dict:
        return {"x": self.x, "y": self.y, "width": self.width, "height": self.height,
                "confidence": round(self.confidence, 3)}  # fmt: skip


def _load_face_mesh(spec: registry.ModelSpec) -> Any:
    import mediapipe as mp

    return mp.solutions.face_mesh.FaceMesh(
        static_image_mode=True, max_num_faces=MAX_FACES, refine_landmarks=True, min_detection_confidence=0.5
    )


def _face_detector_loader(model_selection: int):
    def load(spec: registry.ModelSpec) -> Any:
        import mediapipe as mp

        # The caller applies its own score threshold; the model keeps every candidate above 0.3.
        return mp.solutions.face_detection.FaceDetection(model_selection=model_selection,
                                                         min_detection_confidence=0.3)  # fmt: skip

    return load


def register_models() -> None:
    registry.register(
        registry.ModelSpec(
            name=FACE_MESH,
            app="core",
            description="478-point face mesh with iris (MediaPipe face mesh)",
            loader=_load_face_mesh,
            package="mediapipe",
            warmup=registry.warm_mediapipe,
        )
    )
    for name, selection, reach in ((FACE_DETECTOR, 0, "short range"), (FACE_DETECTOR_FAR, 1, "full range")):
        registry.register(
            registry.ModelSpec(
                name=name,
                app="core",
                description=f"Face detector, {reach} (MediaPipe BlazeFace)",
                loader=_face_detector_loader(selection),
                package="mediapipe",
                warmup=registry.warm_mediapipe,
                parallel=True,
            )
        )


def face_landmarks(rgb: RGBImage) -> list[Landmarks]:
    """Face-mesh landmarks of every face found (up to MAX_FACES), in ``rgb``'s pixels."""
    height, width = rgb.shape[:2]
    result = registry.get_model(FACE_MESH).run(lambda mesh: mesh.process(rgb))
    return [
        np.array([(lm.x * width, lm.y * height) for lm in face.landmark], dtype=np.float32)
        for face in result.multi_face_landmarks or []
    ]


def face_boxes(rgb: RGBImage, min_confidence: float, far: bool = False) -> list[FaceBox]:
    """Faces found by the detector with at least ``min_confidence``, most confident first."""
    height, width = rgb.shape[:2]
    result = registry.get_model(FACE_DETECTOR_FAR if far else FACE_DETECTOR).run(lambda d: d.process(rgb))
    boxes = []
    for detection in result.detections or []:
        score = float(detection.score[0])
        if score < min_confidence:
            continue
        box = detection.location_data.relative_bounding_box
        x0, y0 = max(0, round(box.xmin * width)), max(0, round(box.ymin * height))
        x1, y1 = min(width, round((box.xmin + box.width) * width)), min(height, round((box.ymin + box.height) * height))
        boxes.append(FaceBox(x0, y0, x1 - x0, y1 - y0, score))
    return sorted(boxes, key=lambda b: b.confidence, reverse=True)
