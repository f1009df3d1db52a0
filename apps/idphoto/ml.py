"""idphoto's models: mediapipe's selfie segmentation and face mesh (from the
installed wheel) and the optional background-colour regressor this repo trains.

Each helper here takes and returns plain arrays; the heavy imports happen on
first use inside the registry's loaders.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from django.conf import settings

from apps.core import ml as registry
from apps.core.imageio import Matte, RGBImage

from .pipeline.faces import Landmarks

SEGMENTER = "idphoto.selfie_segmentation"
FACE_MESH = "idphoto.face_mesh"
BACKGROUND_REGRESSOR = "idphoto.background_regressor"
MAX_FACES = 4  # enough to tell "several people" apart from one


def background_regressor_path() -> Path:
    return settings.ML_MODELS_DIR / "idphoto" / "background.keras"


def _load_segmenter(spec: registry.ModelSpec) -> Any:
    import mediapipe as mp

    registry.mediapipe_module_path("modules/selfie_segmentation/selfie_segmentation.tflite")
    return mp.solutions.selfie_segmentation.SelfieSegmentation(model_selection=0)


def _load_face_mesh(spec: registry.ModelSpec) -> Any:
    import mediapipe as mp

    return mp.solutions.face_mesh.FaceMesh(
        static_image_mode=True, max_num_faces=MAX_FACES, refine_landmarks=True, min_detection_confidence=0.5
    )


def _warm_solution(solution: Any) -> None:
    solution.process(np.zeros((256, 256, 3), np.uint8))


def _warm_regressor(model: Any) -> None:
    _, height, width, channels = model.input_shape  # whatever --input-size it was trained at
    model(np.zeros((1, height, width, channels), np.float32), training=False)


def register_models() -> None:
    registry.register(
        registry.ModelSpec(
            name=SEGMENTER,
            app="idphoto",
            description="Person segmentation (MediaPipe selfie segmentation, general 256x256)",
            loader=_load_segmenter,
            package="mediapipe",
            warmup=_warm_solution,
        )
    )
    registry.register(
        registry.ModelSpec(
            name=FACE_MESH,
            app="idphoto",
            description="478-point face mesh with iris (MediaPipe face mesh)",
            loader=_load_face_mesh,
            package="mediapipe",
            warmup=_warm_solution,
        )
    )
    registry.register(
        registry.ModelSpec(
            name=BACKGROUND_REGRESSOR,
            app="idphoto",
            description="Background colour regressor (EfficientNet-B0 + regression head, the source paper's)",
            loader=registry.load_keras,
            path=background_regressor_path(),
            training_command="python training/idphoto/train_background.py --portraits DIR",
            warmup=_warm_regressor,
            optional=True,
        )
    )


@dataclass(frozen=True)
class DetectedFaces:
    landmarks: list[Landmarks]  # one Nx2 pixel array per face


def detect_faces(rgb: RGBImage) -> DetectedFaces:
    height, width = rgb.shape[:2]
    result = registry.get_model(FACE_MESH).run(lambda mesh: mesh.process(rgb))
    faces = []
    for face in result.multi_face_landmarks or []:
        points = np.array([(lm.x * width, lm.y * height) for lm in face.landmark], dtype=np.float32)
        faces.append(points)
    return DetectedFaces(landmarks=faces)


def segment_person(rgb: RGBImage) -> Matte:
    """Person probability at ``rgb``'s size. Feed an undistorted square for best results."""
    mask = registry.get_model(SEGMENTER).run(lambda seg: seg.process(rgb).segmentation_mask)
    return np.asarray(mask, dtype=np.float32)


def background_regressor_available() -> bool:
    return registry.get_spec(BACKGROUND_REGRESSOR).available()
