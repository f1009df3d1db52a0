"""idphoto's models: mediapipe's selfie segmentation (from the installed wheel; the
shared face mesh is in apps.core.face_models) and the optional background-colour regressor this repo trains.

Each helper here takes and returns plain arrays; the heavy imports happen on
first use inside the registry's loaders.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from django.conf import settings

from apps.core import ml as registry
from apps.core.imageio import Matte, RGBImage

SEGMENTER = "idphoto.selfie_segmentation"
BACKGROUND_REGRESSOR = "idphoto.background_regressor"


def background_regressor_path() -> Path:
    return settings.ML_MODELS_DIR / "idphoto" / "background.keras"


def _load_segmenter(spec: registry.ModelSpec) -> Any:
    import mediapipe as mp

    registry.mediapipe_module_path("modules/selfie_segmentation/selfie_segmentation.tflite")
    return mp.solutions.selfie_segmentation.SelfieSegmentation(model_selection=0)


def register_models() -> None:
    registry.register(
        registry.ModelSpec(
            name=SEGMENTER,
            app="idphoto",
            description="Person segmentation (MediaPipe selfie segmentation, general 256x256)",
            loader=_load_segmenter,
            package="mediapipe",
            warmup=registry.warm_mediapipe,
            parallel=True,
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
            warmup=registry.warm_keras,
            optional=True,
            input_shape=(None, None, None, 3),  # any square side: background_regressor.model_input_size
            output_shape=(None, 3),  # the background's RGB
        )
    )


def segment_person(rgb: RGBImage) -> Matte:
    """Person probability at ``rgb``'s size. Feed an undistorted square for best results."""
    mask = registry.get_model(SEGMENTER).run(lambda seg: seg.process(rgb).segmentation_mask)
    return np.asarray(mask, dtype=np.float32)


def background_regressor_available() -> bool:
    return registry.get_spec(BACKGROUND_REGRESSOR).available()
